"""The Profiling dock for the selected run: a table per node, a Gantt timeline, the critical path.

The timeline has a row per node (in start order), a bar from start to end coloured by status, the
queue wait drawn faint before it, and the critical path outlined. Clicking a bar selects the node.
"Export cProfile" writes the run's .prof (recorded when the run was started with profiling on).
"""

from __future__ import annotations

from typing import Any

import networkx as nx
from PySide6.QtCore import QModelIndex, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDockWidget,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from flowforge_desktop.engine.events import NodeState
from flowforge_desktop.engine.run_view import RunView
from flowforge_desktop.ui.rundebug.table_model import RowsModel

STATE_COLOURS = {
    NodeState.SUCCEEDED: QColor("#43a047"),
    NodeState.FAILED: QColor("#e53935"),
    NodeState.CANCELLED: QColor("#9e9e9e"),
    NodeState.RUNNING: QColor("#1e88e5"),
    NodeState.PINNED: QColor("#8e24aa"),
    NodeState.PAUSED: QColor("#fb8c00"),
}
TABLE_COLUMNS = ("node", "state", "duration ms", "CPU ms", "queue wait ms", "attempts", "output bytes", "memory peak")


def profile_rows(view: RunView) -> list[tuple[str, str, float, float, float, int, int, int | None]]:
    """The table's rows, slowest first: what the user wants to see first."""
    rows = [
        (
            node_id,
            str(rec.state),
            rec.duration * 1000,
            rec.cpu_time * 1000,
            rec.queue_wait * 1000,
            rec.attempts,
            rec.output_size,
            rec.memory_peak,
        )
        for node_id, rec in view.nodes.items()
        if rec.started_at is not None
    ]
    rows.sort(key=lambda r: r[2], reverse=True)
    return rows


