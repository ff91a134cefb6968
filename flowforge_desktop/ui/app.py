"""Start the designer: `flowforge-desktop [gui] [FILE]`."""

from __future__ import annotations

import os
import sys

from PySide6.QtCore import QTimer


def run_designer(path: str | None = None, theme: str | None = None) -> int:
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
    return app.exec()
