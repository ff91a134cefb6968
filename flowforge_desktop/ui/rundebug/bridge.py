"""Engine events into Qt, coalesced: at most one repaint per interval, never one per event.

The engine runs on Qt's loop through qasync, so its events arrive on the GUI thread; a 10,000-node
run still sends ~30,000 of them. The bridge folds each into a ``RunView`` (cheap) and tells the
views once per interval which runs and nodes changed (PITFALLS: batch, flush every 50-100 ms).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from PySide6.QtCore import QObject, QTimer, Signal

from flowforge_desktop.engine.events import Event, LogLine, NodePaused, RunFinished, RunStarted
from flowforge_desktop.engine.run_view import RunView


@dataclass(slots=True)
class Update:
    """What changed since the last flush."""

    runs: dict[str, RunView] = field(default_factory=dict)
    nodes: dict[str, set[str]] = field(default_factory=dict)
    logs: list[LogLine] = field(default_factory=list)
    started: list[str] = field(default_factory=list)
    finished: list[str] = field(default_factory=list)
    paused: list[tuple[str, str]] = field(default_factory=list)
    events: int = 0


class RunBridge(QObject):
    """Subscribes to an engine; emits ``updated(Update)`` at most every ``interval_ms``."""

    updated = Signal(object)

    def __init__(self, engine: object, interval_ms: int = 50, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.views: dict[str, RunView] = {}
        self._pending = Update()
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.flush)
        self._unsubscribe: Callable[[], None] = engine.subscribe(self._on_event)  # type: ignore[attr-defined]
        self.flushes = 0

    def close(self) -> None:
        self._unsubscribe()
        self._timer.stop()

    def _on_event(self, event: Event) -> None:
        execution_id = getattr(event, "execution_id", None)
        pending = self._pending
        pending.events += 1
        if execution_id is not None:
            view = self.views.get(execution_id)
            if view is None:
                view = self.views[execution_id] = RunView(execution_id)
            view.apply(event)
            pending.runs[execution_id] = view
            node_id = getattr(event, "node_id", None)
            if node_id is not None:
                pending.nodes.setdefault(execution_id, set()).add(node_id)
            if isinstance(event, RunStarted):
                pending.started.append(execution_id)
            elif isinstance(event, RunFinished):
                pending.finished.append(execution_id)
            elif isinstance(event, NodePaused):
                pending.paused.append((execution_id, event.node_id))
        if isinstance(event, LogLine):
            pending.logs.append(event)
        if not self._timer.isActive():
            self._timer.start()

    def flush(self) -> None:
        """Hand everything pending to the views in one signal."""
        self._timer.stop()
        update, self._pending = self._pending, Update()
        if update.events:
            self.flushes += 1
            self.updated.emit(update)

    def forget(self, execution_id: str) -> None:
        self.views.pop(execution_id, None)
