"""The desktop app: one process, one asyncio loop on Qt's (qasync), one engine.

It holds the agent (engine, history, triggers, local server), the designer window with run and
debug, the tray, and the single-instance socket. Closing the window hides it to the tray where one
exists (the triggers keep firing); Quit in the tray stops the agent properly (running executions get
a grace period, then are recorded as interrupted) and leaves.

PITFALLS: a tray app must not quit on last window closed; asyncio.run(loop_factory=) is 3.12+, so
the loop is driven with run_until_complete; nested Qt loops (dialog.exec) inside coroutines are avoided.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from pathlib import Path
from typing import Any

log = logging.getLogger("flowforge.desktop")


class Desktop:
    """Everything the running app owns, so tests and the tray can reach it."""

    def __init__(self, app: Any, agent: Any, window: Any, rundebug: Any, tray: Any, single: Any) -> None:
        self.app = app
        self.agent = agent
        self.window = window
        self.rundebug = rundebug
        self.tray = tray
        self.single = single
        self.closed = asyncio.Event()
        self.quitting = False
        self._tasks: set[asyncio.Task[Any]] = set()
        self.activate_action: Any = None

    def handle_message(self, message: dict[str, Any]) -> None:
        """A second launch: open its files here, or just come to the front."""
        from flowforge_desktop.ui.single_instance import raise_window

        for path in message.get("files") or []:
            self.window.open_path(path)
        raise_window(self.window)

    def open_designer(self) -> None:
        from flowforge_desktop.ui.single_instance import raise_window

        raise_window(self.window)

    def open_run(self, execution_id: str) -> None:
        """From the tray (recent runs, a failure notification): show that run on its workflow."""
        from flowforge_desktop.ui.single_instance import raise_window

        self.agent.store.flush(2)
        row = self.agent.store.get_execution(execution_id)
        if row is None:
            self.window.show_message(f"run {execution_id[:8]} is no longer in the history")
            raise_window(self.window)
            return
        if row["workflow_id"] != self.window.doc.id:
            try:
                entry = self.agent.supervisor.find(row["workflow_id"])
            except KeyError:
                entry = None
            if entry is None or not self.window.open_path(str(entry.path)):
                self.window.show_message("open the workflow of that run to see it on the canvas")
                raise_window(self.window)
                return
        self.rundebug.show_execution(execution_id)
        raise_window(self.window)

    # ------------------------------------------------------------ activation from the designer ---
    def install_activation(self) -> None:
        """Run ▸ "Keep triggers armed": the open workflow's schedules, file watches and webhooks fire
        from the tray while the app runs (the same list the tray and `agent activate` edit)."""
        from PySide6.QtGui import QAction

        action = QAction("&Keep triggers armed (run in the background)", self.window)
        action.setCheckable(True)
        action.setStatusTip("Activate this workflow: its triggers fire even when the window is closed")
        action.toggled.connect(self._activation_toggled)
        self.rundebug.menu.insertAction(self.rundebug.menu.actions()[0], action)
        self.rundebug.menu.insertSeparator(self.rundebug.menu.actions()[1])
        self.activate_action = action
        self.window.doc.subscribe(lambda _change: self.sync_activation())
        self.agent.supervisor.add_listener(lambda _what, _data: self.sync_activation())
        self.sync_activation()

    def _entry_for_open_file(self) -> Any:
        path = getattr(self.window, "path", None)
        if not path:
            return None
        try:
            return self.agent.supervisor.find(str(Path(path).resolve()))
        except KeyError:
            return None

    def sync_activation(self) -> None:
        entry = self._entry_for_open_file()
        action = self.activate_action
        action.blockSignals(True)
        action.setChecked(bool(entry is not None and entry.active))
        action.blockSignals(False)

    def _activation_toggled(self, on: bool) -> None:
        path = getattr(self.window, "path", None)
        if not path:
            self.sync_activation()
            self.window.show_message("save the workflow first: the agent arms the triggers of a saved file")
            return
        if on and self.window.is_dirty():
            self.window.show_message("unsaved changes are not armed: the agent uses the file as saved")
        task = asyncio.ensure_future(self._set_active(path, on))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _set_active(self, path: str, on: bool) -> None:
        from flowforge_desktop.agent.supervisor import WorkflowRefused

        supervisor = self.agent.supervisor
        try:
            if on:
                await supervisor.add(path, active=True)
            elif self._entry_for_open_file() is not None:
                await supervisor.set_active(path, False)
        except WorkflowRefused as exc:
            self.window.show_message(f"not activated: {exc}")
        else:
            state = "armed: its triggers fire from the tray" if on else "deactivated: its triggers are off"
            self.window.show_message(f"{Path(path).name} {state}")
        self.sync_activation()

    def open_settings(self) -> None:
        from flowforge_desktop.agent.config import config_path
        from flowforge_desktop.ui.settings_dialog import SettingsDialog

        dialog = SettingsDialog(self.agent.config, config_path(), self.window)
        dialog.saved.connect(lambda cfg: self.window.show_message("settings saved; a new port applies after a restart"))
        dialog.open()  # not exec(): no nested loop inside the asyncio loop

    def quit_requested(self) -> Any:
        """Quit from the menu or the tray: unsaved changes are asked about first (outside any coroutine,
        so the question's dialog is not a nested loop inside a task); then the agent stops properly."""
        if self.quitting:
            return None
        if not self.window.maybe_save():
            if self.tray is not None:  # the tray hid itself on the way out: it stays
                self.tray._quitting = False
                self.tray.tray.setVisible(self.tray.available)
            return None
        return self.quit()

    async def quit(self) -> None:
        if self.quitting:
            return
        self.quitting = True
        if self.tray is not None:
            self.tray._quitting = True  # closing the window on the way out is not a second Quit
        try:
            self.rundebug.shutdown()
            await self.agent.stop()
            await asyncio.to_thread(self.agent.close_store)
        finally:
            self.single.close()
            self.closed.set()
            self.app.quit()


async def start_desktop(
    app: Any, path: str | None, single: Any, theme: str | None = None, *, minimized: bool = False
) -> Desktop:
    from PySide6.QtCore import QTimer
    from PySide6.QtGui import QAction

    from flowforge_desktop.agent.runtime import Agent
    from flowforge_desktop.ui.main_window import MainWindow
    from flowforge_desktop.ui.rundebug.controller import RunDebug
    from flowforge_desktop.ui.theme import apply_theme
    from flowforge_desktop.ui.tray import install_tray

    apply_theme(app, theme or os.environ.get("FLOWFORGE_THEME", "auto"))
    agent = Agent()
    await agent.start(require_server=False)  # a port in use must not keep the designer from opening
    server_problem = agent.server_error or ""
    window = MainWindow(registry=agent.registry)
    rundebug = RunDebug(window, agent.engine, agent.store, health=agent.health)
    desktop = Desktop(app, agent, window, rundebug, None, single)
    tray = install_tray(app, agent, desktop.open_designer, desktop.open_run, on_quit=desktop.quit_requested)
    desktop.tray = tray
    tray.attach_window(window)
    single.message_received.connect(desktop.handle_message)
    desktop.install_activation()
    quit_action = window.actions_by_name["quit"]
    quit_action.triggered.disconnect()
    quit_action.triggered.connect(tray.quit)  # Quit really quits; closing the window hides it to the tray
    settings = QAction("&Settings…", window)
    settings.setMenuRole(QAction.MenuRole.PreferencesRole)
    settings.triggered.connect(desktop.open_settings)
    file_menu = window.menuBar().actions()[0].menu()
    file_menu.insertAction(quit_action, settings)
    if not (minimized and tray.available):  # started at login: straight to the tray
        window.show()
    if path:
        window.open_path(path, ask=False)
    else:
        window.view.centerOn(400, 250)
    if server_problem:
        window.show_message(server_problem, 20000)
    QTimer.singleShot(0, window.offer_recovery)
    return desktop


def run_desktop(path: str | None = None, theme: str | None = None, *, minimized: bool = False) -> int:
    """`flowforge-desktop [FILE]`: raise (and hand FILE to) a running instance, or start one."""
    import qasync
    from PySide6.QtWidgets import QApplication

    from flowforge_desktop.logsetup import setup_logging
    from flowforge_desktop.ui.single_instance import SingleInstance

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setOrganizationName("FlowForge")
    app.setApplicationName("FlowForge Desktop")
    app.setDesktopFileName("flowforge-desktop")
    app.setQuitOnLastWindowClosed(False)
    single = SingleInstance()
    if not single.acquire([path] if path else []):
        return 0
    setup_logging()
    if path and not Path(path).exists():
        log.warning("%s does not exist", path)

    async def main() -> int:
        desktop = await start_desktop(app, path, single, theme, minimized=minimized)
        app.aboutToQuit.connect(desktop.closed.set)
        await desktop.closed.wait()
        return 0

    # asyncio.run(loop_factory=) is 3.12+; asyncio.Runner takes a loop factory on 3.11 (PITFALLS)
    with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(app)) as runner:
        return runner.run(main())
