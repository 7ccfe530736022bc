"""Home: large tiles for what a citizen came to do (in 长辈版 four at a time)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QGridLayout

from kiosk.visit import State
from ui.screens.base import ScreenBase
from ui.widgets import button, clear_layout, label


class HomeScreen(ScreenBase):
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
        cat = self.flow.catalog
        self.title.setText(cat.hall_name if self.zh() else cat.hall_name_en)
        clear_layout(self.body)
        self.body.addWidget(label(self.tr("您好！请选择要办理的业务"), name="home_hint"))
        choices = self.choices()
        shown = self.paginate(choices)  # all of them in normal mode
        grid = QGridLayout()
        grid.setSpacing(24)
        tiles = [c for c in shown if c[3] == "tile"]
        for i, (text, action, name, role) in enumerate(tiles):
            # an odd last tile spans both columns
            span = 2 if i == len(tiles) - 1 and i % 2 == 0 else 1
            grid.addWidget(button(text, action, role=role, name=name), i // 2, i % 2, 1, span)
        self.body.addLayout(grid)
        for text, action, name, role in shown:
            if role != "tile":
                self.body.addWidget(button(text, action, role=role, name=name))
        self.add_page_buttons(len(choices))
