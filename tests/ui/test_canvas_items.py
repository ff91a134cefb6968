"""Edges unplugged by their end, sticky notes resized by their grip, groups and notes renamed and
recoloured: driven through the real view with the mouse and keys."""

from __future__ import annotations

from designer_helpers import vp
from PySide6.QtCore import QPointF, Qt
from PySide6.QtWidgets import QMenu
from test_canvas_editing import add, drag, dump, port_point

from flowforge_desktop.model.changes import Connection
from flowforge_desktop.ui.theme import GROUP_COLORS, NOTE_COLORS


def three(win):
    add(win, "http", 0, 100, "a", url="https://example.com/a")
    add(win, "http", 400, 0, "b", url="https://example.com/b")
    add(win, "http", 400, 250, "c", url="https://example.com/c")
    win.editor.connect("a", "b")


def test_dragging_an_edges_end_to_another_input_moves_it_in_one_undo_step(win, qtbot):
    three(win)
    before, count = dump(win), win.stack.count()
    drag(qtbot, win, port_point(win, "b", "in", False), port_point(win, "c", "in", False))
    assert win.doc.connections() == [Connection("a", "c", "out", "in")]
    assert win.stack.count() == count + 1
    assert win.scene.edges[Connection("a", "c", "out", "in")].opacity() == 1.0
    win.stack.undo()
    assert dump(win) == before
    win.stack.redo()
    assert win.doc.connections() == [Connection("a", "c", "out", "in")]


def test_dropping_an_edges_end_on_the_canvas_removes_it_and_esc_cancels(win, qtbot):
    three(win)
    before = dump(win)
    viewport = win.view.viewport()
    qtbot.mousePress(viewport, Qt.MouseButton.LeftButton, pos=port_point(win, "b", "in", False))
    qtbot.mouseMove(viewport, vp(win, 300, 400))
    assert win.scene.edges[Connection("a", "b", "out", "in")].opacity() < 1.0  # picked up
    assert win.statusBar().currentMessage() == (
        "drop the connection on an input port to move it, or on the canvas to remove it"
    )
    qtbot.keyClick(viewport, Qt.Key.Key_Escape)
    qtbot.mouseRelease(viewport, Qt.MouseButton.LeftButton, pos=vp(win, 300, 400))
    assert dump(win) == before
    assert win.scene.edges[Connection("a", "b", "out", "in")].opacity() == 1.0
    drag(qtbot, win, port_point(win, "b", "in", False), vp(win, 250, 450))
    assert win.doc.connections() == []
    assert win.statusBar().currentMessage() == "removed the connection a.out -> b.in"
    win.stack.undo()
    assert dump(win) == before


def test_moving_an_edges_end_where_it_would_close_a_cycle_keeps_the_edge(win, qtbot):
    three(win)
    win.editor.connect("b", "c")
    before, count = dump(win), win.stack.count()
    # the end of b -> c dropped on a's input would make b -> a: a cycle with a -> b
    drag(qtbot, win, port_point(win, "c", "in", False), port_point(win, "a", "in", False))
    assert win.statusBar().currentMessage() == "connecting b -> a would create a cycle: a -> b -> a"
    assert dump(win) == before and win.stack.count() == count
    assert win.scene.edges[Connection("b", "c", "out", "in")].opacity() == 1.0


def test_an_unconnected_input_still_starts_a_new_connection(win, qtbot):
    three(win)
    drag(qtbot, win, port_point(win, "c", "in", False), port_point(win, "a", "out", True))
    assert Connection("a", "c", "out", "in") in win.doc.connections()
    assert Connection("a", "b", "out", "in") in win.doc.connections()


