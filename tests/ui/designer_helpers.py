"""Helpers for the designer's tests: a real MainWindow, offscreen, with every question answered."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QPoint, QPointF, QSettings

from flowforge_desktop.ui.main_window import MainWindow


class Answers:
    """What the fake user answers when the window asks something; records what was asked."""

    def __init__(self) -> None:
        self.save_changes = "discard"
        self.open_path: str | None = None
        self.save_path: str | None = None
        self.recover = True
        self.text: str | None = None
        self.errors: list[tuple[str, str]] = []
        self.asked: list[str] = []


def make_window(qtbot, tmp_path: Path, answers: Answers | None = None) -> tuple[MainWindow, Answers]:
    answers = answers or Answers()
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(settings=settings, autosave_directory=tmp_path / "autosave")

    def ask(name, value):
        def inner(*_args):
            answers.asked.append(name)
            return getattr(answers, value)

        return inner

    window.ask_save_changes = ask("save_changes", "save_changes")
    window.ask_open_path = ask("open_path", "open_path")
    window.ask_save_path = ask("save_path", "save_path")
    window.ask_recover = ask("recover", "recover")
    window.ask_text = ask("text", "text")
    window.show_error = lambda title, text: answers.errors.append((title, text))
    qtbot.addWidget(window)
    window.resize(1200, 800)
    window.show()
    qtbot.waitExposed(window)
    window.view.set_zoom(1.0, QPointF(400, 250))
    return window, answers


def vp(window: MainWindow, x: float, y: float) -> QPoint:
    """Viewport coordinates of a scene point."""
    return window.view.mapFromScene(QPointF(x, y))
