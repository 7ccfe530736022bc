"""Thank you; returns home by itself after a few seconds."""

from __future__ import annotations

from kiosk.flow import State
from ui.screens.base import ScreenBase
from ui.widgets import button, clear_layout, label


class ThanksScreen(ScreenBase):
    def render(self, state: State) -> None:
        self.title.setText(self.tr("感谢使用"))
        clear_layout(self.body)
        self.body.addWidget(label(self.tr("请留意大厅屏幕和广播叫号。")))
        catalog = self.flow.catalog  # the missed-call rule is the hall's, from the catalog
        rule = catalog.missed_call_rule if self.zh() else catalog.missed_call_rule_en
        self.body.addWidget(label(rule, name="missed_call_rule"))
        self.body.addWidget(button(self.tr("返回首页"), self.flow.home, name="thanks_home"))