def test_a_sticky_note_is_resized_by_its_grip_in_one_undo_step(win, qtbot):
    note = win.editor.add_note((0, 0), "resize me")
    item = win.scene.notes[note.id]
    corner = item.mapToScene(item.grip_rect().center())
    before = dump(win)
    drag(qtbot, win, vp(win, corner.x(), corner.y()), vp(win, corner.x() + 100, corner.y() + 60))
    (changed,) = win.doc.notes
    assert changed.size == (300.0, 180.0) and changed.position == (0.0, 0.0)
    win.stack.undo()
    assert dump(win) == before and win.scene.notes[note.id].rect.width() == 200
    corner = item.mapToScene(item.grip_rect().center())
    drag(qtbot, win, vp(win, corner.x(), corner.y()), vp(win, corner.x() - 400, corner.y() - 400))
    assert win.doc.notes[0].size == (80.0, 40.0)  # never smaller than its minimum


def test_f2_renames_the_selected_group_or_node(win, qtbot):
    three(win)
    group = win.editor.group(["b", "c"], "Calls")
    win.scene.clearSelection()
    win.scene.groups[group.id].setSelected(True)
    win.answers.text = "Outbound calls"
    qtbot.keyClick(win.view.viewport(), Qt.Key.Key_F2)
    assert win.doc.groups[0].title == "Outbound calls"
    win.scene.select_nodes(["a"])
    win.answers.text = "Fetch orders"
    qtbot.keyClick(win.view.viewport(), Qt.Key.Key_F2)
    assert win.doc.node("a").name == "Fetch orders"
    win.stack.undo()
    win.stack.undo()
    assert win.doc.groups[0].title == "Calls"
    win.scene.clearSelection()
    qtbot.keyClick(win.view.viewport(), Qt.Key.Key_F2)
    assert win.statusBar().currentMessage() == "Select one node, a group or a note to rename it"


def menu_action(menu: QMenu, *path: str):
    for text in path[:-1]:
        menu = next(a.menu() for a in menu.actions() if a.text() == text)
    return next(a for a in menu.actions() if a.text() == path[-1])


def test_the_canvas_menu_of_a_group_and_a_note_renames_recolours_and_removes(win, qtbot):
    three(win)
    group = win.editor.group(["b", "c"], "Calls")
    title = win.scene.groups[group.id].title_rect().center()
    menu = QMenu()
    assert win.add_item_actions(menu, QPointF(title.x() + 60, title.y()))
    assert [a.text() for a in menu.actions()] == ["Rename group…", "Colour", "Collapse", "Ungroup"]
    assert menu_action(menu, "Colour", "Blue").isChecked()
    menu_action(menu, "Colour", "Purple").trigger()
    assert win.doc.groups[0].color == GROUP_COLORS["Purple"]
    win.answers.text = "Outbound"
    menu_action(menu, "Rename group…").trigger()
    assert win.doc.groups[0].title == "Outbound"
    menu_action(menu, "Collapse").trigger()
    assert win.scene.groups[group.id].collapsed
    note = win.editor.add_note((0, 400), "hello")
    menu = QMenu()
    assert win.add_item_actions(menu, QPointF(50, 450))
    assert [a.text() for a in menu.actions()] == ["Edit text…", "Colour", "Delete note"]
    menu_action(menu, "Colour", "Pink").trigger()
    assert win.doc.notes[0].color == NOTE_COLORS["Pink"]
    win.stack.undo()
    assert win.doc.notes[0].color == NOTE_COLORS["Yellow"]
    menu_action(menu, "Delete note").trigger()
    assert not win.doc.notes
    assert not win.add_item_actions(QMenu(), QPointF(100, 150))  # a node there: not a note's menu
    assert note.id not in win.scene.notes
    win.view.viewport().grab()  # and it paints


def test_the_note_grip_shows_a_resize_cursor(win, qtbot):
    note = win.editor.add_note((0, 0))
    item = win.scene.notes[note.id]
    corner = item.mapToScene(item.grip_rect().center())
    qtbot.mouseMove(win.view.viewport(), vp(win, corner.x(), corner.y()))
    qtbot.waitUntil(lambda: item.cursor().shape() == Qt.CursorShape.SizeFDiagCursor)
    qtbot.mouseMove(win.view.viewport(), vp(win, 100, 40))
    qtbot.waitUntil(lambda: item.cursor().shape() != Qt.CursorShape.SizeFDiagCursor)
