"""A JSON value as a tree: search, copy a value, copy its path as a template expression.

Children are created when a branch is expanded (``canFetchMore``), so a 50,000-item output opens
at once.
"""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QMenu, QTreeView, QVBoxLayout, QWidget

from flowforge_desktop.engine.templates import template_path

Index = QModelIndex | QPersistentModelIndex


class _Node:
    __slots__ = ("children", "key", "loaded", "parent", "row", "value")

    def __init__(self, key: str | int | None, value: Any, parent: _Node | None, row: int) -> None:
        self.key = key
        self.value = value
        self.parent = parent
        self.row = row
        self.children: list[_Node] = []
        self.loaded = not isinstance(value, dict | list)

    def path(self) -> list[str | int]:
        out: list[str | int] = []
        node: _Node | None = self
        while node is not None and node.parent is not None:
            out.append(node.key)  # type: ignore[arg-type]
            node = node.parent
        return out[::-1]

    def load(self) -> None:
        if self.loaded:
            return
        items = self.value.items() if isinstance(self.value, dict) else enumerate(self.value)
        self.children = [_Node(k, v, self, i) for i, (k, v) in enumerate(items)]
        self.loaded = True


def preview(value: Any) -> str:
    if isinstance(value, dict):
        return f"{{{len(value)} key{'' if len(value) == 1 else 's'}}}"
    if isinstance(value, list):
        return f"[{len(value)} item{'' if len(value) == 1 else 's'}]"
    text = json.dumps(value, default=str, ensure_ascii=False)
    return text if len(text) <= 200 else text[:197] + "..."


class JsonModel(QAbstractItemModel):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._root = _Node(None, None, None, 0)

    def set_value(self, value: Any) -> None:
        self.beginResetModel()
        self._root = _Node(None, {"": value} if not isinstance(value, dict | list) else value, None, 0)
        self._scalar_root = not isinstance(value, dict | list)
        self._root.load()
        self.endResetModel()

    def node(self, index: Index) -> _Node:
        return index.internalPointer() if index.isValid() else self._root  # type: ignore[no-any-return]

    def index(self, row: int, column: int, parent: Index = QModelIndex()) -> QModelIndex:  # noqa: B008
        node = self.node(parent)
        node.load()
        if 0 <= row < len(node.children):
            return self.createIndex(row, column, node.children[row])
        return QModelIndex()

    def parent(self, index: Index = QModelIndex()) -> QModelIndex:  # type: ignore[override]  # noqa: B008
        if not index.isValid():
            return QModelIndex()
        parent = self.node(index).parent
        if parent is None or parent is self._root:
            return QModelIndex()
        return self.createIndex(parent.row, 0, parent)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        node = self.node(parent)
        return len(node.children) if node.loaded else 0

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 2

    def hasChildren(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008
        node = self.node(parent)
        return bool(node.children) if node.loaded else bool(node.value)

    def canFetchMore(self, parent: Index) -> bool:
        return not self.node(parent).loaded

    def fetchMore(self, parent: Index) -> None:
        node = self.node(parent)
        count = len(node.value)
        self.beginInsertRows(parent, 0, count - 1)
        node.load()
        self.endInsertRows()

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        node = self.node(index)
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            if index.column() == 0:
                return "" if node.key == "" else str(node.key)
            return preview(node.value)
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return ("key", "value")[section]
        return None

    def find(self, text: str) -> list[QModelIndex]:
        """Indexes (loading branches as needed) whose key or scalar value contains ``text``."""
        needle = text.lower()
        found: list[QModelIndex] = []

        def walk(node: _Node, parent: QModelIndex) -> None:
            if not node.loaded:
                self.fetchMore(parent)
            for child in node.children:
                idx = self.index(child.row, 0, parent)
                scalar = not isinstance(child.value, dict | list)
                if needle in str(child.key).lower() or (scalar and needle in preview(child.value).lower()):
                    found.append(idx)
                if not scalar and len(found) < 500:
                    walk(child, idx)

        walk(self._root, QModelIndex())
        return found


class JsonView(QWidget):
    """Tree + search box. ``node_id`` names whose output this is, for "copy path as template"."""

    copied = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.node_id = ""
        self.model = JsonModel(self)
        self.tree = QTreeView(self)
        self.tree.setModel(self.model)
        self.tree.setUniformRowHeights(True)
        self.tree.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.tree.customContextMenuRequested.connect(self._menu)
        # deeper keys are indented further: widen the key column as branches open
        self.tree.expanded.connect(lambda _index: self.tree.resizeColumnToContents(0))
        self.search = QLineEdit(self)
        self.search.setPlaceholderText("Search keys and values")
        self.search.setClearButtonEnabled(True)
        self.search.returnPressed.connect(self.find_next)
        self.found = QLabel("", self)
        self._hits: list[QModelIndex] = []
        self._hit = -1
        top = QHBoxLayout()
        top.addWidget(self.search)
        top.addWidget(self.found)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.tree)
        self.value: Any = None

    def set_value(self, value: Any, node_id: str = "") -> None:
        self.value = value
        self.node_id = node_id
        self.model.set_value(value)
        self.tree.expandToDepth(0)
        self.tree.resizeColumnToContents(0)
        self._hits, self._hit = [], -1
        self.found.setText("")

    def find_next(self) -> None:
        text = self.search.text()
        if not text:
            return
        if self._hit < 0 or not self._hits:
            self._hits = self.model.find(text)
        if not self._hits:
            self.found.setText("no match")
            return
        self._hit = (self._hit + 1) % len(self._hits)
        idx = self._hits[self._hit]
        self.tree.setCurrentIndex(idx)
        self.tree.scrollTo(idx)
        self.found.setText(f"{self._hit + 1}/{len(self._hits)}")

    def current_path(self) -> list[str | int]:
        idx = self.tree.currentIndex()
        if not idx.isValid():
            return []
        path = self.model.node(idx).path()
        return [p for p in path if p != ""]

    def copy_value(self) -> str:
        idx = self.tree.currentIndex()
        value = self.model.node(idx).value if idx.isValid() else self.value
        text = value if isinstance(value, str) else json.dumps(value, indent=2, default=str, ensure_ascii=False)
        QGuiApplication.clipboard().setText(text)
        self.copied.emit(text)
        return text

    def copy_path(self) -> str:
        text = template_path(self.node_id or "node", self.current_path())
        QGuiApplication.clipboard().setText(text)
        self.copied.emit(text)
        return text

    def _menu(self, pos: Any) -> None:
        menu = QMenu(self)
        menu.addAction("Copy value", self.copy_value)
        path_action = menu.addAction("Copy path as template", self.copy_path)
        path_action.setEnabled(bool(self.node_id))
        menu.popup(self.tree.viewport().mapToGlobal(pos))
