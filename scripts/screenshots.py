"""Regenerate the designer's screenshots in docs/img (offscreen, no display needed).

    QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/screenshots.py [light|dark|items|big ...]

light / dark: the health-check example with its HTTP node selected (designer_light.png,
designer_dark.png); items: a group, a sticky note and a connection being moved by its end
(designer_items.png); big: 5,000 nodes zoomed out (designer_5000_nodes.png). One process per theme,
because the palette is chosen before the first window.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ROOT = Path(__file__).resolve().parent.parent
IMG = ROOT / "docs" / "img"
EXAMPLES = ROOT / "flowforge_desktop" / "resources" / "examples"
MAIL = "flows@example.com"


def _window(theme: str, size: tuple[int, int] = (1400, 820)):
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from flowforge_desktop.ui.main_window import MainWindow
    from flowforge_desktop.ui.theme import apply_theme

    app = QApplication.instance() or QApplication([])
    apply_theme(app, theme)
    tmp = Path(tempfile.mkdtemp())
    settings = QSettings(str(tmp / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(settings=settings, autosave_directory=tmp / "autosave")
    window.resize(*size)
    window.show()
    app.processEvents()
    return app, window


def _settle(app, window) -> None:
    window.scene.check_all_now()
    for _ in range(3):
        app.processEvents()
    window.scene.pictures.finish()
    app.processEvents()


def shot_example(theme: str) -> Path:
    app, window = _window(theme)
    window.open_path(str(EXAMPLES / "health_check.json"), ask=False)
    window.actions_by_name["minimap"].setChecked(True)
    window.view.fit_all()  # at most 100 %
    window.scene.select_nodes(["check"])
    _settle(app, window)
    out = IMG / f"designer_{theme}.png"
    window.grab().save(str(out))
    window.stack.setClean()
    window.close()
    return out


def shot_items() -> Path:
    from PySide6.QtCore import QPointF, Qt
    from PySide6.QtTest import QTest

    from flowforge_desktop.ui.theme import GROUP_COLORS, NOTE_COLORS

    app, window = _window("light", (1300, 760))
    doc = window.doc
    for kind, x, y, node_id, config in (
        ("manual", 0, 160, "start", {}),
        ("http", 320, 40, "fetch", {"url": "https://api.example.com/orders"}),
        ("transform", 320, 280, "shape", {}),
        ("email", 680, 150, "mail", {"to": ["ops@example.com"], "smtp_host": "smtp.example.com", "from_addr": MAIL}),
    ):
        doc.add_node(doc.new_node(kind, (x, y), config=config or None, node_id=node_id))
    window.editor.connect("start", "fetch")
    window.editor.connect("start", "shape")
    window.editor.connect("fetch", "mail")
    group = window.editor.group(["fetch", "shape"], "Outbound calls")
    window.set_color([], [group.id], GROUP_COLORS["Purple"])
    note = window.editor.add_note((680, 420), "Drag the corner grip to resize a note; right-click it for a colour.")
    window.set_color([note.id], [], NOTE_COLORS["Green"])
    window.editor.update_note(note.id, size=(260.0, 110.0))
    window.actions_by_name["minimap"].setChecked(False)
    window.view.fit_all()
    _settle(app, window)
    viewport = window.view.viewport()
    start = window.view.mapFromScene(window.scene.nodes["mail"].port_scene_pos("in", False))
    QTest.mousePress(viewport, Qt.MouseButton.LeftButton, pos=start)
    QTest.mouseMove(viewport, window.view.mapFromScene(QPointF(560, 560)))
    app.processEvents()
    out = IMG / "designer_items.png"
    window.grab().save(str(out))
    QTest.keyClick(viewport, Qt.Key.Key_Escape)
    QTest.mouseRelease(viewport, Qt.MouseButton.LeftButton, pos=start)
    window.stack.setClean()
    window.close()
    return out


def shot_big() -> Path:
    sys.path.insert(0, str(ROOT / "bench"))
    from canvas import build_graph, workflow_json

    app, window = _window("light")
    path = Path(tempfile.mkdtemp()) / "big.json"
    path.write_text(workflow_json(*build_graph(5000, 6000)))
    window.open_path(str(path), ask=False)
    window.view.fit_all()
    _settle(app, window)
    out = IMG / "designer_5000_nodes.png"
    window.grab().save(str(out))
    window.stack.setClean()
    window.close()
    return out


def main(argv: list[str]) -> int:
    wanted = argv or ["light", "dark", "items", "big"]
    if len(wanted) > 1:  # a fresh process each: the palette is set once per application
        for name in wanted:
            subprocess.run([sys.executable, __file__, name], check=True)
        return 0
    name = wanted[0]
    out = {"light": lambda: shot_example("light"), "dark": lambda: shot_example("dark")}.get(name)
    out = out or {"items": shot_items, "big": shot_big}[name]
    print(out())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
