"""Every message the designer shows, asserted where it is produced."""

from __future__ import annotations

import json

from designer_helpers import vp
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QGuiApplication
from PySide6.QtWidgets import QApplication

from flowforge_desktop.ui.fields import MappingField


def add(win, kind, x, y, node_id, **config):
    win.doc.add_node(win.doc.new_node(kind, (x, y), config=config or None, node_id=node_id))


def status(win) -> str:
    return win.statusBar().currentMessage()


def test_selection_and_clipboard_messages(win):
    win.view.fit_selection()
    assert status(win) == "select nodes to fit them in the window"
    assert not win.copy()
    assert status(win) == "Select nodes to copy"
    QGuiApplication.clipboard().setText("  ")
    assert win.paste() == []
    assert status(win) == "The clipboard is empty"
    QGuiApplication.clipboard().setText(json.dumps({"name": "no nodes here"}))
    assert win.paste() == []
    assert status(win) == "Paste: the JSON holds no nodes"
    QGuiApplication.clipboard().setText(json.dumps({"nodes": []}))
    assert win.paste() == []
    assert status(win) == "Paste: nothing to add"
    win.editor.group([])
    assert status(win) == "select the nodes to group first"
    win.ungroup_selection()
    assert status(win) == "Select a group (click its title) to ungroup it"
    add(win, "manual", 0, 0, "a")
    add(win, "manual", 0, 300, "b")
    win.scene.select_nodes(["a", "b"])
    assert win.copy()
    assert status(win) == "Copied 2 nodes as workflow JSON"


def test_dropping_a_link_on_a_node_without_inputs(win, qtbot):
    add(win, "manual", 0, 0, "a")
    add(win, "manual", 400, 0, "b")
    start = win.scene.nodes["a"].port_scene_pos("out", True)
    viewport = win.view.viewport()
    qtbot.mousePress(viewport, Qt.MouseButton.LeftButton, pos=vp(win, start.x(), start.y()))
    qtbot.mouseMove(viewport, vp(win, 450, 60))
    qtbot.mouseRelease(viewport, Qt.MouseButton.LeftButton, pos=vp(win, 500, 60))
    assert status(win) == "node 'b' has no inputs to connect to"
    assert win.doc.connections() == []


def test_file_messages(win, tmp_path, examples_dir):
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(tmp_path / "picture.png"))])
    buttons, mods = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    QApplication.sendEvent(
        win.view.viewport(), QDragEnterEvent(QPoint(9, 9), Qt.DropAction.CopyAction, mime, buttons, mods)
    )
    QApplication.sendEvent(
        win.view.viewport(), QDropEvent(QPointF(9, 9), Qt.DropAction.CopyAction, mime, buttons, mods)
    )
    assert status(win) == "Drop a workflow .json file to open it"

    win.open_path(str(examples_dir / "health_check.json"))
    assert status(win) == "Opened health_check.json"
    broken = tmp_path / "broken_config.json"
    data = json.loads((examples_dir / "health_check.json").read_text())
    data["nodes"][1]["config"]["url"] = "htp:/x"
    broken.write_text(json.dumps(data))
    win.open_path(str(broken))
    assert status(win) == "Opened broken_config.json: 1 problem(s) to fix — see the red badges"

    target = tmp_path / "out.json"
    win.answers.save_path = str(target)
    win.save_as()
    assert status(win) == f"Saved {target}"
    win.answers.save_path = str(tmp_path / "no_such_dir" / "x" / "y.json")
    (tmp_path / "no_such_dir").write_text("a file where a folder should be")
    win.editor.update_node("check", name="changed")
    assert not win.save_as()
    ((title, message),) = win.answers.errors
    assert title == "Cannot save the workflow"
    assert message.startswith(f"{tmp_path / 'no_such_dir' / 'x' / 'y.json'}: ")

    win.answers.errors.clear()
    assert win.import_path(str(tmp_path / "missing.json")) == []
    ((title, message),) = win.answers.errors
    assert title == "Cannot import" and "missing.json" in message and "No such file" in message

    exported = tmp_path / "export.json"
    win.answers.save_path = str(exported)
    assert win.export_json_dialog()
    assert status(win) == f"Exported {exported}"


def test_a_mapping_key_twice_is_an_inline_error(win):
    add(win, "http", 0, 0, "h", url="https://e.com")
    win.scene.select_nodes(["h"])
    headers = win.inspector.fields["headers"]
    assert isinstance(headers, MappingField)
    headers.table.item(0, 0).setText("Accept")
    headers.table.item(0, 1).setText("a")
    headers.table.item(1, 0).setText("Accept")
    assert headers.error_text() == "a key appears twice"
    assert win.doc.node("h").config["headers"] == {"Accept": "a"}
