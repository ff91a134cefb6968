"""The system tray: the agent's face while the designer window is closed.

``install_tray(app, agent, open_designer, open_run)`` puts an icon in the tray that shows whether the
agent is idle, running something, paused, or has a problem; its menu opens the designer, toggles
and runs the active workflows, pauses all triggers, lists recent runs and quits. A failed run shows
a notification; clicking it opens that run. ``tray.attach_window(window)`` makes closing the window
hide it to the tray (the first time, a notice says so).

Where no system tray exists (bare X servers, GNOME without the AppIndicator extension), the app says
so and closing the window quits: never a hidden process no one can reach.

Everything here runs on the Qt thread, which is the asyncio loop's thread under qasync; agent calls
are coroutines scheduled as tasks (held in a set, never awaited through a nested Qt loop).
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable, Coroutine
from enum import StrEnum
from typing import Any

from PySide6.QtCore import QEvent, QObject, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QBrush, QColor, QIcon, QPainter, QPainterPath, QPen, QPixmap
from PySide6.QtWidgets import QApplication, QMenu, QSystemTrayIcon, QWidget

log = logging.getLogger(__name__)

NO_TRAY_MESSAGE = (
    "No system tray is available on this desktop, so FlowForge cannot keep running in the background: "
    "closing this window stops the agent and its triggers. (On GNOME, install the AppIndicator extension; "
    "on a server, use 'flowforge-desktop agent --headless'.)"
)
HIDDEN_NOTICE = (
    "FlowForge Desktop is still running: your active workflows keep firing. Use the tray icon to open the "
    "designer again or to quit."
)


class TrayState(StrEnum):
    IDLE = "idle"
    RUNNING = "running"
    ERROR = "error"
    PAUSED = "paused"


_COLORS = {
    TrayState.IDLE: "#3b82f6",
    TrayState.RUNNING: "#16a34a",
    TrayState.ERROR: "#dc2626",
    TrayState.PAUSED: "#6b7280",
}


def make_icon(state: TrayState) -> QIcon:
    """A rounded square in the state's colour with a small flow glyph (three linked dots)."""
    icon = QIcon()
    for size in (16, 22, 24, 32, 48, 64):
        pix = QPixmap(size, size)
        pix.fill(Qt.GlobalColor.transparent)
        p = QPainter(pix)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QBrush(QColor(_COLORS[state])))
        p.drawRoundedRect(0, 0, size, size, size * 0.22, size * 0.22)
        pen = QPen(QColor("white"), max(1.0, size / 14))
        p.setPen(pen)
        a, b, c = (size * 0.25, size * 0.7), (size * 0.5, size * 0.3), (size * 0.75, size * 0.7)
        path = QPainterPath()
        path.moveTo(*a)
        path.lineTo(*b)
        path.lineTo(*c)
        p.drawPath(path)
        p.setBrush(QBrush(QColor("white")))
        r = max(1.5, size / 10)
        for x, y in (a, b, c):
            p.drawEllipse(int(x - r), int(y - r), int(2 * r), int(2 * r))
        if state is TrayState.PAUSED:
            p.setPen(Qt.PenStyle.NoPen)
            w = max(1.0, size / 10)
            p.drawRect(int(size * 0.62), int(size * 0.06), int(w), int(size * 0.22))
            p.drawRect(int(size * 0.80), int(size * 0.06), int(w), int(size * 0.22))
        p.end()
        icon.addPixmap(pix)
    return icon


_STATUS_MARKS = {"succeeded": "✓", "failed": "✗", "interrupted": "⏹", "cancelled": "⏹"}