def describe_path(path: list[str], shown: int = 6) -> str:
    """A path for one line of text: short ones whole, long ones by their ends and their length."""
    if not path:
        return "-"
    if len(path) <= shown:
        return " → ".join(path)
    head, tail = path[: shown // 2], path[-(shown // 2) :]
    return f"{' → '.join(head)} → … → {' → '.join(tail)} ({len(path)} nodes)"


class ProfileModel(RowsModel):
    """The rows as a model: a 10,000-node run shows at once (no table item per cell)."""

    columns = TABLE_COLUMNS

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.rows: list[tuple[str, str, float, float, float, int, int, int | None]] = []
        self.critical: set[str] = set()

    def set_rows(self, rows: list[Any], critical: set[str]) -> None:
        self.beginResetModel()
        self.rows = rows
        self.critical = critical
        self.endResetModel()

    def data(self, index: Any, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self.rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            value = row[column]
            if column == 0 and value in self.critical:
                return f"★ {value}"
            if isinstance(value, float):
                return f"{value:.2f}"
            if value is None:
                return ""
            return f"{value:,}" if isinstance(value, int) else str(value)
        if role == Qt.ItemDataRole.TextAlignmentRole and column >= 2:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.UserRole:
            return row[0]
        return None


class Timeline(QWidget):
    nodeClicked = Signal(str)

    ROW = 18
    LABEL = 140

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.view: RunView | None = None
        self.order: list[str] = []
        self.critical: set[str] = set()
        self.selected = ""
        self._span_cache: tuple[float, float] | None = None
        self.setMouseTracking(True)

    def set_run(self, view: RunView | None, critical: list[str]) -> None:
        self.view = view
        self.critical = set(critical)
        if view is None:
            self.order = []
            self._row_of = {}
        else:
            ran = [(r.started_at or 0.0, n) for n, r in view.nodes.items() if r.started_at is not None]
            self.order = [n for _, n in sorted(ran)]
        self._row_of = {n: i for i, n in enumerate(self.order)}
        self._span_cache = self._span() if self.order else None
        self.setMinimumHeight(max(60, self.ROW * len(self.order) + 24))
        self.updateGeometry()
        self.update()

    def sizeHint(self) -> QSize:
        return QSize(600, max(60, self.ROW * len(self.order) + 24))

    def _span(self) -> tuple[float, float]:
        assert self.view is not None
        recs = [self.view.nodes[n] for n in self.order]
        start = min((r.queued_at or r.started_at or 0.0) for r in recs)
        end = max((r.finished_at or r.started_at or 0.0) for r in recs)
        return start, max(end - start, 1e-6)

    def bar_rect(self, node_id: str) -> QRectF:
        """Where a node's bar is drawn (also what a click is tested against)."""
        assert self.view is not None
        start, span = self._span_cache or self._span()
        rec = self.view.nodes[node_id]
        width = self.width() - self.LABEL - 8
        row = self._row_of[node_id]
        x0 = self.LABEL + ((rec.started_at or start) - start) / span * width
        x1 = self.LABEL + ((rec.finished_at or rec.started_at or start) - start) / span * width
        return QRectF(x0, 20 + row * self.ROW + 2, max(2.0, x1 - x0), self.ROW - 4)

    def paintEvent(self, event: Any) -> None:
        painter = QPainter(self)
        pal = self.palette()
        painter.fillRect(self.rect(), pal.base())
        if not self.view or not self.order:
            painter.setPen(pal.text().color())
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "Run the workflow to see its timeline")
            painter.end()
            return
        start, span = self._span_cache or self._span()
        width = self.width() - self.LABEL - 8
        painter.setPen(pal.text().color())
        painter.drawText(QRectF(self.LABEL, 0, width, 18), Qt.AlignmentFlag.AlignLeft, "0 ms")
        painter.drawText(QRectF(self.LABEL, 0, width, 18), Qt.AlignmentFlag.AlignRight, f"{span * 1000:.0f} ms")
        exposed = event.rect()
        first = max(0, (exposed.top() - 20) // self.ROW)
        last = min(len(self.order), (exposed.bottom() - 20) // self.ROW + 2)
        for row in range(first, last):  # only the rows on screen: a 10,000-node run has 10,000 rows
            node_id = self.order[row]
            rec = self.view.nodes[node_id]
            y = 20 + row * self.ROW
            if node_id == self.selected:
                painter.fillRect(QRectF(0, y, self.width(), self.ROW), pal.highlight().color().lighter(170))
            painter.setPen(pal.text().color())
            painter.drawText(QRectF(4, y, self.LABEL - 8, self.ROW), Qt.AlignmentFlag.AlignVCenter, node_id[:22])
            if rec.queued_at is not None and rec.started_at is not None and rec.started_at > rec.queued_at:
                qx = self.LABEL + (rec.queued_at - start) / span * width
                sx = self.LABEL + (rec.started_at - start) / span * width
                painter.fillRect(QRectF(qx, y + 7, sx - qx, 4), QColor(160, 160, 160, 110))
            bar = self.bar_rect(node_id)
            painter.fillRect(bar, STATE_COLOURS.get(rec.state, QColor("#bdbdbd")))
            if node_id in self.critical:
                painter.setPen(QPen(pal.text().color(), 2))
                painter.drawRect(bar)
        painter.end()

    def node_at(self, y: float) -> str | None:
        row = int((y - 20) // self.ROW)
        return self.order[row] if 0 <= row < len(self.order) else None

    def mousePressEvent(self, event: Any) -> None:
        node = self.node_at(event.position().y())
        if node is not None:
            self.selected = node
            self.update()
            self.nodeClicked.emit(node)


class ProfilingDock(QDockWidget):
    nodeSelected = Signal(str)
    exportRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Profiling", parent)
        self.setObjectName("ProfilingDock")
        self.view: RunView | None = None
        self.model = ProfileModel(self)
        self.table = QTableView(self)
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(20)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.selectionModel().currentRowChanged.connect(self._table_selected)
        self.timeline = Timeline(self)
        self.timeline.nodeClicked.connect(self.select_node)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.timeline)
        self.summary = QLabel("", self)
        self.trace_memory = QCheckBox("Trace memory on the next run (nodes run one at a time)", self)
        self.profile_next = QCheckBox("Record cProfile on the next run", self)
        self.export_button = QPushButton("Export cProfile…", self)
        self.export_button.setEnabled(False)
        self.export_button.clicked.connect(self.exportRequested)
        split = QSplitter(Qt.Orientation.Vertical, self)
        split.addWidget(self.table)
        split.addWidget(scroll)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 2)
        options = QHBoxLayout()
        options.addWidget(self.trace_memory)
        options.addWidget(self.profile_next)
        options.addStretch(1)
        options.addWidget(self.export_button)
        body = QWidget(self)
        layout = QVBoxLayout(body)
        layout.addWidget(self.summary)
        layout.addWidget(split)
        layout.addLayout(options)
        self.setWidget(body)
        self.critical: list[str] = []
        self._pending: tuple[Any, Any, bool] | None = None
        self.visibilityChanged.connect(lambda visible: visible and self._render_pending())

    def show_run(self, view: RunView | None, graph: nx.DiGraph | None, *, can_export: bool = False) -> None:
        """Show a run. While the dock is hidden (a tab behind another) only remember it: the table and
        the critical path of a 10,000-node run cost ~0.1 s, paid when the dock is opened."""
        self._pending = (view, graph, can_export)
        self.export_button.setEnabled(can_export)
        on_screen = self.isVisible() and not self.visibleRegion().isEmpty()  # a tab behind another is not
        if on_screen or view is None:
            self._render_pending()

    def _render_pending(self) -> None:
        if self._pending is None:
            return
        view, graph, can_export = self._pending
        self._pending = None
        self.view = view
        self.critical = view.critical_path(graph) if view is not None and graph is not None else []
        rows = profile_rows(view) if view is not None else []
        self.model.set_rows(rows, set(self.critical))
        self.timeline.set_run(view, self.critical)
        if view is not None:
            self.summary.setText(f"{len(rows):,} nodes ran · critical path: {describe_path(self.critical)}")
        else:
            self.summary.setText("")
        self.export_button.setEnabled(can_export)

    def select_node(self, node_id: str) -> None:
        self.timeline.selected = node_id
        self.timeline.update()
        self.nodeSelected.emit(node_id)

    def _table_selected(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if current.isValid():
            self.select_node(self.model.rows[current.row()][0])

    def cell(self, row: int, column: int) -> str:
        """What the table shows at (row, column)."""
        return str(self.model.index(row, column).data())
