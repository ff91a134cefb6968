"""The canvas view: zoom, pan, selection, port-to-port connecting, drops, quick-add and a minimap."""

from __future__ import annotations

from typing import ClassVar

from PySide6.QtCore import QEvent, QPoint, QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import (
    QColor,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPen,
    QPixmap,
    QRegion,
    QTransform,
    QWheelEvent,
)
from PySide6.QtWidgets import (
    QFrame,
    QGraphicsItem,
    QGraphicsPathItem,
    QGraphicsView,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QStyle,
    QStyleOptionGraphicsItem,
    QVBoxLayout,
    QWidget,
)

from flowforge_desktop.model.changes import Connection
from flowforge_desktop.ui.editor import Editor
from flowforge_desktop.ui.icons import kind_icon
from flowforge_desktop.ui.scene import (
    GRID,
    NODE_WIDTH,
    EdgeItem,
    GroupItem,
    NodeItem,
    NoteItem,
    WorkflowScene,
)
from flowforge_desktop.ui.theme import CATEGORY_COLORS

MIME_KIND = "application/x-flowforge-kind"
MIN_ZOOM, MAX_ZOOM = 0.02, 3.0
OVERVIEW_BELOW = 0.3
ZOOM_STEP = 1.2


class CanvasView(QGraphicsView):
    zoomChanged = Signal(float)
    filesDropped = Signal(list)
    editNoteRequested = Signal(str)
    nodeActivated = Signal(str)  # a node was double-clicked: edit it

    def __init__(self, scene: WorkflowScene, editor: Editor, parent: QWidget | None = None) -> None:
        super().__init__(scene, parent)
        self.wscene = scene
        self.editor = editor
        self.setRenderHints(
            QPainter.RenderHint.Antialiasing
            | QPainter.RenderHint.TextAntialiasing
            | QPainter.RenderHint.SmoothPixmapTransform
        )
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.MinimalViewportUpdate)
        # no background cache: every zoom would re-render and blit a viewport-sized pixmap (~4 ms at
        # 1600x1000); filling the exposed rect and drawing the grid lines directly is cheaper
        self.setCacheMode(QGraphicsView.CacheModeFlag.CacheNone)
        self.setOptimizationFlag(QGraphicsView.OptimizationFlag.DontAdjustForAntialiasing, True)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setDragMode(QGraphicsView.DragMode.RubberBandDrag)
        self.setRubberBandSelectionMode(Qt.ItemSelectionMode.IntersectsItemShape)
        self.setAcceptDrops(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._space = False
        self._pan_from: QPoint | None = None
        self._link: tuple[str, str, bool] | None = None  # node id, port, from an output
        self._link_item: QGraphicsPathItem | None = None
        self._unplugged: Connection | None = None  # the edge whose end is being dragged off its input
        self._resizing: tuple[NoteItem, QPointF, QRectF] | None = None  # note, press point, rect at press
        self._press_positions: dict[str, tuple[float, float]] = {}
        self._press_notes: dict[str, tuple[float, float]] = {}
        self.last_scene_pos = QPointF()
        self.quick_add: QuickAddPopup | None = None
        self.minimap = Minimap(self)
        self.minimap.hide()

    # --- zoom -----------------------------------------------------------------------------------
    def zoom(self) -> float:
        return self.transform().m11()

    def set_zoom(self, zoom: float, anchor: QPointF | None = None) -> None:
        zoom = max(MIN_ZOOM, min(MAX_ZOOM, zoom))
        if anchor is not None and abs(zoom - self.zoom()) < 1e-9:
            self.centerOn(anchor)  # a scroll: Qt repaints only what comes into view
            return
        center = anchor if anchor is not None else self.mapToScene(self.viewport().rect().center())
        old_anchor = self.transformationAnchor()
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.NoAnchor)
        self.setTransform(QTransform.fromScale(zoom, zoom))
        self.centerOn(center)
        self.setTransformationAnchor(old_anchor)
        self._zoom_changed()

    def _zoom_changed(self) -> None:
        overview = self.zoom() < OVERVIEW_BELOW
        if overview != self.wscene.overview:
            self.wscene.set_overview(overview)
            # items are not painted in the overview, so Qt's record of where each was painted goes
            # stale: repaint the whole viewport there instead of the rects Qt would compute
            mode = QGraphicsView.ViewportUpdateMode
            self.setViewportUpdateMode(mode.FullViewportUpdate if overview else mode.MinimalViewportUpdate)
            self.viewport().update()
        self.zoomChanged.emit(self.zoom())
        self.minimap.refresh_view()

    def zoom_in(self) -> None:
        self.set_zoom(self.zoom() * ZOOM_STEP)

    def zoom_out(self) -> None:
        self.set_zoom(self.zoom() / ZOOM_STEP)

    def reset_zoom(self) -> None:
        self.set_zoom(1.0)

    def fit_rect(self, rect: QRectF) -> None:
        if rect.isEmpty():
            return
        rect = rect.adjusted(-40, -40, 40, 40)
        self.fitInView(rect, Qt.AspectRatioMode.KeepAspectRatio)
        if self.zoom() > 1.0:
            self.set_zoom(1.0, rect.center())
        elif self.zoom() < MIN_ZOOM:
            self.set_zoom(MIN_ZOOM, rect.center())
        else:
            self._zoom_changed()

    def fit_all(self) -> None:
        self.fit_rect(self.wscene.nodes_bounds())

    def fit_selection(self) -> None:
        ids = self.wscene.selected_node_ids()
        if ids:
            self.fit_rect(self.wscene.nodes_bounds(ids))
        else:
            self.editor.message.emit("select nodes to fit them in the window")

    def wheelEvent(self, event: QWheelEvent) -> None:
        delta = event.angleDelta().y()
        if delta == 0:
            return
        factor = ZOOM_STEP ** (delta / 120)
        new = max(MIN_ZOOM, min(MAX_ZOOM, self.zoom() * factor))
        factor = new / self.zoom()
        self.scale(factor, factor)
        self._zoom_changed()

    def scrollContentsBy(self, dx: int, dy: int) -> None:
        super().scrollContentsBy(dx, dy)
        self.minimap.refresh_view()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self.minimap.place()

    # --- painting ---------------------------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:
        if not self.wscene.overview:
            self.wscene.pictures.begin_frame()
            super().paintEvent(event)
            return
        # The overview: Qt draws the items that meet the exposed region, so hand it an empty one and
        # no item is visited (11,000 at 5,000 nodes); the painter stays clipped to the real update
        # region. Background, drawForeground (the batched overview) and the rubber band still draw.
        super().paintEvent(QPaintEvent(QRegion()))

    def drawBackground(self, painter: QPainter, rect: QRectF) -> None:
        theme = self.wscene.theme
        if self.wscene.overview:  # paintEvent passed an empty region (see there): the painter clips
            rect = self.mapToScene(self.viewport().rect()).boundingRect()
        painter.fillRect(rect, theme.background)
        zoom = self.zoom()
        if zoom < 0.45:
            return
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        step = GRID * (1 if zoom >= 0.9 else 4)
        left = int(rect.left() // step) * step
        top = int(rect.top() // step) * step
        minor, major = [], []
        from PySide6.QtCore import QLineF

        x = left
        while x < rect.right():
            (major if round(x / step) % 5 == 0 else minor).append(QLineF(x, rect.top(), x, rect.bottom()))
            x += step
        y = top
        while y < rect.bottom():
            (major if round(y / step) % 5 == 0 else minor).append(QLineF(rect.left(), y, rect.right(), y))
            y += step
        pen = QPen(theme.grid, 0)
        painter.setPen(pen)
        painter.drawLines(minor)
        painter.setPen(QPen(theme.grid_major, 0))
        painter.drawLines(major)

    def drawForeground(self, painter: QPainter, rect: QRectF) -> None:
        scene = self.wscene
        if not scene.overview:
            return
        theme = scene.theme
        # the few items the batched shapes do not cover paint themselves, below the nodes
        for item in (*scene.groups.values(), *scene.notes.values()):
            if item.isVisible():
                self._paint_item(painter, item)
        by_color, bodies, lines = scene.overview_shapes().shapes()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        painter.setPen(QPen(theme.edge, 0))
        painter.drawLines(lines)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(theme.node_body)
        painter.drawRects(bodies)
        for color, rects in by_color.items():
            painter.setBrush(QColor(color))
            painter.drawRects(rects)
        selected = [i for i in scene.selectedItems() if isinstance(i, NodeItem)]
        if selected:
            pen = QPen(theme.selection, 0)
            pen.setWidthF(3 / max(self.zoom(), 0.01))
            painter.setPen(pen)
            for item in selected:
                painter.drawRect(item.rect.translated(item.pos()))
        if self._link_item is not None:
            self._paint_item(painter, self._link_item)

    def _paint_item(self, painter: QPainter, item: QGraphicsItem) -> None:
        """Paint one item the way the scene would (its transform, its selected state)."""
        option = QStyleOptionGraphicsItem()
        option.exposedRect = item.boundingRect()
        if item.isSelected():
            option.state |= QStyle.StateFlag.State_Selected
        painter.save()
        painter.setTransform(item.sceneTransform(), True)
        item.paint(painter, option, self.viewport())
        painter.restore()

    # --- mouse ------------------------------------------------------------------------------------
    def mousePressEvent(self, event: QMouseEvent) -> None:
        pos = self.mapToScene(event.position().toPoint())
        self.last_scene_pos = pos
        if event.button() == Qt.MouseButton.MiddleButton or (
            event.button() == Qt.MouseButton.LeftButton and self._space
        ):
            self._pan_from = event.position().toPoint()
            self.viewport().setCursor(Qt.CursorShape.ClosedHandCursor)
            event.accept()
            return
        if event.button() == Qt.MouseButton.LeftButton:
            node = self.wscene.node_at(pos)
            hit = node.port_at(pos) if node is not None and not self.wscene.overview else None
            if hit is not None:
                port, output = hit
                attached = None if output else self._last_connection_into(node.node_id, port)
                if attached is not None:  # an input with an edge: pick up that edge's end
                    self._unplug(attached, pos)
                else:
                    self._start_link(node, port, output, pos)
                event.accept()
                return
            under = self.itemAt(event.position().toPoint())
            if node is None and isinstance(under, NoteItem) and under.grip_rect().contains(under.mapFromScene(pos)):
                self._resizing = (under, pos, QRectF(under.rect))
                event.accept()
                return
            group = under
            if node is None and isinstance(group, GroupItem):
                local = group.mapFromScene(pos)
                if group.title_rect().contains(local) and local.x() < group.rect.x() + 30:
                    self.wscene.set_group_collapsed(group.group_id, not group.collapsed)
                    event.accept()
                    return
                if not group.collapsed and not (event.modifiers() & Qt.KeyboardModifier.ControlModifier):
                    # dragging a group's title drags its members
                    self.wscene.clearSelection()
                    for member in group.members():
                        member.setSelected(True)
                    group.setSelected(True)
        self.wscene.mouse_moving = True
        super().mousePressEvent(event)
        # remember where the selection started, to commit one move command on release
        self._press_positions = {
            i.node_id: (i.pos().x(), i.pos().y()) for i in self.wscene.selectedItems() if isinstance(i, NodeItem)
        }
        self._press_notes = {
            i.note_id: (i.pos().x(), i.pos().y()) for i in self.wscene.selectedItems() if isinstance(i, NoteItem)
        }

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._pan_from is not None:
            delta = event.position().toPoint() - self._pan_from
            self._pan_from = event.position().toPoint()
            self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() - delta.x())
            self.verticalScrollBar().setValue(self.verticalScrollBar().value() - delta.y())
            event.accept()
            return
        if self._link is not None:
            self._update_link(self.mapToScene(event.position().toPoint()))
            event.accept()
            return
        if self._resizing is not None:
            note, start, rect = self._resizing
            delta = self.mapToScene(event.position().toPoint()) - start
            width, height = rect.width() + delta.x(), rect.height() + delta.y()
            if self.wscene.snap_to_grid:
                width, height = round(width / GRID) * GRID, round(height / GRID) * GRID
            note.preview_size(max(NoteItem.MIN_SIZE[0], width), max(NoteItem.MIN_SIZE[1], height))
            event.accept()
            return
        super().mouseMoveEvent(event)
        if self._press_positions and event.buttons() & Qt.MouseButton.LeftButton:
            self._follow_drag()

    def _follow_drag(self) -> None:
        """Nodes moved by Qt's item drag: snap them, then re-route their edges (never a full relayout)."""
        scene = self.wscene
        for node_id in self._press_positions:
            item = scene.nodes.get(node_id)
            if item is None:
                continue
            pos = item.pos()
            if scene.snap_to_grid:
                snapped = QPointF(round(pos.x() / GRID) * GRID, round(pos.y() / GRID) * GRID)
                if snapped != pos:
                    item.setPos(snapped)
                    pos = snapped
            if (pos.x(), pos.y()) != item.last_routed:
                item.last_routed = (pos.x(), pos.y())
                scene.node_moved(item)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._pan_from is not None:
            self._pan_from = None
            self.viewport().setCursor(Qt.CursorShape.OpenHandCursor if self._space else Qt.CursorShape.ArrowCursor)
            event.accept()
            return
        if self._link is not None:
            self._finish_link(self.mapToScene(event.position().toPoint()))
            event.accept()
            return
        if self._resizing is not None:
            note, _start, rect = self._resizing
            self._resizing = None
            size = (note.rect.width(), note.rect.height())
            if size != (rect.width(), rect.height()):
                self.editor.update_note(note.note_id, size=size)
            event.accept()
            return
        super().mouseReleaseEvent(event)
        self.wscene.mouse_moving = False
        for group in self.wscene.groups.values():
            if not group.pos().isNull():
                group.setPos(0, 0)
                group.update_bounds()
        self._commit_move()

    def _commit_move(self) -> None:
        moved = {}
        for node_id in self._press_positions:
            item = self.wscene.nodes.get(node_id)
            if item is not None:
                moved[node_id] = (item.pos().x(), item.pos().y())
        notes = {}
        for note_id in self._press_notes:
            item = self.wscene.notes.get(note_id)
            if item is not None:
                notes[note_id] = (item.pos().x(), item.pos().y())
        self._press_positions, self._press_notes = {}, {}
        if moved or notes:
            self.editor.move(moved, notes)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        pos = self.mapToScene(event.position().toPoint())
        item = self.itemAt(event.position().toPoint())
        if isinstance(item, NoteItem):
            self.editNoteRequested.emit(item.note_id)
            return
        if isinstance(item, GroupItem):
            self.wscene.set_group_collapsed(item.group_id, not item.collapsed)
            return
        if item is None:
            self.show_quick_add(pos)
            return
        if isinstance(item, NodeItem):
            self.wscene.select_nodes([item.node_id])
            self.nodeActivated.emit(item.node_id)
            return
        super().mouseDoubleClickEvent(event)

    # --- connecting ports -----------------------------------------------------------------------------
    def _start_link(self, node: NodeItem, port: str, output: bool, pos: QPointF) -> None:
        self._link = (node.node_id, port, output)
        item = QGraphicsPathItem()
        pen = QPen(self.wscene.theme.selection, 2, Qt.PenStyle.DashLine)
        item.setPen(pen)
        item.setZValue(10)
        self.wscene.addItem(item)
        self._link_item = item
        self._update_link(pos)

    def _update_link(self, pos: QPointF) -> None:
        if self._link is None or self._link_item is None:
            return
        node_id, port, output = self._link
        start = self.wscene.nodes[node_id].port_scene_pos(port, output)
        p1, p2 = (start, pos) if output else (pos, start)
        dx = max(abs(p2.x() - p1.x()) * 0.5, 50.0)
        path = QPainterPath(p1)
        path.cubicTo(p1.x() + dx, p1.y(), p2.x() - dx, p2.y(), p2.x(), p2.y())
        self._link_item.setPath(path)

    def _last_connection_into(self, node_id: str, port: str) -> Connection | None:
        doc = self.editor.doc
        into = [c for c in doc.connections_of(node_id) if c.target == node_id and c.to_port == port]
        return max(into, key=doc.connection_order) if into else None

    def _unplug(self, conn: Connection, pos: QPointF) -> None:
        """Drag an edge's end off its input: drop it on another input to move it, on nothing to delete it."""
        self._unplugged = conn
        edge = self.wscene.edges.get(conn)
        if edge is not None:
            edge.setOpacity(0.25)
        self._start_link(self.wscene.nodes[conn.source], conn.from_port, True, pos)
        self.editor.message.emit("drop the connection on an input port to move it, or on the canvas to remove it")

    def cancel_link(self) -> None:
        """Esc during a connection drag: nothing changes."""
        if self._link is None:
            return
        self._link = None
        if self._link_item is not None:
            self.wscene.removeItem(self._link_item)
            self._link_item = None
        self._end_unplug()

    def _end_unplug(self) -> Connection | None:
        conn, self._unplugged = self._unplugged, None
        if conn is not None and (edge := self.wscene.edges.get(conn)) is not None:
            edge.setOpacity(1.0)
        return conn

    def _finish_link(self, pos: QPointF) -> None:
        node_id, port, output = self._link
        self._link = None
        if self._link_item is not None:
            self.wscene.removeItem(self._link_item)
            self._link_item = None
        unplugged = self._end_unplug()
        target = self.wscene.node_at(pos)
        if target is None:
            if unplugged is not None:
                self.editor.remove(connections=[unplugged])
                self.editor.message.emit(f"removed the connection {unplugged}")
            return
        hit = target.port_at(pos)
        if hit is None:  # dropped on the body: use the first port of the right side
            names = target.in_names if output else target.out_names
            if not names:
                side = "inputs" if output else "outputs"
                self.editor.message.emit(f"node '{target.node_id}' has no {side} to connect to")
                return
            hit = (names[0], not output)
        other_port, other_is_output = hit
        if other_is_output == output:
            side = "an output" if output else "an input"
            self.editor.message.emit(f"cannot connect {side} to {side}: drag from an output port to an input port")
            return
        if unplugged is not None:
            self.editor.reconnect(unplugged, Connection(node_id, target.node_id, port, other_port))
        elif output:
            self.editor.connect(node_id, target.node_id, port, other_port)
        else:
            self.editor.connect(target.node_id, node_id, other_port, port)

    # --- keys ---------------------------------------------------------------------------------------
    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.KeyPress and event.key() == Qt.Key.Key_Tab:
            self.show_quick_add(self.mapToScene(self.mapFromGlobal(self.cursor().pos())))
            return True
        return super().event(event)

    NUDGES: ClassVar[dict[Qt.Key, tuple[int, int]]] = {
        Qt.Key.Key_Left: (-1, 0),
        Qt.Key.Key_Right: (1, 0),
        Qt.Key.Key_Up: (0, -1),
        Qt.Key.Key_Down: (0, 1),
    }

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape and self._link is not None:
            self.cancel_link()
            event.accept()
            return
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space = True
            self.viewport().setCursor(Qt.CursorShape.OpenHandCursor)
            event.accept()
            return
        if event.key() in self.NUDGES and self.wscene.selected_node_ids():
            # arrows nudge the selection one grid step (Shift: one pixel); quick nudges merge into one undo step
            dx, dy = self.NUDGES[event.key()]
            step = 1.0 if event.modifiers() & Qt.KeyboardModifier.ShiftModifier else GRID
            positions = {}
            for node_id in self.wscene.selected_node_ids():
                x, y = self.editor.doc.node(node_id).position
                positions[node_id] = (x + dx * step, y + dy * step)
            self.editor.move(positions, text="Nudge")
            event.accept()
            return
        super().keyPressEvent(event)

    def keyReleaseEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space = False
            self.viewport().setCursor(Qt.CursorShape.ArrowCursor)
            event.accept()
            return
        super().keyReleaseEvent(event)

    # --- drops ---------------------------------------------------------------------------------------
    def dragEnterEvent(self, event) -> None:
        mime = event.mimeData()
        if mime.hasFormat(MIME_KIND) or mime.hasUrls():
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event) -> None:
        mime = event.mimeData()
        if mime.hasFormat(MIME_KIND) or mime.hasUrls():
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event) -> None:
        mime = event.mimeData()
        if mime.hasFormat(MIME_KIND):
            kind = bytes(mime.data(MIME_KIND)).decode()
            pos = self.mapToScene(event.position().toPoint())
            spec = self.editor.add_node(kind, self.snap(QPointF(pos.x() - NODE_WIDTH / 2, pos.y() - 17)))
            if spec is not None:
                self.wscene.select_nodes([spec.id])
            event.acceptProposedAction()
        elif mime.hasUrls():
            paths = [u.toLocalFile() for u in mime.urls() if u.isLocalFile()]
            if paths:
                self.filesDropped.emit(paths)
            event.acceptProposedAction()
        else:
            event.ignore()

    def snap(self, pos: QPointF) -> tuple[float, float]:
        if self.wscene.snap_to_grid:
            return (round(pos.x() / GRID) * GRID, round(pos.y() / GRID) * GRID)
        return (round(pos.x(), 1), round(pos.y(), 1))

    def center_scene_pos(self) -> QPointF:
        return self.mapToScene(self.viewport().rect().center())

    # --- quick add ------------------------------------------------------------------------------------
    def show_quick_add(self, scene_pos: QPointF) -> QuickAddPopup:
        if self.quick_add is None:
            self.quick_add = QuickAddPopup(self)
        selected = self.wscene.selected_node_ids()
        source = selected[0] if len(selected) == 1 else None
        if source is not None:
            item = self.wscene.nodes[source]
            at = (item.pos().x() + NODE_WIDTH + 80, item.pos().y())
        else:
            at = self.snap(scene_pos)
        self.quick_add.open_at(self.mapToGlobal(self.mapFromScene(scene_pos)), at, source)
        return self.quick_add


