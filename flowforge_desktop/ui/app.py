"""Start the designer: `flowforge-desktop [gui] [FILE]`.

The Qt event loop is also the asyncio loop (qasync), so that runs and the agent can live in the same
process later. On Python 3.11 ``asyncio.run(..., loop_factory=...)`` does not exist: asyncio.Runner does
it (PITFALLS.md).
"""

from __future__ import annotations

import asyncio
import os
import sys


def run_designer(path: str | None = None, theme: str | None = None, quit_after_ms: int | None = None) -> int:
    import qasync
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from flowforge_desktop.ui.main_window import MainWindow
    from flowforge_desktop.ui.theme import apply_theme

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setOrganizationName("FlowForge")
    app.setApplicationName("FlowForge Desktop")
    app.setDesktopFileName("flowforge-desktop")
    apply_theme(app, theme or os.environ.get("FLOWFORGE_THEME", "auto"))
    window = MainWindow()
    window.show()
    if path:
        window.open_path(path, ask=False)
    else:
        window.view.centerOn(400, 250)
    QTimer.singleShot(0, window.offer_recovery)
    if quit_after_ms is not None:  # smoke tests
        QTimer.singleShot(quit_after_ms, window.close)

    async def until_quit() -> None:
        closed = asyncio.Event()
        app.aboutToQuit.connect(closed.set)
        app.lastWindowClosed.connect(closed.set)
        await closed.wait()

    with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(app)) as runner:
        runner.run(until_quit())
    return 0
