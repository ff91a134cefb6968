"""The canvas driven as a user would: drops, port drags, refusals, undo/redo, clipboard, quick-add."""

from __future__ import annotations

import json

from designer_helpers import vp
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt
from PySide6.QtGui import QColor, QDragEnterEvent, QDragMoveEvent, QDropEvent, QGuiApplication
from PySide6.QtWidgets import QApplication

from flowforge_desktop.model import codec
from flowforge_desktop.model.changes import Connection
from flowforge_desktop.ui.scene import NODE_WIDTH, NodeItem
from flowforge_desktop.ui.view import MIME_KIND


def drop_kind(window, kind: str, point: QPoint) -> None:
    viewport = window.view.viewport()
    mime = QMimeData()
    mime.setData(MIME_KIND, kind.encode())
    action = Qt.DropAction.CopyAction
    buttons, mods = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    enter = QDragEnterEvent(point, action, mime, buttons, mods)
    QApplication.sendEvent(viewport, enter)
    assert enter.isAccepted()
    move = QDragMoveEvent(point, action, mime, buttons, mods)
    QApplication.sendEvent(viewport, move)
    drop = QDropEvent(QPointF(point), action, mime, buttons, mods)
    QApplication.sendEvent(viewport, drop)


def add(window, kind: str, x: float, y: float, node_id: str | None = None, **config):
    spec = window.doc.new_node(kind, (x, y), config=config or None, node_id=node_id)
    window.doc.add_node(spec)
    return spec


def port_point(window, node_id: str, port: str, output: bool) -> QPoint:
    item = window.scene.nodes[node_id]
    p = item.port_scene_pos(port, output)
    return vp(window, p.x(), p.y())