class QuickAddPopup(QFrame):
    """Type to search the kinds; Enter adds the highlighted one (and connects it to the selected node)."""

    def __init__(self, view: CanvasView) -> None:
        super().__init__(view, Qt.WindowType.Popup)
        self.view = view
        self.setFrameShape(QFrame.Shape.StyledPanel)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        self.search = QLineEdit(self)
        self.search.setPlaceholderText("Add a node: type to search…")
        self.list = QListWidget(self)
        layout.addWidget(self.search)
        layout.addWidget(self.list)
        self.resize(300, 320)
        self.search.textChanged.connect(self._filter)
        self.search.returnPressed.connect(self.accept)
        self.list.itemActivated.connect(lambda _item: self.accept())
        self.search.installEventFilter(self)
        self._at: tuple[float, float] = (0.0, 0.0)
        self._source: str | None = None
        registry = view.editor.doc.registry
        for kind in registry:
            item = QListWidgetItem(
                kind_icon(kind.kind, kind.icon, CATEGORY_COLORS.get(kind.category.value, "#888")),
                f"{kind.display_title()}  ·  {kind.category.value}",
            )
            item.setData(Qt.ItemDataRole.UserRole, kind.kind)
            item.setData(Qt.ItemDataRole.UserRole + 1, f"{kind.kind} {kind.display_title()} {kind.description}".lower())
            item.setToolTip(kind.description)
            self.list.addItem(item)

    def open_at(self, global_pos: QPoint, at: tuple[float, float], source: str | None) -> None:
        self._at, self._source = at, source
        self.search.clear()
        self._filter("")
        self.move(global_pos)
        self.show()
        self.search.setFocus()

    def _filter(self, text: str) -> None:
        words = text.lower().split()
        best, best_score = None, 99
        for row in range(self.list.count()):
            item = self.list.item(row)
            hay = item.data(Qt.ItemDataRole.UserRole + 1)
            visible = all(w in hay for w in words)
            item.setHidden(not visible)
            if visible:
                kind = item.data(Qt.ItemDataRole.UserRole)
                title = item.text().lower()
                query = text.lower().strip()
                score = 0 if kind == query else 1 if kind.startswith(query) or title.startswith(query) else 2
                if score < best_score:
                    best, best_score = item, score
        self.list.setCurrentItem(best)

    def eventFilter(self, obj, event) -> bool:
        if obj is self.search and event.type() == QEvent.Type.KeyPress:
            key = event.key()
            if key in (Qt.Key.Key_Down, Qt.Key.Key_Up):
                rows = [r for r in range(self.list.count()) if not self.list.item(r).isHidden()]
                if rows:
                    current = self.list.currentRow()
                    idx = rows.index(current) if current in rows else -1
                    idx = min(len(rows) - 1, idx + 1) if key == Qt.Key.Key_Down else max(0, idx - 1)
                    self.list.setCurrentRow(rows[idx])
                return True
            if key == Qt.Key.Key_Escape:
                self.hide()
                return True
        return super().eventFilter(obj, event)

    def accept(self) -> None:
        item = self.list.currentItem()
        self.hide()
        if item is None or item.isHidden():
            return
        spec = self.view.editor.add_node_after(item.data(Qt.ItemDataRole.UserRole), self._at, self._source)
        if spec is not None:
            self.view.wscene.select_nodes([spec.id])


