"""The Health dock: the same figures the agent serves at /health/detailed, drawn once a second.

It calls one provider function (``agent.health.health_snapshot`` bound to this process's engine,
store and supervisor) so the dock and the API can never disagree.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, QTimer
from PySide6.QtGui import QPainter, QPainterPath, QPen
from PySide6.QtWidgets import (
    QDockWidget,
    QFormLayout,
    QGroupBox,
    QLabel,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)


class Sparkline(QWidget):
    """The last N samples of one figure as a line, with the current value written beside it."""

    def __init__(self, unit: str = "", keep: int = 120, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.samples: deque[float] = deque(maxlen=keep)
        self.unit = unit
        self.setMinimumHeight(28)
        self.setMinimumWidth(200)

    def sizeHint(self) -> QSize:
        return QSize(180, 28)

    def add(self, value: float | None) -> None:
        if value is not None:
            self.samples.append(float(value))
            self.update()

    def paintEvent(self, event: Any) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = QRectF(self.rect()).adjusted(1, 3, -70, -3)
        colour = self.palette().highlight().color()
        if len(self.samples) >= 2:
            top = max(self.samples) or 1.0
            step = rect.width() / (self.samples.maxlen - 1 if self.samples.maxlen else 1)
            x0 = rect.right() - step * (len(self.samples) - 1)
            path = QPainterPath(QPointF(x0, rect.bottom() - rect.height() * self.samples[0] / top))
            for i, v in enumerate(self.samples):
                path.lineTo(QPointF(x0 + i * step, rect.bottom() - rect.height() * v / top))
            painter.setPen(QPen(colour, 1.5))
            painter.drawPath(path)
        if self.samples:
            painter.setPen(self.palette().text().color())
            text_rect = QRectF(rect.right() + 4, 0, 66, self.height())
            painter.drawText(text_rect, Qt.AlignmentFlag.AlignVCenter, f"{self.samples[-1]:.1f} {self.unit}")
        painter.end()


class HealthDock(QDockWidget):
    def __init__(self, provider: Callable[[], dict[str, Any]], parent: QWidget | None = None) -> None:
        super().__init__("Health", parent)
        self.setObjectName("HealthDock")
        self.provider = provider
        self.cpu = Sparkline("%", parent=self)
        self.memory = Sparkline("MB", parent=self)
        self.lag = Sparkline("ms", parent=self)
        self.executions = QLabel("", self)
        self.store = QLabel("", self)
        self.status = QLabel("", self)
        figures = QGroupBox("Process", self)
        form = QFormLayout(figures)
        form.addRow("Status", self.status)
        form.addRow("CPU", self.cpu)
        form.addRow("Memory", self.memory)
        form.addRow("Event-loop lag", self.lag)
        form.addRow("Executions", self.executions)
        form.addRow("History", self.store)
        self.tree = QTreeWidget(self)
        self.tree.setHeaderLabels(["name", "state", "detail"])
        self.tree.setColumnWidth(0, 190)
        self.tree.setColumnWidth(1, 90)
        self.triggers = QTreeWidgetItem(self.tree, ["Armed triggers"])
        self.breakers = QTreeWidgetItem(self.tree, ["Circuit breakers"])
        self.limiters = QTreeWidgetItem(self.tree, ["Rate limiters"])
        body = QWidget(self)
        layout = QVBoxLayout(body)
        layout.addWidget(figures)
        layout.addWidget(self.tree)
        self.setWidget(body)
        self.timer = QTimer(self)
        self.timer.setInterval(1000)
        self.timer.timeout.connect(self.refresh)
        self.last: dict[str, Any] = {}

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        self.refresh()
        self.timer.start()

    def hideEvent(self, event: Any) -> None:
        super().hideEvent(event)
        self.timer.stop()  # nothing to draw: ask for nothing

    def refresh(self) -> dict[str, Any]:
        data = self.provider()
        self.last = data
        process = data.get("process", {})
        self.status.setText(str(data.get("status", "")))
        self.cpu.add(process.get("cpu_percent"))
        self.memory.add(process.get("memory_rss_mb"))
        self.lag.add((data.get("event_loop") or {}).get("lag_ms"))
        execs = data.get("executions") or {}
        self.executions.setText(f"{execs.get('running', 0)} running · {execs.get('queued', 0)} queued")
        store = data.get("store") or {}
        if "size_bytes" in store:
            self.store.setText(f"{store['size_bytes'] / 1024 / 1024:.1f} MB")
        self._fill(
            self.triggers,
            [
                (f"{t.get('workflow_name', '')}/{t.get('node_id', '')}", t.get("state", ""), t.get("next_fire") or "")
                for t in data.get("triggers", [])
            ],
        )
        self._fill(
            self.breakers,
            [
                (b["key"], b["state"], f"{b['failures']}/{b['failure_threshold']} failures, retry in {b['retry_in']} s")
                for b in data.get("circuit_breakers", [])
            ],
        )
        self._fill(
            self.limiters,
            [
                (b["key"], f"{b['tokens']}/{b['capacity']} tokens", f"{b['rate']}/{b['per']} s, {b['waiting']} waiting")
                for b in data.get("rate_limiters", [])
            ],
        )
        return data

    def _fill(self, parent: QTreeWidgetItem, rows: list[tuple[str, str, str]]) -> None:
        parent.takeChildren()
        for row in rows:
            QTreeWidgetItem(parent, list(row))
        parent.setText(1, str(len(rows)))
        parent.setExpanded(True)
