"""Choose a window group (一窗受理), or the bundles (一件事)."""

from __future__ import annotations

from PySide6.QtWidgets import QGridLayout

from kiosk.visit import BUNDLES, Purpose, State
from ui.screens.base import ScreenBase
from ui.widgets import button, clear_layout, label


class GroupsScreen(ScreenBase):
    def render(self, state: State) -> None:
        titles = {
            Purpose.GUIDE: self.tr("办事指南：请选择类别"),
            Purpose.PRECHECK: self.tr("材料预审：请选择办理类别"),
        }
        self.title.setText(titles.get(state.purpose, self.tr("取号：请选择办理类别")))
        clear_layout(self.body)
        grid = QGridLayout()
        grid.setSpacing(16)
        tiles = [(BUNDLES, self.tr("高效办成一件事"), self.tr("多个事项一次办"))]
        for g in self.flow.catalog.intake_groups():
            tiles.append(
                (
                    g.id,
                    g.name if self.zh() else g.name_en,
                    g.location if self.zh() else g.location_en,
                )
            )
        for i, (gid, name, hint) in enumerate(self.paginate(tiles)):
            b = button(
                f"{name}\n{hint}",
                lambda gid=gid: self.flow.ticket.choose_group(gid),
                role="tile",
                name=f"group_{gid}",
            )
            b.setAccessibleName(name)
            grid.addWidget(b, i // 2, i % 2)
        self.body.addLayout(grid)
        self.add_page_buttons(len(tiles))
        self.body.addWidget(
            label(self.tr("不确定选哪个？请选“大综窗”，任何事项都能办理。"), role="muted")
        )
