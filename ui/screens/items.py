"""Choose an item (事项) in the chosen group, or a bundle."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QSize
from PySide6.QtWidgets import QGridLayout, QScrollArea, QWidget

from contract.catalog import Bundle, Service
from kiosk.flow import Flow
from kiosk.visit import BUNDLES, State
from ui.screens.base import Choices, ScreenBase


class _FitScroll(QScrollArea):
    """A scroll area whose size hint follows its contents' current one (QScrollArea keeps
    the hint its contents had when given them; giving them again re-lays the screen out
    twice, ~4 ms per render). Bounded as QScrollArea bounds it."""

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        inner = self.widget()
        if inner is None:
            return super().sizeHint()
        f = 2 * self.frameWidth()
        h = self.fontMetrics().height()
        return (inner.sizeHint() + QSize(f, f)).boundedTo(QSize(36 * h, 24 * h))


class ItemsScreen(ScreenBase):
    """Built once; a render sets the texts and shows the items of the current page (the
    buttons of every item shown so far are kept and re-used)."""

    def __init__(self, flow: Flow) -> None:
        super().__init__(flow)
        inner = QWidget()
        grid = QGridLayout(inner)
        grid.setSpacing(14)
        self.entries = Choices(grid, prefix="entry_")
        scroll = _FitScroll()
        scroll.setWidgetResizable(True)
        scroll.setWidget(inner)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        self.body.addWidget(scroll)
        self.scroll = scroll
        self.body.addWidget(self.page_row())

    def render(self, state: State) -> None:
        if state.group_id == BUNDLES:
            self.title.setText(self.tr("高效办成一件事：请选择"))
        else:
            g = self.flow.catalog.group(state.group_id or "")
            self.title.setText(self.tr("{group}：请选择事项").format(group=self.local(g, "name")))
        entries = self.flow.ticket.entries()
        columns = 1 if state.elder else 2
        placed = []
        for i, entry in enumerate(self.paginate(entries)):
            name = self.local(entry, "name")
            b = self.entries.get(entry.id, self._text(entry), self._choose(entry.id))
            b.setAccessibleName(name)
            placed.append((b, i // columns, i % columns, 1))
        self.entries.place(placed)
        self.scroll.updateGeometry()  # its size hint follows the buttons shown
        self.show_pages(len(entries))

    def _text(self, entry: Service | Bundle) -> str:
        """An item's name; a bundle's name over the items it bundles."""
        name = self.local(entry, "name")
        if isinstance(entry, Bundle):
            parts = [self.local(s, "name") for s in self.flow.catalog.bundle_items(entry)]
            return f"{name}\n" + (" + ".join(parts))
        return str(name)

    def _choose(self, eid: str) -> Callable[[], None]:
        return lambda: self.flow.ticket.choose_entry(eid)

    def build_ahead(self) -> None:
        catalog = self.flow.catalog
        for entry in [*catalog.services, *catalog.bundles]:
            self.entries.build_ahead(entry.id, self._text(entry), self._choose(entry.id))