def drag(qtbot, window, start: QPoint, end: QPoint, button=Qt.MouseButton.LeftButton) -> None:
    viewport = window.view.viewport()
    qtbot.mousePress(viewport, button, pos=start)
    mid = QPoint((start.x() + end.x()) // 2, (start.y() + end.y()) // 2)
    qtbot.mouseMove(viewport, mid)
    qtbot.mouseMove(viewport, end)
    qtbot.mouseRelease(viewport, button, pos=end)


def dump(window) -> str:
    return codec.dumps(window.doc)


def test_palette_drop_adds_the_kind_where_it_was_dropped(win, qtbot):
    palette_item = win.palette_widget.items["http"]
    mime = win.palette_widget.tree.mimeData([palette_item])
    assert bytes(mime.data(MIME_KIND)).decode() == "http"

    point = QPoint(420, 300)
    drop_kind(win, "http", point)

    (spec,) = win.doc.nodes()
    assert spec.kind == "http" and spec.type == "action"
    scene_pos = win.view.mapToScene(point)
    assert abs(spec.position[0] - (scene_pos.x() - NODE_WIDTH / 2)) < 1
    assert abs(spec.position[1] - (scene_pos.y() - 17)) < 1
    assert win.scene.selected_node_ids() == [spec.id]
    assert win.stack.count() == 1
    win.stack.undo()
    assert len(win.doc) == 0


def test_palette_search_and_double_click_add_at_centre(win, qtbot):
    win.palette_widget.search.setText("mail")
    assert win.palette_widget.visible_kinds() == ["email"]
    win.palette_widget.search.clear()
    win.palette_widget.kindActivated.emit("schedule")
    (spec,) = win.doc.nodes()
    assert spec.kind == "schedule"
    center = win.view.center_scene_pos()
    assert abs(spec.position[0] + NODE_WIDTH / 2 - center.x()) < 2


def test_dragging_an_output_port_onto_an_input_port_connects(win, qtbot):
    add(win, "manual", 0, 100, "start")
    add(win, "http", 400, 100, "fetch", url="https://example.com")
    drag(qtbot, win, port_point(win, "start", "out", True), port_point(win, "fetch", "in", False))
    assert win.doc.connections() == [Connection("start", "fetch", "out", "in")]
    assert win.scene.edges[Connection("start", "fetch", "out", "in")].isVisible()
    # and backwards, from an input port to an output port, on a branch's named port
    add(win, "branch", 0, 300, "decide", condition="ok")
    add(win, "http", 400, 300, "yes", url="https://example.com")
    drag(qtbot, win, port_point(win, "yes", "in", False), port_point(win, "decide", "false", True))
    assert Connection("decide", "yes", "false", "in") in win.doc.connections()
    win.stack.undo()
    assert Connection("decide", "yes", "false", "in") not in win.doc.connections()


def test_a_connection_that_closes_a_cycle_is_refused_with_its_reason(win, qtbot):
    add(win, "http", 0, 100, "a", url="https://example.com/a")
    add(win, "http", 400, 100, "b", url="https://example.com/b")
    win.editor.connect("a", "b")
    before, count = dump(win), win.stack.count()
    drag(qtbot, win, port_point(win, "b", "out", True), port_point(win, "a", "in", False))
    assert win.statusBar().currentMessage() == "connecting b -> a would create a cycle: a -> b -> a"
    assert dump(win) == before
    assert win.stack.count() == count
    # output onto output is refused with a hint, nothing changes
    drag(qtbot, win, port_point(win, "a", "out", True), port_point(win, "b", "out", True))
    assert win.statusBar().currentMessage() == (
        "cannot connect an output to an output: drag from an output port to an input port"
    )
    assert dump(win) == before


def test_undo_and_redo_of_a_mixed_sequence_restore_the_document_exactly(win, qtbot, examples_dir):
    states = [dump(win)]
    drop_kind(win, "manual", vp(win, 100, 200))
    states.append(dump(win))
    drop_kind(win, "http", vp(win, 500, 200))
    states.append(dump(win))
    manual, http = (n.id for n in win.doc.nodes())
    drag(qtbot, win, port_point(win, manual, "out", True), port_point(win, http, "in", False))
    states.append(dump(win))
    # move the http node by dragging its header
    item = win.scene.nodes[http]
    start = vp(win, item.pos().x() + 100, item.pos().y() + 10)
    drag(qtbot, win, start, start + QPoint(60, 80))
    assert win.doc.node(http).position != (item.pos().x() - 60, item.pos().y() - 80)
    states.append(dump(win))
    win.stack.command(win.stack.count() - 1).stamp -= 10  # the next move is a separate step
    # a config edit in the inspector
    win.scene.select_nodes([http])
    url = win.inspector.fields["url"]
    url.edit.clear()
    qtbot.keyClicks(url.edit, "https://example.org/x")
    assert win.doc.node(http).config["url"] == "https://example.org/x"
    states.append(dump(win))
    # toggle disabled with its shortcut, then delete the manual node
    win.view.setFocus()
    qtbot.keyClick(win.view, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    assert win.doc.node(http).disabled
    states.append(dump(win))
    # copy + paste, a sticky note, a group, a pin, an import
    win.scene.select_nodes([manual, http])
    win.copy()
    assert len(win.paste()) == 2
    states.append(dump(win))
    win.add_note()
    states.append(dump(win))
    win.editor.group([manual, http], "Pair")
    states.append(dump(win))
    win.editor.pin(manual, {"hello": "world"})
    states.append(dump(win))
    win.answers.open_path = str(examples_dir / "health_check.json")
    assert win.import_dialog()
    states.append(dump(win))
    win.scene.select_nodes([manual])
    win.delete_selection()
    assert manual not in win.doc
    states.append(dump(win))
    assert win.stack.count() == len(states) - 1
    for expected in reversed(states[:-1]):
        win.stack.undo()
        assert dump(win) == expected
    for expected in states[1:]:
        win.stack.redo()
        assert dump(win) == expected


def test_copy_and_paste_through_the_system_clipboard(win, qtbot):
    add(win, "manual", 0, 100, "start")
    add(win, "http", 400, 100, "fetch", url="https://example.com")
    win.editor.connect("start", "fetch")
    win.scene.select_nodes(["start", "fetch"])
    win.view.setFocus()
    qtbot.keyClick(win.view, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    text = QGuiApplication.clipboard().text()
    data = json.loads(text)  # a text editor shows workflow JSON
    assert data["format"] == "flowforge.workflow"
    assert [n["id"] for n in data["nodes"]] == ["start", "fetch"]
    assert data["connections"] == [{"from": "start", "to": "fetch", "from_port": "out", "to_port": "in"}]

    qtbot.keyClick(win.view, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    assert len(win.doc) == 4
    new_ids = sorted(win.scene.selected_node_ids())
    assert new_ids == ["fetch_2", "start_2"]
    assert Connection("start_2", "fetch_2") in win.doc.connections()
    assert win.doc.node("fetch_2").position == (440.0, 140.0)

    # JSON typed in a text editor: a bare list with one node pastes as a node
    QGuiApplication.clipboard().setText(
        json.dumps([{"id": "note_taker", "type": "operation", "kind": "branch", "config": {"condition": "x"}}])
    )
    qtbot.keyClick(win.view, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    assert win.doc.node("note_taker").kind == "branch"

    QGuiApplication.clipboard().setText("hello")
    before = dump(win)
    qtbot.keyClick(win.view, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    assert win.statusBar().currentMessage() == (
        "Paste: the clipboard holds no workflow JSON (Expecting value at line 1)"
    )
    assert dump(win) == before

    QGuiApplication.clipboard().setText(json.dumps({"nodes": [{"id": "x", "kind": "http"}]}))
    win.paste()
    assert win.statusBar().currentMessage() == "Paste: Node 0: Missing required field: type"
    assert dump(win) == before

    # cut = copy + delete, one undo step brings the nodes back
    win.scene.select_nodes(["start_2", "fetch_2"])
    qtbot.keyClick(win.view, Qt.Key.Key_X, Qt.KeyboardModifier.ControlModifier)
    assert "start_2" not in win.doc and json.loads(QGuiApplication.clipboard().text())["nodes"]
    win.stack.undo()
    assert "start_2" in win.doc and Connection("start_2", "fetch_2") in win.doc.connections()


def test_quick_add_popup_adds_and_connects_to_the_selected_node(win, qtbot):
    add(win, "manual", 0, 100, "start")
    win.scene.select_nodes(["start"])
    win.view.setFocus()
    qtbot.keyClick(win.view, Qt.Key.Key_Tab)
    popup = win.view.quick_add
    assert popup is not None and popup.isVisible()
    qtbot.keyClicks(popup.search, "http")
    visible = [
        popup.list.item(i).data(Qt.ItemDataRole.UserRole)
        for i in range(popup.list.count())
        if not popup.list.item(i).isHidden()
    ]
    assert visible == ["webhook", "http"]  # the webhook's description mentions HTTP
    assert popup.list.currentItem().data(Qt.ItemDataRole.UserRole) == "http"  # the best match is highlighted
    qtbot.keyClick(popup.search, Qt.Key.Key_Return)
    assert not popup.isVisible()
    (new,) = [n for n in win.doc.nodes() if n.kind == "http"]
    assert win.doc.connections() == [Connection("start", new.id)]
    assert new.position == (NODE_WIDTH + 80, 100.0)
    assert win.stack.count() == 1  # one undo step for add + connect
    win.stack.undo()
    assert len(win.doc) == 1 and win.doc.connections() == []


def test_double_click_on_empty_canvas_opens_quick_add(win, qtbot):
    qtbot.mouseDClick(win.view.viewport(), Qt.MouseButton.LeftButton, pos=vp(win, 300, 300))
    popup = win.view.quick_add
    assert popup is not None and popup.isVisible()
    qtbot.keyClicks(popup.search, "sched")
    qtbot.keyClick(popup.search, Qt.Key.Key_Return)
    (spec,) = win.doc.nodes()
    assert spec.kind == "schedule"


def test_keyboard_shortcuts(win, qtbot):
    add(win, "manual", 0, 100, "start")
    add(win, "http", 400, 100, "fetch", url="https://example.com")
    win.editor.connect("start", "fetch")
    view = win.view
    view.setFocus()
    ctrl = Qt.KeyboardModifier.ControlModifier
    qtbot.keyClick(view, Qt.Key.Key_A, ctrl)
    assert sorted(win.scene.selected_node_ids()) == ["fetch", "start"]
    qtbot.keyClick(view, Qt.Key.Key_Delete)
    assert len(win.doc) == 0
    qtbot.keyClick(view, Qt.Key.Key_Z, ctrl)
    assert len(win.doc) == 2 and win.doc.connections() == [Connection("start", "fetch")]
    qtbot.keyClick(view, Qt.Key.Key_Z, ctrl | Qt.KeyboardModifier.ShiftModifier)
    assert len(win.doc) == 0
    qtbot.keyClick(view, Qt.Key.Key_Y, ctrl)  # nothing left to redo: no change
    qtbot.keyClick(view, Qt.Key.Key_Z, ctrl)
    win.scene.select_nodes(["start"])
    qtbot.keyClick(view, Qt.Key.Key_D, ctrl)
    assert "start_2" in win.doc
    zoom = view.zoom()
    qtbot.keyClick(view, Qt.Key.Key_Minus, ctrl)
    assert view.zoom() < zoom
    qtbot.keyClick(view, Qt.Key.Key_Equal, ctrl)
    assert abs(view.zoom() - zoom) < 1e-6
    qtbot.keyClick(view, Qt.Key.Key_Home)  # fit all (also Shift+1)
    visible = view.mapToScene(view.viewport().rect()).boundingRect()
    assert visible.contains(win.scene.nodes_bounds())
    qtbot.keyClick(view, Qt.Key.Key_G, ctrl)  # group the selection (title answered by the fake user)
    win.answers.text = "Fetchers"
    win.scene.select_nodes(["fetch", "start_2"])
    qtbot.keyClick(view, Qt.Key.Key_G, ctrl)
    (group,) = win.doc.groups
    assert group.title == "Fetchers" and set(group.nodes) == {"fetch", "start_2"}


def test_rubber_band_and_ctrl_click_selection(win, qtbot):
    add(win, "manual", 0, 0, "a")
    add(win, "manual", 0, 200, "b")
    add(win, "manual", 600, 0, "c")
    drag(qtbot, win, vp(win, -50, -50), vp(win, 260, 300))
    assert sorted(win.scene.selected_node_ids()) == ["a", "b"]
    viewport = win.view.viewport()
    qtbot.mouseClick(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.ControlModifier, vp(win, 700, 10))
    assert sorted(win.scene.selected_node_ids()) == ["a", "b", "c"]
    qtbot.mouseClick(viewport, Qt.MouseButton.LeftButton, pos=vp(win, 100, 10))
    assert win.scene.selected_node_ids() == ["a"]


def test_snap_to_grid_and_one_undo_step_per_drag(win, qtbot):
    add(win, "manual", 0, 0, "a")
    win.actions_by_name["snap"].setChecked(True)
    start = vp(win, 100, 10)
    drag(qtbot, win, start, start + QPoint(37, 53))
    x, y = win.doc.node("a").position
    assert x % 20 == 0 and y % 20 == 0 and (x, y) != (0, 0)
    assert win.stack.count() == 1
    win.stack.undo()
    assert win.doc.node("a").position == (0.0, 0.0)
    assert win.scene.nodes["a"].pos() == QPointF(0, 0)


def test_middle_drag_pans_and_wheel_zooms(win, qtbot):
    add(win, "manual", 0, 0, "a")
    center = win.view.center_scene_pos()
    drag(qtbot, win, QPoint(400, 300), QPoint(300, 250), Qt.MouseButton.MiddleButton)
    moved = win.view.center_scene_pos()
    assert abs(moved.x() - center.x() - 100) < 2 and abs(moved.y() - center.y() - 50) < 2
    # space + left drag pans too, and never moves or selects a node
    win.view.setFocus()
    qtbot.keyPress(win.view, Qt.Key.Key_Space)
    drag(qtbot, win, vp(win, 100, 10), vp(win, 100, 10) + QPoint(-80, 0))
    qtbot.keyRelease(win.view, Qt.Key.Key_Space)
    assert abs(win.view.center_scene_pos().x() - moved.x() - 80) < 2
    assert win.doc.node("a").position == (0.0, 0.0) and win.scene.selected_node_ids() == []
    # the wheel zooms around the cursor
    from PySide6.QtCore import QPoint as P
    from PySide6.QtGui import QWheelEvent

    zoom = win.view.zoom()
    wheel = QWheelEvent(
        QPointF(300, 300),
        QPointF(win.view.viewport().mapToGlobal(P(300, 300))),
        P(0, 0),
        P(0, 120),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(win.view.viewport(), wheel)
    assert abs(win.view.zoom() - zoom * 1.2) < 1e-6
    assert len(win.doc) == 1 and win.stack.count() == 0


def test_minimap_click_moves_the_view_and_far_zoom_uses_the_overview(win, qtbot):
    for i in range(30):
        add(win, "manual", (i % 6) * 300, (i // 6) * 200, f"n{i}")
    win.actions_by_name["minimap"].setChecked(True)
    minimap = win.view.minimap
    assert minimap.isVisible()
    qtbot.waitUntil(lambda: minimap._pixmap is not None)
    before = win.view.center_scene_pos()
    qtbot.mouseClick(minimap, Qt.MouseButton.LeftButton, pos=QPoint(5, 5))
    assert win.view.center_scene_pos() != before
    win.view.fit_all()
    win.view.set_zoom(0.1)
    assert win.scene.overview
    _by_color, bodies, _lines = win.scene.overview_shapes().shapes()
    assert len(bodies) == 30  # one rectangle per node
    win.view.set_zoom(1.0)
    assert not win.scene.overview


def test_auto_layout_is_layered_and_undoable(win, qtbot):
    add(win, "manual", 500, 500, "a")
    add(win, "http", 0, 0, "b", url="https://e.com")
    add(win, "http", 100, 900, "c", url="https://e.com")
    win.editor.connect("a", "b")
    win.editor.connect("b", "c")
    before = dump(win)
    win.auto_layout()
    xs = [win.doc.node(n).position[0] for n in "abc"]
    assert xs[0] < xs[1] < xs[2]
    assert len({win.doc.node(n).position[1] for n in "abc"}) == 1
    win.stack.undo()
    assert dump(win) == before


def test_sticky_notes_groups_badges_and_unknown_kinds(win, qtbot, tmp_path):
    add(win, "manual", 0, 0, "a")
    add(win, "http", 300, 0, "b", url="https://e.com")
    win.editor.connect("a", "b")
    win.add_note()
    (note,) = win.doc.notes
    win.answers.text = "Remember the token"
    win.view.editNoteRequested.emit(note.id)
    assert win.doc.notes[0].text == "Remember the token"
    group = win.editor.group(["a", "b"], "Pair")
    win.scene.set_group_collapsed(group.id, True)
    assert not win.scene.nodes["a"].isVisible()
    assert not win.scene.edges[Connection("a", "b")].isVisible()
    win.scene.set_group_collapsed(group.id, False)
    assert win.scene.nodes["a"].isVisible()
    win.scene.set_node_state("a", "running")
    assert win.scene.nodes["a"].state == "running"
    win.scene.set_node_state("a", None)
    assert win.scene.nodes["a"].state is None
    # an invalid config and an unknown kind show error badges with their message as tooltip
    path = tmp_path / "odd.json"
    path.write_text(
        json.dumps(
            {
                "format": "flowforge.workflow",
                "version": 1,
                "id": "x",
                "name": "odd",
                "nodes": [
                    {"id": "p", "type": "action", "kind": "pdf_render", "config": {"a": 1}, "position": [0, 0]},
                    {"id": "h", "type": "action", "kind": "http", "config": {"url": "htp:/x"}, "position": [300, 0]},
                ],
                "connections": [],
            }
        )
    )
    assert win.open_path(str(path))
    qtbot.waitUntil(lambda: bool(win.scene.nodes["h"].problems))  # badges are computed after the first paint
    assert win.scene.nodes["p"].problems == [
        "unknown node kind 'pdf_render' — is the plugin that provides it installed?"
    ]
    assert not win.scene.nodes["p"].known
    assert win.scene.nodes["h"].problems == ["config.url: invalid URL 'htp:/x'"]


def test_refcount_of_none_survives_many_void_qt_calls(win):
    """PITFALLS: PySide6 6.12 drops a None reference per void call and aborts Python 3.11."""
    import sys

    add(win, "manual", 0, 0, "a")
    item = win.scene.nodes["a"]
    before = sys.getrefcount(None)
    for i in range(20_000):
        item.setPos(float(i % 7), 0.0)
        win.view.setObjectName("canvas")
    after = sys.getrefcount(None)
    assert abs(after - before) < 1000


def test_dragging_a_group_title_moves_its_members_in_one_step(win, qtbot):
    add(win, "manual", 0, 0, "a")
    add(win, "http", 300, 0, "b", url="https://e.com")
    add(win, "manual", 0, 400, "outside")
    group = win.editor.group(["a", "b"], "Pair")
    item = win.scene.groups[group.id]
    title = item.title_rect()
    start = vp(win, title.x() + 120, title.y() + 10)
    count = win.stack.count()
    drag(qtbot, win, start, start + QPoint(40, 60))
    a, b = win.doc.node("a").position, win.doc.node("b").position
    assert a == (40.0, 60.0) and b == (340.0, 60.0)
    assert win.doc.node("outside").position == (0.0, 400.0)
    assert win.stack.count() == count + 1
    assert item.pos() == QPointF(0, 0) and item.rect.contains(win.scene.nodes["a"].pos())


def test_the_canvas_follows_a_palette_change(win):
    from flowforge_desktop.ui.theme import dark_palette

    assert not win.scene.theme.dark
    win.setPalette(dark_palette())
    assert win.scene.theme.dark


def test_arrow_keys_nudge_and_double_click_edits_the_node(win, qtbot):
    add(win, "manual", 0, 0, "a")
    win.scene.select_nodes(["a"])
    win.view.setFocus()
    qtbot.keyClick(win.view, Qt.Key.Key_Right)
    qtbot.keyClick(win.view, Qt.Key.Key_Down, Qt.KeyboardModifier.ShiftModifier)
    assert win.doc.node("a").position == (20.0, 1.0)
    assert win.stack.count() == 1  # quick nudges merge
    win.stack.undo()
    assert win.doc.node("a").position == (0.0, 0.0)
    qtbot.mouseDClick(win.view.viewport(), Qt.MouseButton.LeftButton, pos=vp(win, 100, 10))
    assert win.inspector.node_id == "a"
    assert win.inspector.header["name"].edit.hasFocus()


def test_click_an_edge_to_select_it_and_delete_it(win, qtbot):
    add(win, "manual", 0, 0, "a")
    add(win, "http", 400, 150, "b", url="https://e.com")
    win.editor.connect("a", "b")
    edge = win.scene.edges[Connection("a", "b")]
    mid = edge.path.pointAtPercent(0.5)
    qtbot.mouseClick(win.view.viewport(), Qt.MouseButton.LeftButton, pos=vp(win, mid.x(), mid.y()))
    assert edge.isSelected() and win.scene.selected_node_ids() == []
    win.view.setFocus()
    qtbot.keyClick(win.view, Qt.Key.Key_Delete)
    assert win.doc.connections() == [] and len(win.doc) == 2
    win.stack.undo()
    assert win.doc.connections() == [Connection("a", "b")]


def test_moving_a_node_reroutes_its_edges_during_the_drag(win, qtbot):
    add(win, "manual", 0, 0, "a")
    add(win, "http", 400, 0, "b", url="https://e.com")
    win.editor.connect("a", "b")
    edge = win.scene.edges[Connection("a", "b")]
    viewport = win.view.viewport()
    start = vp(win, 500, 10)
    qtbot.mousePress(viewport, Qt.MouseButton.LeftButton, pos=start)
    qtbot.mouseMove(viewport, start + QPoint(10, 60))
    qtbot.mouseMove(viewport, start + QPoint(20, 120))
    # mid-drag: the document is untouched, the edge already follows the node
    assert win.doc.node("b").position == (400.0, 0.0)
    assert edge.p2 == win.scene.nodes["b"].port_scene_pos("in", False)
    assert edge.p2.y() > 100
    qtbot.mouseRelease(viewport, Qt.MouseButton.LeftButton, pos=start + QPoint(20, 120))
    assert win.doc.node("b").position == (420.0, 120.0)


def test_pins_are_undoable_and_breakpoints_are_marked(win):
    add(win, "manual", 0, 0, "a")
    before = dump(win)
    assert win.editor.pin("a", {"rows": [1, 2]})
    assert win.doc.pinned["a"] == {"rows": [1, 2]} and win.scene.nodes["a"].pinned
    assert win.editor.unpin("a")
    assert "a" not in win.doc.pinned and not win.scene.nodes["a"].pinned
    win.stack.undo()
    assert win.doc.pinned["a"] == {"rows": [1, 2]}
    win.stack.undo()
    assert dump(win) == before
    assert not win.editor.unpin("a")
    assert win.statusBar().currentMessage() == "node 'a' has no pinned data"
    win.scene.set_breakpoint("a", True)
    assert win.scene.nodes["a"].breakpoint
    win.scene.set_node_state("a", "paused")
    win.view.viewport().grab()  # paints the marker and the badge
    win.scene.set_breakpoint("a", False)
    assert not win.scene.nodes["a"].breakpoint


def test_hovering_the_error_badge_shows_the_message(win, qtbot):
    add(win, "http", 0, 0, "h", url="https://e.com")
    win.scene.set_node_problems("h", ["config.url: invalid URL 'htp:/x'"])
    from PySide6.QtCore import QEvent
    from PySide6.QtGui import QMouseEvent

    viewport = win.view.viewport()

    def hover(x: float, y: float) -> None:  # QTest.mouseMove delivers only the first move offscreen
        point = QPointF(vp(win, x, y))
        global_point = QPointF(viewport.mapToGlobal(point.toPoint()))
        none = Qt.MouseButton.NoButton
        event = QMouseEvent(QEvent.Type.MouseMove, point, global_point, none, none, Qt.KeyboardModifier.NoModifier)
        QApplication.sendEvent(viewport, event)

    hover(100, 60)
    hover(1, 1)
    assert win.scene.nodes["h"].toolTip() == "config.url: invalid URL 'htp:/x'"
    hover(2, win.scene.nodes["h"].in_pos[0].y())
    assert win.scene.nodes["h"].toolTip() == "input port 'in' — drag to connect"
    hover(100, 60)
    assert win.scene.nodes["h"].toolTip() == ""


def test_the_overview_paints_batched_shapes_without_asking_items_and_leaving_it_paints_them_again(
    win, qtbot, monkeypatch
):
    for i in range(60):
        add(win, "manual", (i % 10) * 300, (i // 10) * 200, f"n{i}")
    note = win.editor.add_note((0, 1300), "far away")
    painted: list[str] = []
    original = NodeItem.paint
    monkeypatch.setattr(NodeItem, "paint", lambda item, *a: (painted.append(item.node_id), original(item, *a)))
    win.view.fit_all()
    win.view.set_zoom(0.1, QPointF(1400, 700))
    assert win.scene.overview
    win.scene.select_nodes(["n0"])
    image = win.view.viewport().grab().toImage()
    assert painted == []  # 60 nodes on screen, none asked to paint

    def color_at(scene_x: float, scene_y: float) -> str:
        return image.pixelColor(win.view.mapFromScene(QPointF(scene_x, scene_y))).name()

    header = win.scene.nodes["n11"].color.name()
    assert color_at(11 % 10 * 300 + 100, 200 + 10) == header  # a node's header from the batched shapes
    assert color_at(11 % 10 * 300 + 100, 200 + 60) == win.scene.theme.node_body.name()
    assert color_at(5 * 300 + 140, 100) == win.scene.theme.background.name()  # between nodes
    note_color = QColor(note.color).darker(260) if win.scene.theme.dark else QColor(note.color)
    assert color_at(100, 1350) == note_color.name()  # notes still paint themselves
    assert win.scene.node_at(QPointF(5, 5)) is win.scene.nodes["n0"]  # hit tests still find items
    win.view.set_zoom(1.0, QPointF(400, 300))
    assert not win.scene.overview
    win.view.viewport().grab()
    assert {"n0", "n1", "n11"} <= set(painted)


def test_select_all_and_delete_signal_the_selection_once(win, qtbot):
    for i in range(300):
        add(win, "manual", (i % 20) * 250, (i // 20) * 150, f"n{i}")
    signals = []
    win.scene.selectionChanged.connect(lambda: signals.append(1))
    win.select_all()
    assert len(win.scene.selected_node_ids()) == 300 and len(signals) == 1
    assert "300 nodes selected" in win.inspector.title.text()
    win.delete_selection()
    assert len(win.doc) == 0 and len(signals) == 2
    win.stack.undo()
    assert len(win.doc) == 300


def test_the_overview_follows_edits_in_place_without_rebuilding(win, qtbot):
    for i in range(20):
        add(win, "manual", (i % 5) * 300, (i // 5) * 200, f"n{i}")
    add(win, "http", 0, 900, "h", url="https://example.com")
    win.editor.connect("n0", "h")
    win.view.set_zoom(0.1, QPointF(700, 500))
    assert win.scene.overview
    shapes = win.scene.overview_shapes()

    def header_color_at(x: float, y: float) -> str:
        image = win.view.viewport().grab().toImage()
        return image.pixelColor(win.view.mapFromScene(QPointF(x, y))).name()

    manual = win.scene.nodes["n0"].color.name()
    assert header_color_at(100, 15) == manual
    win.editor.move({"n0": (1700.0, 0.0)})  # moved: its rects and its edge's line move in place
    assert header_color_at(100, 15) == win.scene.theme.background.name()
    assert header_color_at(1800, 15) == manual
    (line,) = win.scene.overview_shapes().shapes()[2]
    assert line.p1() == win.scene.nodes["n0"].port_scene_pos("out", True)
    win.editor.set_disabled(["n1"])  # restyled: grey header
    assert header_color_at(400, 15) == "#9e9e9e"
    win.editor.add_node("manual", (1700.0, 400.0))
    win.scene.select_nodes(["n2"])
    win.delete_selection()
    assert header_color_at(700, 15) == win.scene.theme.background.name()
    assert win.scene.overview_shapes() is shapes  # all of it without a rebuild
    assert len(shapes.bodies) == 21
    group = win.editor.group(["n5", "n6"], "G")
    win.scene.set_group_collapsed(group.id, True)  # what is shown changed: rebuilt once
    assert win.scene.overview_shapes() is not shapes and len(win.scene.overview_shapes().bodies) == 19


def test_the_status_bar_counts_connections_not_node_pairs(win, qtbot):
    add(win, "branch", 0, 0, "decide", condition="ok")
    add(win, "log", 400, 0, "note")
    win.editor.connect("decide", "note", "true", "in")
    win.editor.connect("decide", "note", "false", "in")
    assert win.status_count.text() == "2 nodes, 2 connections"
