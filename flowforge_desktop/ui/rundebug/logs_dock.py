"""The Logs dock: live log lines with filters; clicking a line selects its node.

Lines are appended in batches from the bridge (one model insert per flush). The model keeps the
newest 50,000 lines; the full history stays in SQLite and in the rotating log file.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Iterable
from typing import Any

from PySide6.QtCore import (
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtGui import QBrush, QColor, QGuiApplication, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDockWidget,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from flowforge_desktop.engine.events import LogLine
from flowforge_desktop.ui.rundebug.table_model import RowsModel

LEVELS = ("debug", "info", "warning", "error", "critical")
COLUMNS = ("time", "level", "workflow", "run", "node", "message")
_LEVEL_COLOURS = {"warning": QColor("#f9a825"), "error": QColor("#e53935"), "critical": QColor("#b71c1c")}
Index = QModelIndex | QPersistentModelIndex


class LogModel(RowsModel):
    columns = COLUMNS

    def __init__(self, limit: int = 50_000, parent: Any = None) -> None:
        super().__init__(parent)
        self.lines: deque[LogLine] = deque()
        self.rows = self.lines
        self.limit = limit
        self.workflow_names: dict[str, str] = {}

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        line = self.lines[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return self.cell(line, index.column())
        if role == Qt.ItemDataRole.ForegroundRole and line.level in _LEVEL_COLOURS:
            return QBrush(_LEVEL_COLOURS[line.level])
        if role == Qt.ItemDataRole.UserRole:
            return line
        return None

    def cell(self, line: LogLine, column: int) -> str:
        if column == 0:
            return time.strftime("%H:%M:%S", time.localtime(line.at)) + f".{int(line.at * 1000) % 1000:03d}"
        if column == 1:
            return line.level
        if column == 2:
            wid = line.workflow_id or ""
            return self.workflow_names.get(wid, wid[:8])
        if column == 3:
            return (line.execution_id or "")[:8]
        if column == 4:
            return line.node_id or ""
        return line.message

    def append(self, lines: Iterable[LogLine]) -> None:
        new = list(lines)
        if not new:
            return
        overflow = len(self.lines) + len(new) - self.limit
        if overflow > 0:
            drop = min(overflow, len(self.lines))
            self.beginRemoveRows(QModelIndex(), 0, drop - 1)
            for _ in range(drop):
                self.lines.popleft()
            self.endRemoveRows()
            new = new[-self.limit :]
        start = len(self.lines)
        self.beginInsertRows(QModelIndex(), start, start + len(new) - 1)
        self.lines.extend(new)
        self.endInsertRows()


class LogFilter(QSortFilterProxyModel):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.min_level = "debug"
        self.text = ""
        self.run_id = ""
        self.node_id = ""

    def set(self, **changes: str) -> None:
        modern = hasattr(self, "beginFilterChange")  # Qt >= 6.10 deprecates invalidateFilter()
        if modern:
            self.beginFilterChange()
        for key, value in changes.items():
            setattr(self, key, value)
        if modern:
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
        else:
            self.invalidateFilter()

    def filterAcceptsRow(self, row: int, parent: Index) -> bool:
        model: LogModel = self.sourceModel()  # type: ignore[assignment]
        line = model.lines[row]
        if line.level in LEVELS and LEVELS.index(line.level) < LEVELS.index(self.min_level):
            return False
        if self.run_id and not (line.execution_id or "").startswith(self.run_id):
            return False
        if self.node_id and line.node_id != self.node_id:
            return False
        return not (self.text and self.text.lower() not in line.message.lower())


class LogsDock(QDockWidget):
    nodeActivated = Signal(str, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Logs", parent)
        self.setObjectName("LogsDock")
        self.model = LogModel(parent=self)
        self.proxy = LogFilter(self)
        self.proxy.setSourceModel(self.model)
        self.table = QTableView(self)
        self.table.setModel(self.proxy)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(20)
        self.table.horizontalHeader().setSectionResizeMode(5, QHeaderView.ResizeMode.Stretch)
        self.table.clicked.connect(self._clicked)
        self.level = QComboBox(self)
        self.level.addItems(LEVELS)
        self.level.currentTextChanged.connect(lambda v: self.proxy.set(min_level=v))
        self.text = QLineEdit(self)
        self.text.setPlaceholderText("Filter messages")
        self.text.setClearButtonEnabled(True)
        self.text.textChanged.connect(lambda v: self.proxy.set(text=v))
        self.run = QLineEdit(self)
        self.run.setPlaceholderText("Run id")
        self.run.setClearButtonEnabled(True)
        self.run.textChanged.connect(lambda v: self.proxy.set(run_id=v.strip()))
        self.node = QLineEdit(self)
        self.node.setPlaceholderText("Node id")
        self.node.setClearButtonEnabled(True)
        self.node.textChanged.connect(lambda v: self.proxy.set(node_id=v.strip()))
        bar = QHBoxLayout()
        for w in (self.level, self.text, self.run, self.node):
            bar.addWidget(w)
        body = QWidget(self)
        layout = QVBoxLayout(body)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addLayout(bar)
        layout.addWidget(self.table)
        self.setWidget(body)
        QShortcut(QKeySequence.StandardKey.Copy, self.table, activated=self.copy_selection)
        self.follow = True

    def append(self, lines: Iterable[LogLine]) -> None:
        self.model.append(lines)
        if self.follow:
            self.table.scrollToBottom()

    def filter_node(self, node_id: str) -> None:
        """The canvas selection filters the log to that node (empty: all)."""
        self.node.setText(node_id)

    def visible_lines(self) -> list[LogLine]:
        return [self.proxy.index(r, 0).data(Qt.ItemDataRole.UserRole) for r in range(self.proxy.rowCount())]

    def copy_selection(self) -> str:
        rows = sorted({i.row() for i in self.table.selectionModel().selectedRows()})
        lines = [self.proxy.index(r, 0).data(Qt.ItemDataRole.UserRole) for r in rows]
        text = "\n".join(
            "\t".join(self.model.cell(line, c) for c in range(len(COLUMNS))) for line in lines if line is not None
        )
        QGuiApplication.clipboard().setText(text)
        return text

    def _clicked(self, index: QModelIndex) -> None:
        line: LogLine = index.siblingAtColumn(0).data(Qt.ItemDataRole.UserRole)
        if line is not None and line.node_id:
            self.nodeActivated.emit(line.execution_id or "", line.node_id)
