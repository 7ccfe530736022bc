"""Choose an item (事项) in the chosen group, or a bundle."""

from __future__ import annotations

from PySide6.QtWidgets import QGridLayout, QScrollArea, QWidget

from kiosk.catalog import Bundle
from kiosk.visit import BUNDLES, State
from ui.screens.base import ScreenBase
from ui.widgets import button, clear_layout


class ItemsScreen(ScreenBase):
    def render(self, state: State) -> None:
        if state.group_id == BUNDLES:
            self.title.setText(self.tr("高效办成一件事：请选择"))
        else:
            g = self.flow.catalog.group(state.group_id or "")
            self.title.setText(
                self.tr("{group}：请选择事项").format(group=g.name if self.zh() else g.name_en)
            )
        clear_layout(self.body)
        inner = QWidget()
        grid = QGridLayout(inner)
        grid.setSpacing(14)
        entries = self.flow.ticket.entries()
        columns = 1 if state.elder else 2
        for i, entry in enumerate(self.paginate(entries)):
            name = entry.name if self.zh() else entry.name_en
            if isinstance(entry, Bundle):
                parts = [
                    s.name if self.zh() else s.name_en
                    for s in self.flow.catalog.bundle_items(entry)
                ]
                text = f"{name}\n" + (" + ".join(parts))
            else:
                text = name
            b = button(
                text,
                lambda eid=entry.id: self.flow.ticket.choose_entry(eid),
                name=f"entry_{entry.id}",
            )
            b.setAccessibleName(name)
            grid.addWidget(b, i // columns, i % columns)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(inner)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        self.body.addWidget(scroll)
        self.add_page_buttons(len(entries))
