"""The palette: node kinds by category with a search box. Drag a kind onto the canvas, or double-click
it to add it at the centre of the view."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QMimeData, Qt, Signal
from PySide6.QtWidgets import QLineEdit, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from flowforge_desktop.nodes.registry import NodeRegistry
from flowforge_desktop.ui.icons import kind_icon
from flowforge_desktop.ui.theme import CATEGORY_COLORS
from flowforge_desktop.ui.view import MIME_KIND

CATEGORY_TITLES = {"trigger": "Triggers", "action": "Actions", "operation": "Operations"}


class KindTree(QTreeWidget):
    def mimeTypes(self) -> list[str]:
        return [MIME_KIND]

    def mimeData(self, items: Sequence[QTreeWidgetItem]) -> QMimeData:
        mime = QMimeData()
        kinds = [i.data(0, Qt.ItemDataRole.UserRole) for i in items if i.data(0, Qt.ItemDataRole.UserRole)]
        if kinds:
            mime.setData(MIME_KIND, kinds[0].encode())
            mime.setText(kinds[0])
        return mime


class Palette(QWidget):
    kindActivated = Signal(str)

    def __init__(self, registry: NodeRegistry, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        self.search = QLineEdit(self)
        self.search.setPlaceholderText("Search nodes…")
        self.search.setClearButtonEnabled(True)
        self.tree = KindTree(self)
        self.tree.setHeaderHidden(True)
        self.tree.setDragEnabled(True)
        self.tree.setDragDropMode(QTreeWidget.DragDropMode.DragOnly)
        self.tree.setIndentation(12)
        layout.addWidget(self.search)
        layout.addWidget(self.tree)
        self.items: dict[str, QTreeWidgetItem] = {}
        categories: dict[str, QTreeWidgetItem] = {}
        for kind in registry:
            cat = kind.category.value
            parent_item = categories.get(cat)
            if parent_item is None:
                parent_item = QTreeWidgetItem([CATEGORY_TITLES.get(cat, cat.title())])
                parent_item.setFlags(Qt.ItemFlag.ItemIsEnabled)
                font = parent_item.font(0)
                font.setBold(True)
                parent_item.setFont(0, font)
                self.tree.addTopLevelItem(parent_item)
                categories[cat] = parent_item
            item = QTreeWidgetItem([kind.display_title()])
            item.setIcon(0, kind_icon(kind.kind, kind.icon, CATEGORY_COLORS.get(cat, "#888")))
            item.setToolTip(0, f"{kind.description}\n\nDrag onto the canvas, or double-click to add.")
            item.setData(0, Qt.ItemDataRole.UserRole, kind.kind)
            item.setData(
                0, Qt.ItemDataRole.UserRole + 1, f"{kind.kind} {kind.display_title()} {kind.description}".lower()
            )
            item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsDragEnabled)
            parent_item.addChild(item)
            self.items[kind.kind] = item
        self.tree.expandAll()
        self.search.textChanged.connect(self.filter)
        self.tree.itemDoubleClicked.connect(self._double_clicked)

    def filter(self, text: str) -> None:
        words = text.lower().split()
        for i in range(self.tree.topLevelItemCount()):
            cat = self.tree.topLevelItem(i)
            any_visible = False
            for j in range(cat.childCount()):
                child = cat.child(j)
                visible = all(w in child.data(0, Qt.ItemDataRole.UserRole + 1) for w in words)
                child.setHidden(not visible)
                any_visible |= visible
            cat.setHidden(not any_visible)

    def visible_kinds(self) -> list[str]:
        return [k for k, item in self.items.items() if not item.isHidden()]

    def _double_clicked(self, item: QTreeWidgetItem, _column: int) -> None:
        kind = item.data(0, Qt.ItemDataRole.UserRole)
        if kind:
            self.kindActivated.emit(kind)
