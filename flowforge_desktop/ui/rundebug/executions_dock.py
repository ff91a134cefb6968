"""The Executions dock: the history of this workflow (or all), newest first.

Rows come a page at a time by keyset (``HistoryStore.list_executions(after=cursor)``) as the view
scrolls, through Qt's ``canFetchMore``/``fetchMore``: opening it costs one page whether the history
holds 100 or 100,000 executions.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from PySide6.QtCore import QDate, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDockWidget,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSpinBox,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from flowforge_desktop.store.history import Cursor, HistoryStore
from flowforge_desktop.ui.rundebug.table_model import RowsModel

COLUMNS = ("started", "status", "workflow", "trigger", "duration", "error", "id")
STATUSES = ("all", "succeeded", "failed", "running", "cancelled", "interrupted")
STATUS_COLOURS = {
    "succeeded": QColor("#2e7d32"),
    "failed": QColor("#c62828"),
    "running": QColor("#1565c0"),
    "cancelled": QColor("#757575"),
    "interrupted": QColor("#ef6c00"),
}
Index = QModelIndex | QPersistentModelIndex


class ExecutionsModel(RowsModel):
    PAGE = 100
    columns = COLUMNS

    def __init__(self, store: HistoryStore, parent: Any = None) -> None:
        super().__init__(parent)
        self.store = store
        self.rows: list[dict[str, Any]] = []
        self._next: Cursor | None = None
        self._exhausted = True
        self.filters: dict[str, Any] = {}
        self.pages_loaded = 0

    def reload(self, **filters: Any) -> None:
        self.beginResetModel()
        self.filters = filters
        page = self.store.list_executions(limit=self.PAGE, **filters)
        self.rows = page.rows
        self._next = page.next
        self._exhausted = page.next is None
        self.pages_loaded = 1
        self.endResetModel()

    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and not self._exhausted

    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: B008
        if self._exhausted:
            return
        page = self.store.list_executions(limit=self.PAGE, after=self._next, **self.filters)
        if page.rows:
            start = len(self.rows)
            self.beginInsertRows(QModelIndex(), start, start + len(page.rows) - 1)
            self.rows.extend(page.rows)
            self.endInsertRows()
        self._next = page.next
        self._exhausted = page.next is None
        self.pages_loaded += 1

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self.rows[index.row()]
        column = COLUMNS[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            if column == "started":
                return datetime.fromtimestamp(row["created_at"]).strftime("%Y-%m-%d %H:%M:%S")
            if column == "workflow":
                return row["workflow_name"] or row["workflow_id"][:8]
            if column == "duration":
                if row["finished_at"] and row["started_at"]:
                    return f"{row['finished_at'] - row['started_at']:.2f} s"
                return "…" if row["status"] == "running" else ""
            if column == "error":
                return row["error"] or ""
            return str(row[column] or "")
        if role == Qt.ItemDataRole.ForegroundRole and column == "status":
            colour = STATUS_COLOURS.get(row["status"])
            return QBrush(colour) if colour else None
        if role == Qt.ItemDataRole.ToolTipRole and column == "error":
            return row["error"]
        if role == Qt.ItemDataRole.UserRole:
            return row
        return None


class ExecutionsDock(QDockWidget):
    executionSelected = Signal(str)
    retryRequested = Signal(str, bool)

    def __init__(self, store: HistoryStore, parent: QWidget | None = None) -> None:
        super().__init__("Executions", parent)
        self.setObjectName("ExecutionsDock")
        self.store = store
        self.workflow_id: str | None = None
        self.model = ExecutionsModel(store, self)
        self._pending: set[Any] = set()
        self.table = QTableView(self)
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(20)
        self.table.horizontalHeader().setSectionResizeMode(5, QHeaderView.ResizeMode.Stretch)
        self.table.doubleClicked.connect(self._activated)
        self.table.selectionModel().currentRowChanged.connect(lambda cur, _prev: self._activated(cur))
        self.scope = QCheckBox("This workflow only", self)
        self.scope.setChecked(True)
        self.scope.toggled.connect(self.refresh)
        self.status = QComboBox(self)
        self.status.addItems(STATUSES)
        self.status.currentTextChanged.connect(self.refresh)
        self.since = QDateEdit(self)
        self.since.setCalendarPopup(True)
        self.since.setSpecialValueText("any date")
        self.since.setMinimumDate(QDate(2000, 1, 1))
        self.since.setDate(self.since.minimumDate())
        self.since.dateChanged.connect(self.refresh)
        self.count = QLabel("", self)
        retry_failed = QPushButton("Retry from failed node", self)
        retry_failed.clicked.connect(lambda: self._retry(True))
        retry_start = QPushButton("Retry from start", self)
        retry_start.clicked.connect(lambda: self._retry(False))
        delete = QPushButton("Delete", self)
        delete.clicked.connect(self.delete_selected)
        self.keep_days = QSpinBox(self)
        self.keep_days.setRange(1, 3650)
        self.keep_days.setValue(30)
        self.keep_days.setSuffix(" days")
        prune = QPushButton("Prune older", self)
        prune.clicked.connect(self.prune)
        filters = QHBoxLayout()
        for w in (self.scope, self.status, self.since, self.count):
            filters.addWidget(w)
        actions = QHBoxLayout()
        for w in (retry_failed, retry_start, delete, self.keep_days, prune):
            actions.addWidget(w)
        body = QWidget(self)
        layout = QVBoxLayout(body)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addLayout(filters)
        layout.addWidget(self.table)
        layout.addLayout(actions)
        self.setWidget(body)

    def set_workflow(self, workflow_id: str | None) -> None:
        self.workflow_id = workflow_id
        self.refresh()

    def filters(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.scope.isChecked() and self.workflow_id:
            out["workflow_id"] = self.workflow_id
        if self.status.currentText() != "all":
            out["status"] = self.status.currentText()
        if self.since.date() > self.since.minimumDate():
            day = self.since.date()
            out["since"] = datetime(day.year(), day.month(), day.day()).timestamp()
        return out

    def refresh(self) -> None:
        filters = self.filters()
        self.model.reload(**filters)
        total = self.store.count_executions(**filters)
        self.count.setText(f"{total:,} execution{'s' if total != 1 else ''}")

    def selected_ids(self) -> list[str]:
        return [self.model.rows[i.row()]["id"] for i in self.table.selectionModel().selectedRows()]

    def _activated(self, index: QModelIndex) -> None:
        if index.isValid():
            self.executionSelected.emit(self.model.rows[index.row()]["id"])

    def _retry(self, from_failed: bool) -> None:
        ids = self.selected_ids()
        if ids:
            self.retryRequested.emit(ids[0], from_failed)

    def delete_selected(self) -> int:
        ids = self.selected_ids()
        if not ids:
            return 0
        self.store.flush()
        deleted = self.store.delete_executions(ids)
        self.refresh()
        return deleted

    def prune(self) -> int:
        self.store.flush()
        deleted = self.store.prune(keep_days=self.keep_days.value())
        self.refresh()
        return deleted

    def note_run_finished(self) -> None:
        """A run finished: show it once the history has it. The wait for the writer happens in a
        thread; the refresh itself is one page."""
        import asyncio

        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.store.flush(2)
            self.refresh()
            return

        async def later() -> None:
            await asyncio.to_thread(self.store.flush, 5)
            self.refresh()

        task = loop.create_task(later())
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)
