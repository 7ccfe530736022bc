"""Home: large tiles for what a citizen came to do (in 长辈版 four at a time)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QGridLayout, QVBoxLayout

from kiosk.flow import Flow
from kiosk.visit import State
from ui.screens.base import Choices, ScreenBase
from ui.widgets import label


class HomeScreen(ScreenBase):
    """Built once; a render sets the texts and shows the tiles of the current page."""

    def __init__(self, flow: Flow) -> None:
        super().__init__(flow)
        self.hint = label("", name="home_hint")
        self.body.addWidget(self.hint)
        grid = QGridLayout()
        grid.setSpacing(24)
        self.body.addLayout(grid)
        self.tiles = Choices(grid, role="tile")
        self.others_box = QVBoxLayout()
        self.body.addLayout(self.others_box)
        self.others = Choices(QGridLayout(), role="secondary")
        self.others_box.addLayout(self.others.grid)
        self.body.addWidget(self.page_row())

    def choices(self) -> list[tuple[str, Callable[[], None], str, str]]:
        """(text, action, object name, role), most asked for first."""
        f = self.flow
        items = [(self.tr("取号"), f.ticket.take_number, "tile_ticket", "tile")]
        if f.precheck is not None:
            items.append((self.tr("材料预审"), f.ticket.open_precheck, "tile_precheck", "tile"))
        items += [
            (self.tr("办事指南"), f.ticket.open_guide, "tile_guide", "tile"),
            (self.tr("评价"), f.rating.open, "tile_rating", "tile"),
            (self.tr("办不成事反映"), f.case.open, "tile_case", "tile"),
            (self.tr("查询反映进度"), f.case.open_query, "case_progress", "secondary"),
        ]
        return items

    def render(self, state: State) -> None:
        self.title.setText(self.local(self.flow.catalog, "hall_name"))
        self.hint.setText(self.tr("您好！请选择要办理的业务"))
        choices = self.choices()
        shown = self.paginate(choices)  # all of them in normal mode
        tiles = [c for c in shown if c[3] == "tile"]
        placed = []
        for i, (text, action, name, _role) in enumerate(tiles):
            # an odd last tile spans both columns
            span = 2 if i == len(tiles) - 1 and i % 2 == 0 else 1
            placed.append((self.tiles.get(name, text, action), i // 2, i % 2, span))
        self.tiles.place(placed)
        others = [c for c in shown if c[3] != "tile"]
        self.others.place(
            [(self.others.get(name, text, action), i, 0, 1)
             for i, (text, action, name, _role) in enumerate(others)]
        )  # fmt: skip
        self.show_pages(len(choices))
