"""Home: large tiles for what a citizen came to do."""

from __future__ import annotations

from PySide6.QtWidgets import QGridLayout

from kiosk.flow import State
from ui.screens.base import ScreenBase
from ui.widgets import button, clear_layout, label


class HomeScreen(ScreenBase):
    def render(self, state: State) -> None:
        cat = self.flow.catalog
        self.title.setText(cat.hall_name if self.zh() else cat.hall_name_en)
        clear_layout(self.body)
        self.body.addWidget(label(self.tr("您好！请选择要办理的业务"), name="home_hint"))
        grid = QGridLayout()
        grid.setSpacing(24)
        grid.addWidget(
            button(self.tr("取号"), self.flow.take_number, role="tile", name="tile_ticket"), 0, 0
        )
        grid.addWidget(
            button(self.tr("办事指南"), self.flow.open_guide, role="tile", name="tile_guide"), 0, 1
        )
        grid.addWidget(
            button(self.tr("评价"), self.flow.open_rating, role="tile", name="tile_rating"), 1, 0
        )
        grid.addWidget(
            button(self.tr("办不成事反映"), self.flow.open_case, role="tile", name="tile_case"),
            1,
            1,
        )
        if self.flow.precheck is not None:
            grid.addWidget(
                button(
                    self.tr("材料预审"), self.flow.open_precheck, role="tile", name="tile_precheck"
                ),
                2,
                0,
                1,
                2,
            )
        self.body.addLayout(grid)
        self.body.addWidget(
            button(
                self.tr("查询反映进度"),
                self.flow.open_case_query,
                role="secondary",
                name="case_progress",
            )  # fmt: skip
        )