class AgentTray(QObject):
    """The tray icon and its menu for one Agent."""

    state_changed = Signal(str)

    def __init__(
        self,
        app: QApplication,
        agent: Any,
        open_designer: Callable[[], None],
        open_run: Callable[[str], None],
        on_quit: Callable[[], Any] | None = None,
        *,
        recent_limit: int = 10,
    ) -> None:
        super().__init__(app)
        self.app = app
        self.agent = agent
        self.open_designer = open_designer
        self.open_run = open_run
        self.on_quit = on_quit
        self.available = QSystemTrayIcon.isSystemTrayAvailable()
        self.state = TrayState.IDLE
        self.failed_since_start = 0
        self.unseen_failure: str | None = None  # execution id the next notification click opens
        self.recent: deque[dict[str, Any]] = deque(maxlen=recent_limit)
        self.windows: list[QWidget] = []
        self._quitting = False
        self._tasks: set[asyncio.Task[Any]] = set()
        self._icons = {s: make_icon(s) for s in TrayState}
        self._refresh_timer = QTimer(self)
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(80)  # agent events come in bursts: one repaint per burst
        self._refresh_timer.timeout.connect(self.refresh)

        self.menu = QMenu()
        self.menu.aboutToShow.connect(self._acknowledge)
        self.menu.aboutToHide.connect(self._rebuild_if_stale)
        self._submenus: list[QMenu] = []
        self._menu_stale = False
        self.tray = QSystemTrayIcon(self._icons[TrayState.IDLE], self)
        self.tray.setContextMenu(self.menu)  # GNOME hides icons without a context menu
        self.tray.activated.connect(self._activated)
        self.tray.messageClicked.connect(self._message_clicked)
        self._remove_listener = agent.supervisor.add_listener(self._on_agent)
        if self.available:
            app.setQuitOnLastWindowClosed(False)
            self.tray.show()
        else:
            log.warning("%s", NO_TRAY_MESSAGE)
            app.setQuitOnLastWindowClosed(True)
        self.refresh()
        self.spawn(self._load_recent())

    # ======================================================================= agent events ===
    def _on_agent(self, what: str, data: dict[str, Any]) -> None:
        if what == "run_finished":
            self.recent.appendleft(data)
            if data.get("status") == "failed":
                self.failed_since_start += 1
                self._notify_failure(data)
        self._refresh_timer.start()

    async def _load_recent(self) -> None:
        from flowforge_desktop.agent.engine_runner import list_rows

        rows = await asyncio.to_thread(list_rows, self.agent.store, limit=self.recent.maxlen or 10)
        known = {r.get("execution_id") for r in self.recent}
        for row in rows:
            if row["id"] not in known and len(self.recent) < (self.recent.maxlen or 10):
                self.recent.append({**row, "execution_id": row["id"]})

    def _notify_failure(self, data: dict[str, Any]) -> None:
        self.unseen_failure = data.get("execution_id")
        if not self.available:
            return
        name = data.get("workflow_name") or data.get("workflow_id") or "a workflow"
        self.tray.showMessage(
            f"Run failed: {name}",
            (data.get("error") or "the run failed") + "\nClick to open the run.",
            QSystemTrayIcon.MessageIcon.Critical,
            10_000,
        )

    def _message_clicked(self) -> None:
        if self.unseen_failure:
            execution_id, self.unseen_failure = self.unseen_failure, None
            self.open_run(execution_id)
            self._refresh_timer.start()

    def _acknowledge(self) -> None:
        self.unseen_failure = None
        self._refresh_timer.start()

    # ======================================================================= state ===
    def compute_state(self) -> TrayState:
        sup = self.agent.supervisor
        if sup.paused:
            return TrayState.PAUSED
        if self.unseen_failure or any(s.state == "error" for s in sup.trigger_slots()):
            return TrayState.ERROR
        if sup.queue_figures()["running"]:
            return TrayState.RUNNING
        return TrayState.IDLE

    def tooltip_text(self) -> str:
        sup = self.agent.supervisor
        figures = sup.queue_figures()
        active = sum(1 for e in sup.entries.values() if e.active)
        lines = [
            "FlowForge Desktop",
            f"{active} active workflow{'s' if active != 1 else ''} · {figures['running']} running · "
            f"{figures['queued']} queued",
        ]
        if self.failed_since_start:
            lines.append(f"{self.failed_since_start} failed run{'s' if self.failed_since_start != 1 else ''}")
        broken = [s for s in sup.trigger_slots() if s.state == "error"]
        if broken:
            lines.append(f"{len(broken)} trigger{'s' if len(broken) != 1 else ''} with a problem")
        if sup.paused:
            lines.append("All triggers paused")
        return "\n".join(lines)

    def refresh(self) -> None:
        state = self.compute_state()
        if state != self.state:
            self.state = state
            self.tray.setIcon(self._icons[state])
            self.state_changed.emit(str(state))
        self.tray.setToolTip(self.tooltip_text())
        if self.menu.isVisible():
            self._menu_stale = True  # never pull items from under the user's pointer
        else:
            self._build_menu()

    def _rebuild_if_stale(self) -> None:
        if self._menu_stale:
            QTimer.singleShot(0, self._build_menu)

    def _add_submenu(self, parent: QMenu, title: str, name: str) -> QMenu:
        sub = parent.addMenu(title)
        sub.setObjectName(name)
        self._submenus.append(sub)
        return sub

    def _build_menu(self) -> None:
        sup = self.agent.supervisor
        menu = self.menu
        self._menu_stale = False
        menu.clear()
        for old in self._submenus:  # clear() keeps submenus (they are children, not actions)
            old.deleteLater()
        self._submenus = []
        menu.addAction("Open designer", self.open_designer).setObjectName("open_designer")
        menu.addSeparator()
        workflows = self._add_submenu(menu, "Workflows", "workflows")
        entries = sorted(sup.entries.values(), key=lambda e: (e.name or str(e.path)).lower())
        if not entries:
            workflows.addAction("No workflows yet: activate one in the designer").setEnabled(False)
        for entry in entries:
            label = ("● " if entry.active else "○ ") + (entry.name or str(entry.path))
            if any(s.state == "error" for s in entry.slots) or entry.error:
                label += "  ⚠"
            sub = self._add_submenu(workflows, label, f"workflow:{entry.workflow_id}")
            toggle = QAction("Active", sub, checkable=True)
            toggle.setChecked(entry.active)
            toggle.setObjectName("toggle")
            toggle.toggled.connect(lambda on, e=entry: self.spawn(sup.set_active(str(e.path), on)))
            sub.addAction(toggle)
            run = sub.addAction("Run now", lambda e=entry: self.spawn(sup.run_now(str(e.path), None, "manual")))
            run.setObjectName("run_now")
            if entry.error:
                sub.addAction(entry.error[:120]).setEnabled(False)
        pause = QAction("Pause all triggers", menu, checkable=True)
        pause.setObjectName("pause")
        pause.setChecked(sup.paused)
        pause.toggled.connect(lambda on: self.spawn(sup.pause(on)))
        menu.addAction(pause)
        recent = self._add_submenu(menu, "Recent runs", "recent")
        if not self.recent:
            recent.addAction("No runs yet").setEnabled(False)
        for row in self.recent:
            mark = _STATUS_MARKS.get(row.get("status", ""), "…")
            text = f"{mark} {row.get('workflow_name') or row.get('workflow_id')} ({row.get('trigger', '')})"
            execution_id = row.get("execution_id")
            act = recent.addAction(text, lambda eid=execution_id: eid and self.open_run(eid))
            act.setObjectName(f"run:{execution_id}")
        menu.addSeparator()
        menu.addAction("Quit FlowForge", self.quit).setObjectName("quit")

    def find_action(self, path: str) -> QAction:
        """An action by object-name path, e.g. 'workflows/workflow:ID/run_now' (for tests and scripting)."""
        menu: QMenu = self.menu
        *subs, last = path.split("/")
        for name in subs:
            found = next((a.menu() for a in menu.actions() if a.menu() and a.menu().objectName() == name), None)
            if found is None:
                raise KeyError(path)
            menu = found
        for action in menu.actions():
            if action.objectName() == last:
                return action
        raise KeyError(path)

    # ======================================================================= actions ===
    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if task.cancelled():
            return
        exc = task.exception()
        if exc is not None:
            log.warning("tray action failed: %s", exc)
            if self.available:
                self.tray.showMessage("FlowForge Desktop", str(exc), QSystemTrayIcon.MessageIcon.Warning, 8000)
        self._refresh_timer.start()

    def _activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason in (QSystemTrayIcon.ActivationReason.Trigger, QSystemTrayIcon.ActivationReason.DoubleClick):
            self.open_designer()

    def quit(self) -> None:
        """Quit for real: stop the agent (grace period, interrupted runs recorded), then leave the Qt loop."""
        if self._quitting:
            return
        self._quitting = True
        self.tray.hide()
        if self.on_quit is not None:
            result = self.on_quit()
            if asyncio.iscoroutine(result):
                self.spawn(result)
            return
        self.spawn(self._stop_and_quit())

    async def _stop_and_quit(self) -> None:
        try:
            await self.agent.stop()
            await asyncio.to_thread(self.agent.close_store)
        finally:
            self.app.quit()

    def dispose(self) -> None:
        self._remove_listener()
        self.tray.hide()
        for task in self._tasks:
            task.cancel()

    # ======================================================================= windows ===
    def attach_window(self, window: QWidget) -> None:
        """Closing ``window`` hides it to the tray when there is one; without a tray it quits, and says so."""
        self.windows.append(window)
        window.installEventFilter(self)
        if not self.available:
            bar = getattr(window, "statusBar", None)
            if callable(bar):
                bar().showMessage(NO_TRAY_MESSAGE)
            window.setToolTip(NO_TRAY_MESSAGE)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Close and watched in self.windows:
            if self.available and not self._quitting:
                event.ignore()
                watched.hide()  # type: ignore[attr-defined]
                self._first_hide_notice()
                return True
            if not self.available and not self._quitting:
                # closing the last window quits the app; stop the agent properly on the way out
                self.quit()
        return super().eventFilter(watched, event)

    def _first_hide_notice(self) -> None:
        settings = QSettings("flowforge-desktop", "tray")
        if settings.value("hidden_notice_shown", False, type=bool):
            return
        settings.setValue("hidden_notice_shown", True)
        settings.sync()
        self.tray.showMessage("FlowForge Desktop", HIDDEN_NOTICE, QSystemTrayIcon.MessageIcon.Information, 8000)
        self.hidden_notice_shown = True


def install_tray(
    app: QApplication,
    agent: Any,
    open_designer: Callable[[], None],
    open_run: Callable[[str], None],
    on_quit: Callable[[], Any] | None = None,
) -> AgentTray:
    """Create the tray for ``agent``. Call ``tray.attach_window(main_window)`` to hide to the tray on close."""
    return AgentTray(app, agent, open_designer, open_run, on_quit)
