"""Choose a window group (一窗受理), or the bundles (一件事)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QGridLayout

from kiosk.flow import Flow
from kiosk.visit import BUNDLES, Purpose, State
from ui.screens.base import Choices, ScreenBase
from ui.widgets import label


class GroupsScreen(ScreenBase):
    """Built once; a render sets the texts and shows the groups of the current page."""

    def __init__(self, flow: Flow) -> None:
        super().__init__(flow)
        grid = QGridLayout()
        grid.setSpacing(16)
        self.body.addLayout(grid)
        self.groups = Choices(grid, role="tile", prefix="group_")
        self.body.addWidget(self.page_row())
        self.hint = label("", role="muted")
        self.body.addWidget(self.hint)

    def render(self, state: State) -> None:
        titles = {
            Purpose.GUIDE: self.tr("办事指南：请选择类别"),
            Purpose.PRECHECK: self.tr("材料预审：请选择办理类别"),
        }
        self.title.setText(titles.get(state.purpose, self.tr("取号：请选择办理类别")))
        tiles = self._tiles()
        placed = []
        for i, (gid, name, hint) in enumerate(self.paginate(tiles)):
            b = self.groups.get(gid, f"{name}\n{hint}", self._choose(gid))
            b.setAccessibleName(name)
            placed.append((b, i // 2, i % 2, 1))
        self.groups.place(placed)
        self.show_pages(len(tiles))
        self.hint.setText(self.tr("不确定选哪个？请选“大综窗”，任何事项都能办理。"))

    def _tiles(self) -> list[tuple[str, str, str]]:
        """(group id, name, hint) of each tile: the bundles, then the intake groups."""
        tiles = [(BUNDLES, self.tr("高效办成一件事"), self.tr("多个事项一次办"))]
        for g in self.flow.catalog.intake_groups():
            tiles.append((g.id, self.local(g, "name"), self.local(g, "location")))
        return tiles

    def _choose(self, gid: str) -> Callable[[], None]:
        return lambda: self.flow.ticket.choose_group(gid)

    def build_ahead(self) -> None:
        for gid, name, hint in self._tiles():
            self.groups.build_ahead(gid, f"{name}\n{hint}", self._choose(gid))
