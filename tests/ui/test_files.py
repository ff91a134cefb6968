"""Files: open / save round trip, dirty marker and prompt, recent files, drops, exports, crash recovery."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from designer_helpers import make_window
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QImage
from PySide6.QtWidgets import QApplication

from flowforge_desktop.model import codec

REPO = Path(__file__).resolve().parents[2]


def test_open_save_round_trip_keeps_the_file_and_the_dirty_marker(win, qtbot, tmp_path, examples_dir):
    source = examples_dir / "health_check.json"
    assert win.open_path(str(source))
    assert len(win.doc) == 3 and not win.isWindowModified()
    assert win.windowTitle() == "Hourly health check[*] — health_check.json — FlowForge Desktop"
    target = tmp_path / "copy.json"
    win.answers.save_path = str(target)
    assert win.save_as()
    assert json.loads(target.read_text()) == json.loads(codec.dumps(codec.load_path(source).document))
    assert win.path == str(target.resolve())
    assert win.recent_files()[:2] == [str(target.resolve()), str(source.resolve())]

    win.editor.update_node("check", name="Check it")
    assert win.isWindowModified()
    win.view.setFocus()
    from PySide6.QtTest import QTest

    QTest.keyClick(win.view, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert not win.isWindowModified()
    assert json.loads(target.read_text())["nodes"][1]["name"] == "Check it"
    assert not list(target.parent.glob(".copy.json.*.tmp"))  # atomic save leaves no temp file

    other = codec.load_path(target).document
    assert codec.dumps(other) == codec.dumps(win.doc)


def test_a_broken_file_does_not_replace_the_open_document(win, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "flowforge.workflow", "version": 1, "id": "x", "nodes": [')
    win.editor.add_node("manual", (0, 0))
    before = codec.dumps(win.doc)
    win.answers.save_changes = "discard"
    assert not win.open_path(str(bad))
    ((title, message),) = win.answers.errors
    assert title == "Cannot open the workflow"
    assert message.startswith(f"{bad}: ")
    assert "JSON" in message
    assert codec.dumps(win.doc) == before


def test_the_prompt_before_losing_changes(win, tmp_path):
    win.editor.add_node("manual", (0, 0))
    win.answers.save_changes = "cancel"
    assert not win.new_document()
    assert len(win.doc) == 1 and win.answers.asked == ["save_changes"]
    win.answers.save_changes = "save"
    win.answers.save_path = str(tmp_path / "kept.json")
    assert win.new_document()
    assert len(win.doc) == 0 and (tmp_path / "kept.json").is_file()
    assert json.loads((tmp_path / "kept.json").read_text())["nodes"][0]["kind"] == "manual"
    win.editor.add_node("manual", (0, 0))
    win.answers.save_changes = "discard"
    assert win.new_document() and len(win.doc) == 0
    # closing a dirty window asks too; cancel keeps it open
    win.editor.add_node("manual", (0, 0))
    win.answers.save_changes = "cancel"
    assert not win.close()
    assert win.isVisible()


def test_a_file_dropped_on_the_canvas_opens(win, examples_dir):
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(examples_dir / "webhook_forward.json"))])
    buttons, mods = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    enter = QDragEnterEvent(QPoint(200, 200), Qt.DropAction.CopyAction, mime, buttons, mods)
    QApplication.sendEvent(win.view.viewport(), enter)
    assert enter.isAccepted()
    event = QDropEvent(
        QPointF(200, 200), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    )
    QApplication.sendEvent(win.view.viewport(), event)
    assert win.path == str((examples_dir / "webhook_forward.json").resolve())
    assert len(win.doc) > 0


def test_import_adds_nodes_as_one_undoable_step(win, examples_dir):
    win.editor.add_node("manual", (0, 0))
    count = win.stack.count()
    win.answers.open_path = str(examples_dir / "health_check.json")
    ids = win.import_dialog()
    assert sorted(ids) == ["alert", "check", "every_hour"]
    assert len(win.doc) == 4 and win.stack.count() == count + 1
    win.stack.undo()
    assert len(win.doc) == 1


def test_export_png_and_svg(win, tmp_path, examples_dir):
    win.open_path(str(examples_dir / "health_check.json"))
    png, svg = tmp_path / "canvas.png", tmp_path / "canvas.svg"
    win.answers.save_path = str(png)
    assert win.export_image_dialog("png")
    image = QImage(str(png))
    assert image.width() > 800 and image.height() > 200
    win.answers.save_path = str(svg)
    assert win.export_image_dialog("svg")
    text = svg.read_text()
    assert text.lstrip().startswith("<?xml") and "<svg" in text and "Check the service" in text


def test_view_state_is_kept_per_file_in_the_user_settings(win, tmp_path, examples_dir):
    path = tmp_path / "wf.json"
    path.write_text((examples_dir / "health_check.json").read_text())
    win.open_path(str(path))
    win.view.set_zoom(0.7, QPointF(123, 45))
    win.new_document()
    assert "zoom" not in path.read_text()
    win.open_path(str(path))
    assert abs(win.view.zoom() - 0.7) < 1e-6
    center = win.view.center_scene_pos()
    assert abs(center.x() - 123) < 5 and abs(center.y() - 45) < 5


CRASHING_SESSION = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication
    app = QApplication([])
    from flowforge_desktop.ui.main_window import MainWindow
    w = MainWindow(settings=QSettings(sys.argv[1], QSettings.Format.IniFormat), autosave_directory=Path(sys.argv[2]))
    w.show()
    w.open_path(sys.argv[3], ask=False)
    w.editor.add_node("manual", (0, 400))
    w.editor.update_node("check", name="Edited before the crash")
    assert w.autosave_now()
    os.kill(os.getpid(), signal.SIGKILL)
    """
)