class Minimap(QWidget):
    """A small overview of the whole graph in the view's corner; click or drag to move the view."""

    SIZE = (220, 150)

    def __init__(self, view: CanvasView) -> None:
        super().__init__(view)
        self.view = view
        self.resize(*self.SIZE)
        self._pixmap: QPixmap | None = None
        self._bounds = QRectF()
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(150)
        self._timer.timeout.connect(self._rebuild)
        view.editor.doc.subscribe(lambda _change: self._timer.start())
        self.setCursor(Qt.CursorShape.PointingHandCursor)

    def place(self) -> None:
        vp = self.view.viewport().geometry()
        self.move(vp.right() - self.width() - 10, vp.bottom() - self.height() - 10)

    def showEvent(self, event) -> None:
        self.place()
        self._rebuild()
        super().showEvent(event)

    def refresh_view(self) -> None:
        if self.isVisible():
            if self._timer.isActive() or self._pixmap is None:
                self._timer.stop()
                self._rebuild()
            self.update()

    def _transform(self) -> tuple[float, float, float]:
        b = self._bounds
        if b.isEmpty():
            return 1.0, 0.0, 0.0
        scale = min((self.width() - 8) / b.width(), (self.height() - 8) / b.height())
        ox = 4 + (self.width() - 8 - b.width() * scale) / 2 - b.x() * scale
        oy = 4 + (self.height() - 8 - b.height() * scale) / 2 - b.y() * scale
        return scale, ox, oy

    def _rebuild(self) -> None:
        if not self.isVisible():
            return
        scene = self.view.wscene
        self._bounds = scene.nodes_bounds().adjusted(-100, -100, 100, 100)
        pixmap = QPixmap(self.size())
        theme = scene.theme
        bg = QColor(theme.node_body)
        bg.setAlpha(230)
        pixmap.fill(bg)
        painter = QPainter(pixmap)
        scale, ox, oy = self._transform()
        painter.setPen(Qt.PenStyle.NoPen)
        for item in scene.nodes.values():
            pos = item.pos()
            painter.fillRect(
                QRectF(ox + pos.x() * scale, oy + pos.y() * scale, max(2.0, NODE_WIDTH * scale), max(2.0, 60 * scale)),
                item.color,
            )
        painter.setPen(QPen(theme.node_border, 1))
        painter.drawRect(QRectF(0, 0, self.width() - 1, self.height() - 1))
        painter.end()
        self._pixmap = pixmap
        self.update()

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        if self._pixmap is not None:
            painter.drawPixmap(0, 0, self._pixmap)
        scale, ox, oy = self._transform()
        visible = self.view.mapToScene(self.view.viewport().rect()).boundingRect()
        painter.setPen(QPen(self.view.wscene.theme.selection, 1.5))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRect(
            QRectF(
                ox + visible.x() * scale, oy + visible.y() * scale, visible.width() * scale, visible.height() * scale
            ).intersected(QRectF(1, 1, self.width() - 2, self.height() - 2))
        )

    def _center_on(self, pos: QPointF) -> None:
        scale, ox, oy = self._transform()
        self.view.centerOn(QPointF((pos.x() - ox) / scale, (pos.y() - oy) / scale))

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self._center_on(event.position())

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if event.buttons() & Qt.MouseButton.LeftButton:
            self._center_on(event.position())


def selected_connections(scene: WorkflowScene) -> list[Connection]:
    return [i.conn for i in scene.selectedItems() if isinstance(i, EdgeItem)]


def selected_note_ids(scene: WorkflowScene) -> list[str]:
    return [i.note_id for i in scene.selectedItems() if isinstance(i, NoteItem)]


def selected_group_ids(scene: WorkflowScene) -> list[str]:
    return [i.group_id for i in scene.selectedItems() if isinstance(i, GroupItem)]


__all__ = ["MIME_KIND", "CanvasView", "Minimap", "QGraphicsItem", "QuickAddPopup"]
