"""Node pictures at the view's scale: stretched while a zoom settles, sharpened in idle time."""

from __future__ import annotations

import os
import subprocess
import sys

from PySide6.QtCore import QPointF
from PySide6.QtGui import QColor
from test_canvas_editing import add

from flowforge_desktop.ui import pixcache
from flowforge_desktop.ui.scene import NodeItem
from flowforge_desktop.ui.theme import STATE_COLORS


def grid(win, n: int, columns: int = 5) -> list[str]:
    ids = [f"n{i}" for i in range(n)]
    for i, node_id in enumerate(ids):
        add(win, "manual", (i % columns) * 300, (i // columns) * 200, node_id)
    return ids


def visible(win, ids: list[str]) -> list[str]:
    rect = win.view.mapToScene(win.view.viewport().rect()).boundingRect()
    return [i for i in ids if win.scene.nodes[i].sceneBoundingRect().intersects(rect)]


def sharp_grid(win, qtbot):
    """12 nodes shown at 100 %, every picture on screen rendered and sharp."""
    ids = grid(win, 12)
    pictures = win.scene.pictures
    win.view.set_zoom(1.0, QPointF(600, 300))
    win.view.viewport().grab()
    qtbot.waitUntil(lambda: pictures.pending() == 0)
    return ids, pictures


def color_at(win, image, x: float, y: float) -> str:
    return image.pixelColor(win.view.mapFromScene(QPointF(x, y))).name()


def test_a_zoom_stretches_the_pictures_it_has_and_idle_time_sharpens_them(win, qtbot):
    ids, pictures = sharp_grid(win, qtbot)
    before = visible(win, ids)
    assert before and all(pictures.scale_of(win.scene.nodes[i]) == 1.0 for i in before)
    pictures.reset_stats()
    win.view.set_zoom(0.8, QPointF(600, 300))
    win.view.viewport().grab()
    shown = visible(win, ids)
    new = set(shown) - set(before)
    assert pictures.renders == len(new)  # only nodes seen for the first time: the others stretch
    assert pictures.pending() == len(before) > 0
    qtbot.waitUntil(lambda: pictures.pending() == 0)
    assert pictures.renders == len(shown)
    assert all(pictures.scale_of(win.scene.nodes[i]) == 0.8 for i in shown)
    assert max(pictures.slice_times) < 0.1  # in slices, not one long stall
    pictures.reset_stats()
    image = win.view.viewport().grab().toImage()
    assert pictures.renders == 0
    for node_id in shown:  # each picture is where its node is
        item = win.scene.nodes[node_id]
        if win.view.viewport().rect().contains(win.view.mapFromScene(item.pos() + QPointF(150, 4))):
            assert color_at(win, image, item.x() + 150, item.y() + 4) == item.color.name()


def test_a_frame_renders_missing_pictures_within_its_budget_and_shows_boxes_for_the_rest(win, qtbot, monkeypatch):
    ids = grid(win, 40, columns=8)
    pictures = win.scene.pictures
    win.view.set_zoom(0.6, QPointF(1000, 700))
    pictures.clear()
    pictures.reset_stats()
    monkeypatch.setattr(pixcache, "FRAME_BUDGET", 0.0)  # the first render spends the whole budget
    image = win.view.viewport().grab().toImage()
    shown = visible(win, ids)
    assert len(shown) > 10
    assert pictures.renders == 1 and pictures.pending() == len(shown) - 1
    for node_id in shown:  # every node is on screen at once: a box in its header colour at least
        item = win.scene.nodes[node_id]
        if win.view.viewport().rect().contains(win.view.mapFromScene(item.pos() + QPointF(150, 4))):
            assert color_at(win, image, item.x() + 150, item.y() + 4) == item.color.name()
    qtbot.waitUntil(lambda: pictures.pending() == 0)
    assert all(pictures.scale_of(win.scene.nodes[i]) == 0.6 for i in shown)


def test_selecting_draws_over_the_picture_and_a_badge_renders_a_new_one(win, qtbot):
    grid(win, 4)
    pictures = win.scene.pictures
    win.view.set_zoom(1.0, QPointF(400, 200))
    win.view.viewport().grab()
    before = win.view.viewport().grab().toImage()
    pictures.reset_stats()
    win.scene.select_nodes(["n1"])
    image = win.view.viewport().grab().toImage()
    assert pictures.renders == 0
    selection = win.scene.theme.selection

    def distance(name: str) -> int:
        color = QColor(name)
        return sum(abs(a - b) for a, b in zip(color.getRgb()[:3], selection.getRgb()[:3], strict=True))

    for x, y in ((400, 0), (300, 60), (500, 60)):  # its outline: top, left and right edges
        assert distance(color_at(win, image, x, y)) < distance(color_at(win, before, x, y)) / 2
    assert color_at(win, image, 400, 60) == color_at(win, before, 400, 60)  # inside: the same picture
    win.scene.set_node_state("n1", "failed")
    item = win.scene.nodes["n1"]
    image = win.view.viewport().grab().toImage()
    assert pictures.renders == 1
    badge = item.state_rect().center() + item.pos()
    assert color_at(win, image, badge.x() - 5, badge.y()) == STATE_COLORS["failed"]


def test_pictures_stay_within_the_byte_budget_and_leave_with_their_node(win, qtbot):
    ids = grid(win, 12)
    pictures = win.scene.pictures
    win.view.set_zoom(1.0, QPointF(600, 300))
    win.view.viewport().grab()
    one = pictures.bytes_used // len(pictures)  # every node here has the same shape
    pictures.clear()
    pictures.budget_bytes = 3 * one
    win.view.viewport().grab()
    assert len(visible(win, ids)) > 3 and len(pictures) == 3
    pictures.budget_bytes = pixcache.DEFAULT_BUDGET
    win.view.viewport().grab()
    assert len(pictures) == len(visible(win, ids))
    gone = visible(win, ids)[0]
    item = win.scene.nodes[gone]
    win.scene.select_nodes([gone])
    win.delete_selection()
    assert pictures.scale_of(item) is None


def test_a_changed_look_past_the_frames_budget_shows_the_old_picture_never_a_blank_box(win, qtbot, monkeypatch):
    ids, pictures = sharp_grid(win, qtbot)
    shown = visible(win, ids)
    boxes: list[str] = []
    original = NodeItem.paint_placeholder
    monkeypatch.setattr(NodeItem, "paint_placeholder", lambda item, p: (boxes.append(item.node_id), original(item, p)))
    monkeypatch.setattr(pixcache, "FRAME_BUDGET", 0.0)
    pictures.reset_stats()
    for node_id in shown:  # a run finishing many nodes at once
        win.scene.set_node_state(node_id, "succeeded")
    win.view.viewport().grab()
    assert boxes == []
    assert pictures.renders == 1 and pictures.pending() == len(shown) - 1
    qtbot.waitUntil(lambda: pictures.pending() == 0)
    assert pictures.renders == len(shown)
    image = win.view.viewport().grab().toImage()
    for node_id in shown:
        item = win.scene.nodes[node_id]
        badge = item.state_rect().center() + item.pos() - QPointF(5, 0)
        if win.view.viewport().rect().contains(win.view.mapFromScene(badge)):
            assert color_at(win, image, badge.x(), badge.y()) == STATE_COLORS["succeeded"]


HIDPI_SCRIPT = """
import sys
from PySide6.QtCore import QPointF
from PySide6.QtWidgets import QApplication
from flowforge_desktop.model.document import WorkflowDocument
from flowforge_desktop.ui.editor import Editor
from flowforge_desktop.ui.scene import WorkflowScene
from flowforge_desktop.ui.view import CanvasView

app = QApplication([])
doc = WorkflowDocument()
doc.add_node(doc.new_node("manual", (0, 0), node_id="a"))
scene = WorkflowScene(doc)
view = CanvasView(scene, Editor(doc))
view.resize(600, 400)
view.show()
app.processEvents()
out = []
for zoom in (1.0, 0.8):  # rendered at 2 device pixels per unit, then stretched, then sharp again
    view.set_zoom(zoom, QPointF(100, 50))
    for step in ("first", "sharp"):
        if step == "sharp":
            scene.pictures.finish()
        pixmap = view.viewport().grab()
        image = pixmap.toImage()
        point = view.mapFromScene(QPointF(150, 4))
        dpr = pixmap.devicePixelRatio()
        out.append(f"{zoom} {step} {dpr} {image.pixelColor(int(point.x() * dpr), int(point.y() * dpr)).name()}")
print(";".join(out) + ";" + scene.nodes["a"].color.name() + ";" + str(scene.pictures.scale_of(scene.nodes["a"])))
"""


def test_pictures_are_sharp_and_in_place_on_a_hidpi_screen():
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "QT_SCALE_FACTOR": "2"}
    result = subprocess.run(
        [sys.executable, "-c", HIDPI_SCRIPT], env=env, capture_output=True, text=True, timeout=60, check=True
    )
    *frames, header, scale = result.stdout.strip().split(";")
    assert scale == "1.6"  # 0.8 x a device pixel ratio of 2
    assert frames == [f"{zoom} {step} 2.0 {header}" for zoom in ("1.0", "0.8") for step in ("first", "sharp")]