def test_autosave_is_offered_back_after_a_crash(qtbot, tmp_path, examples_dir):
    workflow = tmp_path / "wf.json"
    workflow.write_text((examples_dir / "health_check.json").read_text())
    autosave = tmp_path / "autosave"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    proc = subprocess.run(
        [sys.executable, "-c", CRASHING_SESSION, str(tmp_path / "crashed.ini"), str(autosave), str(workflow)],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == -9, proc.stderr
    assert len(list(autosave.glob("*.meta.json"))) == 1

    window, _answers = make_window(qtbot, tmp_path)
    offered = []
    window.ask_recover = lambda recovery: offered.append(recovery) or True
    assert window.offer_recovery()
    (recovery,) = offered
    assert recovery.original_path == str(workflow.resolve())
    assert "'Hourly health check'" in recovery.describe()
    assert window.doc.node("check").name == "Edited before the crash"
    assert len(window.doc) == 4
    assert window.isWindowModified() and window.path == str(workflow.resolve())
    # the file on disk is untouched until the user saves
    assert json.loads(workflow.read_text())["nodes"][1]["name"] == "Check the service"
    window.save()
    assert json.loads(workflow.read_text())["nodes"][1]["name"] == "Edited before the crash"
    assert not list(autosave.glob("*.json"))
    # offered once: a second start finds nothing
    assert not make_window(qtbot, tmp_path / "again")[0].offer_recovery()


def test_a_declined_recovery_is_discarded(qtbot, tmp_path):
    from flowforge_desktop.ui.autosave import _LIVE_TOKENS, Autosaver

    crashed = Autosaver(tmp_path / "autosave")
    crashed.write(
        codec.dumps(
            codec.loads(
                json.dumps(
                    {
                        "format": "flowforge.workflow",
                        "version": 1,
                        "id": "z",
                        "name": "Lost",
                        "nodes": [],
                        "connections": [],
                    }
                )
            ).document
        ),
        None,
        "Lost",
    )
    _LIVE_TOKENS.discard(crashed.token)  # its window is gone without closing: a crash
    window, answers = make_window(qtbot, tmp_path)
    answers.recover = False
    assert not window.offer_recovery()
    assert answers.asked == ["recover"]
    assert not list((tmp_path / "autosave").glob("*.json"))


def test_window_geometry_and_docks_are_kept_in_qsettings(qtbot, tmp_path):
    window, _ = make_window(qtbot, tmp_path)
    window.resize(1000, 700)
    window.inspector_dock.hide()
    window.close()
    again, _ = make_window(qtbot, tmp_path)
    assert not again.inspector_dock.isVisible()
    assert again.settings.value("window/geometry") is not None


def test_the_cli_opens_the_designer_for_a_file(examples_dir, monkeypatch):
    from flowforge_desktop import cli
    from flowforge_desktop.ui import desktop

    opened = []

    def fake(path, theme=None, minimized=False):
        opened.append((path, theme, minimized))
        return 0

    monkeypatch.setattr(desktop, "run_desktop", fake)
    assert cli.main([str(examples_dir / "health_check.json")]) == 0
    assert cli.main(["gui", "--theme", "dark"]) == 0
    assert cli.main(["gui", "--minimized"]) == 0
    assert opened == [(str(examples_dir / "health_check.json"), None, False), (None, "dark", False), (None, None, True)]
