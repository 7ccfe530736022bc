"""Thank you; returns home by itself after a few seconds."""

from __future__ import annotations

from kiosk.flow import Flow
from kiosk.visit import State
from ui.language import local
from ui.screens.base import ScreenBase
from ui.widgets import button, label


class ThanksScreen(ScreenBase):
    """Built once; a render sets the (translated) texts."""

    def __init__(self, flow: Flow) -> None:
        super().__init__(flow)
        self.hint = label("")
        self.body.addWidget(self.hint)
        self.rule = label("", name="missed_call_rule")
        self.body.addWidget(self.rule)
        self.home_button = button("", self.flow.home, name="thanks_home")
        self.body.addWidget(self.home_button)

    def render(self, state: State) -> None:
        self.title.setText(self.tr("感谢使用"))
        self.hint.setText(self.tr("请留意大厅屏幕和广播叫号。"))
        catalog = self.flow.catalog  # the missed-call rule is the hall's, from the catalog
        self.rule.setText(local(catalog, "missed_call_rule", self.flow.language))
        self.home_button.setText(self.tr("返回首页"))
