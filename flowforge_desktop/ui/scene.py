"""The canvas scene: a view of one WorkflowDocument that follows its change events.

Performance rules (PITFALLS.md): one item per node that paints everything itself, one item per edge
whose path is recomputed only when an end moves, no cache on edges, level of detail from the painter's
transform, bulk loads with updates off and an explicit sceneRect. Zoomed far out the scene switches to
an overview: items keep their place in the BSP index (selection and hit tests still work) but the view
does not ask them to paint (see CanvasView.paintEvent); it draws all nodes and edges in a few batched
calls instead. Switching costs nothing: no item is touched.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from contextlib import contextmanager
from functools import lru_cache

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFontMetricsF,
    QPainter,
    QPainterPath,
    QPainterPathStroker,
    QPen,
    QTransform,
)
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsScene,
    QGraphicsSceneHoverEvent,
    QStyleOptionGraphicsItem,
    QWidget,
)

from flowforge_desktop.model.changes import (
    Change,
    Connection,
    ConnectionAdded,
    ConnectionRemoved,
    DocumentReset,
    GroupChanged,
    NodeAdded,
    NodeRemoved,
    NodeUpdated,
    NoteChanged,
    PinChanged,
)
from flowforge_desktop.model.document import WorkflowDocument, config_problems
from flowforge_desktop.model.schema import Group, NodeSpec, StickyNote
from flowforge_desktop.nodes.base import NodeKind
from flowforge_desktop.ui.icons import kind_pixmap
from flowforge_desktop.ui.overview import DISABLED_COLOR, Overview
from flowforge_desktop.ui.pixcache import PictureCache
from flowforge_desktop.ui.theme import (
    CATEGORY_COLORS,
    STATE_COLORS,
    STATE_GLYPHS,
    UNKNOWN_COLOR,
    CanvasTheme,
)

NODE_WIDTH = 200.0
HEADER = 34.0
PORT_ROW = 22.0
PORT_R = 5.5
GRID = 20.0
DETAIL_LOD = 0.55  # below: no text, no ports labels
SCENE_MARGIN = 2000.0
_BOUNDS_PAD = 14.0

_ELIDE = Qt.TextElideMode.ElideRight
_TX_SCALE = QTransform.TransformationType.TxScale.value  # beyond: rotated or sheared, no pictures
_NODE_FLAGS = QGraphicsItem.GraphicsItemFlag.ItemIsSelectable | QGraphicsItem.GraphicsItemFlag.ItemIsMovable
_ALIGN_LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
_ALIGN_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter


SUMMARY = 18.0


def node_height(n_in: int, n_out: int) -> float:
    return HEADER + max(n_in, n_out, 1) * PORT_ROW + 10.0 + SUMMARY


def config_summary(spec: NodeSpec) -> str:
    """One line under the ports that tells nodes of the same kind apart."""
    c = spec.config
    kind = spec.kind
    if kind == "http":
        return f"{c.get('method', 'GET')} {c.get('url', '')}"
    if kind == "schedule":
        if c.get("schedule_type") == "interval":
            return f"every {c.get('interval_seconds')} s"
        return f"{c.get('cron_expression', '')}  ({c.get('timezone', 'UTC')})"
    if kind == "email":
        return "to " + ", ".join(c.get("to") or [])
    if kind == "webhook":
        return f"POST /webhooks/{c.get('webhook_id', '')}"
    if kind == "file_watch":
        return f"{c.get('watch_path', '')} · {c.get('file_pattern', '*')}"
    if kind == "transform":
        n = len(c.get("steps") or [])
        return f"{n} step{'s' if n != 1 else ''}"
    for value in c.values():
        if isinstance(value, str) and value:
            return value
    return ""


class NodeShape:
    """Geometry and labels shared by every node with the same kind and ports (computed once)."""

    __slots__ = (
        "bounds",
        "color",
        "hit_rects",
        "icon",
        "in_labels",
        "in_names",
        "in_pos",
        "known",
        "out_labels",
        "out_names",
        "out_pos",
        "rect",
        "title",
    )

    def __init__(self, kind, kind_name: str, node_type: str, in_ports, out_ports) -> None:
        self.known = kind is not None
        self.title = kind.display_title() if kind else kind_name
        self.icon = kind.icon if kind else None
        self.color = QColor(CATEGORY_COLORS.get(node_type, UNKNOWN_COLOR) if self.known else UNKNOWN_COLOR)
        self.in_names = [p.name for p in in_ports]
        self.out_names = [p.name for p in out_ports]
        self.in_labels = [p.title for p in in_ports]
        self.out_labels = [p.title for p in out_ports]
        self.rect = QRectF(0, 0, NODE_WIDTH, node_height(len(in_ports), len(out_ports)))
        self.bounds = self.rect.adjusted(-_BOUNDS_PAD, -_BOUNDS_PAD, _BOUNDS_PAD, _BOUNDS_PAD)
        self.in_pos = [QPointF(0, HEADER + 5 + (i + 0.5) * PORT_ROW) for i in range(len(in_ports))]
        self.out_pos = [QPointF(NODE_WIDTH, HEADER + 5 + (i + 0.5) * PORT_ROW) for i in range(len(out_ports))]
        self.hit_rects = [
            (QRectF(p.x() - 12, p.y() - PORT_ROW / 2, 40, PORT_ROW), name, False)
            for p, name in zip(self.in_pos, self.in_names, strict=True)
        ] + [
            (QRectF(p.x() - 28, p.y() - PORT_ROW / 2, 40, PORT_ROW), name, True)
            for p, name in zip(self.out_pos, self.out_names, strict=True)
        ]


def _static_ports(kind) -> bool:
    """Whether a kind's ports do not depend on its config (then they are cached per kind)."""
    return (
        getattr(kind.input_ports, "__func__", None) is NodeKind.input_ports.__func__
        and getattr(kind.output_ports, "__func__", None) is NodeKind.output_ports.__func__
    )


@lru_cache(maxsize=64)
def _node_paths(height: float) -> tuple[QPainterPath, QPainterPath]:
    """A node's rounded body and its header (the body's top band), per node height."""
    body = QPainterPath()
    body.addRoundedRect(QRectF(0, 0, NODE_WIDTH, height), 8, 8)
    band = QPainterPath()
    band.addRect(QRectF(0, 0, NODE_WIDTH, HEADER))
    return body, body.intersected(band)


class NodeItem(QGraphicsItem):
    """One node: header with icon and title, named ports, badges. No child items."""

    Type = QGraphicsItem.UserType + 1

    def __init__(self, scene: WorkflowScene, spec: NodeSpec) -> None:
        super().__init__()
        self.wscene = scene
        self.node_id = spec.id
        self.state: str | None = None
        self.problems: list[str] = []
        self.pinned = False
        self.breakpoint = False
        self.collapsed_in: GroupItem | None = None
        self.last_routed: tuple[float, float] = (spec.position[0], spec.position[1])
        # No itemChange override: every flag, z or position change would call into Python (10 calls per
        # node at load). The view tells the scene when a drag moved nodes; set_spec handles the rest.
        self.setFlags(_NODE_FLAGS)
        self.setAcceptHoverEvents(True)
        self.setZValue(1)
        # no Qt item cache: the scene's PictureCache keeps its picture (stretched while a zoom settles)
        self.set_spec(spec, initial=True)

    def type(self) -> int:
        return self.Type

    # --- data --------------------------------------------------------------------------------
    def set_spec(self, spec: NodeSpec, initial: bool = False) -> None:
        scene = self.wscene
        self.spec = spec
        shape = scene.node_shape(spec)
        self.known, self.kind_title, self.icon_name, self.color = shape.known, shape.title, shape.icon, shape.color
        self.in_names, self.out_names = shape.in_names, shape.out_names
        self.in_labels, self.out_labels = shape.in_labels, shape.out_labels
        self.in_pos, self.out_pos, self.hit_rects = shape.in_pos, shape.out_pos, shape.hit_rects
        if initial or shape.rect != self.rect:
            if not initial:
                self.prepareGeometryChange()
            self.rect, self.bounds = shape.rect, shape.bounds
        self.title_text = scene.title_metrics.elidedText(spec.name or spec.id, _ELIDE, NODE_WIDTH - 50)
        sub = self.kind_title if self.known else f"unknown kind '{spec.kind}'"
        self.sub_text = scene.small_metrics.elidedText(sub, _ELIDE, NODE_WIDTH - 50)
        self.summary_text = scene.small_metrics.elidedText(
            " ".join(config_summary(spec).split()), _ELIDE, NODE_WIDTH - 20
        )
        x, y = spec.position
        if initial:
            self.setPos(x, y)
        else:
            pos = self.pos()
            if pos.x() != x or pos.y() != y:
                self.setPos(x, y)
                scene.node_moved(self)
            self.refresh()

    def refresh(self) -> None:
        """Its look changed (spec, badges): its picture is re-rendered at the next paint."""
        self.wscene.pictures.invalidate(self)
        self.update()

    def port_scene_pos(self, port: str, output: bool) -> QPointF:
        if self.collapsed_in is not None:
            return self.collapsed_in.anchor(output)
        names, points = (self.out_names, self.out_pos) if output else (self.in_names, self.in_pos)
        try:
            local = points[names.index(port)]
        except ValueError:  # a port that no longer exists: attach to the middle of the side
            local = QPointF(NODE_WIDTH if output else 0.0, self.rect.height() / 2)
        return self.pos() + local

    def port_at(self, scene_pos: QPointF) -> tuple[str, bool] | None:
        local = scene_pos - self.pos()
        for rect, name, output in self.hit_rects:
            if rect.contains(local):
                return name, output
        return None

    def badge_rect(self) -> QRectF:
        return QRectF(-9, -9, 18, 18)

    def state_rect(self) -> QRectF:
        return QRectF(NODE_WIDTH - 9, -9, 18, 18)

    # --- Qt ----------------------------------------------------------------------------------
    def boundingRect(self) -> QRectF:
        return self.bounds

    def shape(self) -> QPainterPath:
        path = QPainterPath()
        path.addRect(self.rect.adjusted(-8, 0, 8, 0))
        return path

    def hoverMoveEvent(self, event: QGraphicsSceneHoverEvent) -> None:
        pos = event.pos()
        if self.problems and self.badge_rect().adjusted(-4, -4, 4, 4).contains(pos):
            tip = "\n".join(self.problems)
        elif self.state and self.state_rect().adjusted(-4, -4, 4, 4).contains(pos):
            tip = f"state: {self.state}"
        else:
            hit = self.port_at(event.scenePos())
            tip = f"{'output' if hit[1] else 'input'} port '{hit[0]}' — drag to connect" if hit else ""
        if tip != self.toolTip():
            self.setToolTip(tip)
        super().hoverMoveEvent(event)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        theme = self.wscene.theme
        transform = painter.worldTransform()
        lod = option.levelOfDetailFromTransform(transform)
        selected = self.isSelected()
        rect = self.rect
        if lod < DETAIL_LOD:
            self.paint_placeholder(painter)
            if selected or self.problems:
                pen = QPen(theme.selection if selected else theme.error, 0)
                pen.setWidthF(3 / max(lod, 0.01))
                painter.setPen(pen)
                painter.setBrush(Qt.BrushStyle.NoBrush)
                painter.drawRect(rect)
            return
        if self.wscene.exporting or transform.type().value > _TX_SCALE:
            self.paint_picture(painter)  # vectors for SVG, full resolution for PNG
        else:
            self.wscene.pictures.draw(self, painter, transform)
        if selected:  # over the picture, so that selecting never re-renders it
            painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
            painter.setPen(QPen(theme.selection, 2.5))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(rect, 8, 8)
            self._paint_port_dots(painter)
            if self.has_badges():
                self._paint_badges(painter)

    def overview_color(self) -> str:
        return DISABLED_COLOR if self.spec.disabled else self.color.name()

    def overview_height(self) -> float:
        return self.rect.height()

    def picture_rect(self) -> QRectF:
        """What its picture covers: badges stick out of the body, and a third of the pixels to blit
        per frame would be padding on a node without them."""
        if self.has_badges():
            return self.bounds
        return self.rect.adjusted(-1, -1, 1, 1)

    def paint_placeholder(self, painter: QPainter) -> None:
        """The far-zoom look, a box with its header colour: also shown until its picture is rendered."""
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        painter.fillRect(self.rect, self.wscene.theme.node_body)
        painter.fillRect(QRectF(0, 0, NODE_WIDTH, HEADER), QColor(DISABLED_COLOR) if self.spec.disabled else self.color)

    def paint_picture(self, painter: QPainter) -> None:
        """Everything but the selection outline, at full detail: what the picture cache keeps."""
        theme = self.wscene.theme
        disabled = self.spec.disabled
        rect = self.rect
        color = QColor(DISABLED_COLOR) if disabled else self.color
        if disabled:
            painter.setOpacity(0.55)
        body, header = _node_paths(rect.height())
        painter.setPen(Qt.PenStyle.NoPen)
        painter.fillPath(body, theme.node_body)
        painter.fillPath(header, color)  # a path, not a clip: clipping to a rounded path is slow
        known = self.known
        painter.setPen(QPen(theme.node_border, 1) if known else QPen(theme.error, 1.5, Qt.PenStyle.DashLine))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(body)
        # icon on a light tile, title and kind
        tile = QRectF(8, 6, 22, 22)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(255, 255, 255, 235))
        painter.drawRoundedRect(tile, 5, 5)
        pixmap = kind_pixmap(self.spec.kind, self.icon_name, 36, self.color.name())
        painter.drawPixmap(tile.adjusted(2, 2, -2, -2), pixmap, QRectF(pixmap.rect()))
        painter.setPen(theme.header_text)
        painter.setFont(theme.title_font)
        painter.drawText(QRectF(38, 2, NODE_WIDTH - 46, 18), _ALIGN_LEFT, self.title_text)
        painter.setFont(theme.small_font)
        painter.setPen(QColor(255, 255, 255, 215))
        painter.drawText(QRectF(38, 17, NODE_WIDTH - 46, 15), _ALIGN_LEFT, self.sub_text)
        self._paint_port_dots(painter)
        painter.setFont(theme.small_font)
        for points, labels, output in ((self.in_pos, self.in_labels, False), (self.out_pos, self.out_labels, True)):
            for point, label in zip(points, labels, strict=True):
                painter.setPen(theme.error if output and label == "error" else theme.node_subtext)
                if output:
                    painter.drawText(QRectF(point.x() - 96, point.y() - 9, 86, 18), _ALIGN_RIGHT, label)
                else:
                    painter.drawText(QRectF(point.x() + 10, point.y() - 9, 86, 18), _ALIGN_LEFT, label)
        summary_rect = QRectF(10, rect.height() - SUMMARY - 6, NODE_WIDTH - 20, SUMMARY)
        if self.summary_text:
            painter.setPen(theme.node_subtext)
            painter.drawText(summary_rect, _ALIGN_LEFT, self.summary_text)
        if disabled:
            painter.setOpacity(1.0)
            painter.setPen(theme.node_subtext)
            painter.drawText(summary_rect, _ALIGN_RIGHT, "disabled")
        self._paint_badges(painter)

    def _paint_port_dots(self, painter: QPainter) -> None:
        """The port circles: on the node's edge, so over the selection outline too."""
        theme = self.wscene.theme
        port_pen = QPen(theme.edge, 1.5)
        painter.setBrush(theme.port_fill)
        for points, labels, output in ((self.in_pos, self.in_labels, False), (self.out_pos, self.out_labels, True)):
            for point, label in zip(points, labels, strict=True):
                painter.setPen(QPen(theme.error, 1.5) if output and label == "error" else port_pen)
                painter.drawEllipse(point, PORT_R, PORT_R)

    def has_badges(self) -> bool:
        return bool(self.problems or self.state or self.pinned or self.breakpoint)

    def _paint_badges(self, painter: QPainter) -> None:
        """Pinned, breakpoint, problems and run state: they sit on the node's edge, over its outline."""
        theme = self.wscene.theme
        painter.setOpacity(1.0)
        if self.pinned:
            self._badge(painter, QRectF(NODE_WIDTH - 34, -9, 18, 18), QColor(STATE_COLORS["pinned"]), "P")
        if self.breakpoint:
            painter.setPen(QPen(QColor("#ffffff"), 1.5))
            painter.setBrush(QColor("#d32f2f"))
            painter.drawEllipse(QPointF(-8, HEADER / 2 + 2), 6, 6)
        if self.problems:
            self._badge(painter, self.badge_rect(), theme.error, "!")
        if self.state:
            self._badge(
                painter,
                self.state_rect(),
                QColor(STATE_COLORS.get(self.state, "#9e9e9e")),
                STATE_GLYPHS.get(self.state, "•"),
            )

    def _badge(self, painter: QPainter, rect: QRectF, color: QColor, glyph: str) -> None:
        painter.setPen(QPen(QColor("#ffffff"), 1.5))
        painter.setBrush(color)
        painter.drawEllipse(rect)
        painter.setFont(self.wscene.theme.title_font)
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, glyph)


class EdgeItem(QGraphicsItem):
    """One connection: a cubic curve between two ports. Path recomputed only when an end moves."""

    Type = QGraphicsItem.UserType + 2

    def __init__(self, scene: WorkflowScene, conn: Connection) -> None:
        super().__init__()
        self.wscene = scene
        self.conn = conn
        self.is_error = conn.from_port == "error"
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable)
        self.setZValue(0)
        self.path = QPainterPath()
        self.bounds = QRectF()
        self._shape: QPainterPath | None = None
        self.p1 = self.p2 = QPointF()
        #: items that passed over this edge in the run shown (None: no run shown)
        self.items: int | None = None
        #: the debugger pauses the target before it runs with what came over this edge
        self.breakpoint = False
        self.update_path()

    def type(self) -> int:
        return self.Type

    def update_path(self) -> None:
        src = self.wscene.nodes.get(self.conn.source)
        dst = self.wscene.nodes.get(self.conn.target)
        if src is None or dst is None:
            return
        p1 = src.port_scene_pos(self.conn.from_port, True)
        p2 = dst.port_scene_pos(self.conn.to_port, False)
        self.prepareGeometryChange()
        self.p1, self.p2 = p1, p2
        dx = max(abs(p2.x() - p1.x()) * 0.5, 50.0)
        path = QPainterPath(p1)
        path.cubicTo(p1.x() + dx, p1.y(), p2.x() - dx, p2.y(), p2.x(), p2.y())
        self.path = path
        self.bounds = path.controlPointRect().adjusted(-4, -4, 4, 4)
        self._shape = None
        self.mid = path.pointAtPercent(0.5)
        overview = self.wscene.overview_shapes_if_built()
        if overview is not None:
            overview.move_edge(self)

    def boundingRect(self) -> QRectF:
        return self.bounds

    def shape(self) -> QPainterPath:
        if self._shape is None:
            stroker = QPainterPathStroker()
            stroker.setWidth(10)
            self._shape = stroker.createStroke(self.path)
        return self._shape

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        theme = self.wscene.theme
        lod = option.levelOfDetailFromTransform(painter.worldTransform())
        color = theme.selection if self.isSelected() else (theme.edge_error if self.is_error else theme.edge)
        pen = QPen(color, 3.0 if self.isSelected() else 2.0)
        if self.is_error:
            pen.setStyle(Qt.PenStyle.DashLine)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        if lod < DETAIL_LOD:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
            pen.setWidthF(0)
            painter.setPen(pen)
            painter.drawLine(self.p1, self.p2)
            return
        painter.setPen(pen)
        painter.drawPath(self.path)
        if self.breakpoint:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
            painter.setPen(QPen(theme.node_body, 1.5))
            painter.setBrush(theme.error)
            painter.drawEllipse(self.mid, 6.0, 6.0)
        if self.items is not None:
            text = f"{self.items} item{'' if self.items == 1 else 's'}"
            label = self.label_rect()
            painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
            painter.setBrush(theme.node_body)
            painter.setPen(QPen(color, 1.0))
            painter.drawRoundedRect(label, 8, 8)
            painter.setFont(theme.small_font)
            painter.setPen(theme.node_text)
            painter.drawText(label, Qt.AlignmentFlag.AlignCenter, text)

    def label_rect(self) -> QRectF:
        return QRectF(self.mid.x() - 30, self.mid.y() - 9, 60, 18)


class NoteItem(QGraphicsItem):
    """A sticky note. Double-click edits its text (see the view)."""

    Type = QGraphicsItem.UserType + 3
    GRIP = 14.0  # the resize handle in the bottom-right corner
    MIN_SIZE = (80.0, 40.0)

    def __init__(self, scene: WorkflowScene, note: StickyNote) -> None:
        super().__init__()
        self.wscene = scene
        self.note_id = note.id
        self.setFlags(
            QGraphicsItem.GraphicsItemFlag.ItemIsSelectable
            | QGraphicsItem.GraphicsItemFlag.ItemIsMovable
            | QGraphicsItem.GraphicsItemFlag.ItemSendsGeometryChanges
        )
        self.setZValue(-2)
        self.setAcceptHoverEvents(True)
        self.rect = QRectF()
        self.set_note(note, initial=True)

    def type(self) -> int:
        return self.Type

    def set_note(self, note: StickyNote, initial: bool = False) -> None:
        self.note = note
        rect = QRectF(0, 0, *note.size)
        if rect != self.rect:
            if not initial:
                self.prepareGeometryChange()
            self.rect = rect
        if self.pos() != QPointF(*note.position):
            self.setPos(QPointF(*note.position))
        self.update()

    def grip_rect(self) -> QRectF:
        return QRectF(self.rect.right() - self.GRIP, self.rect.bottom() - self.GRIP, self.GRIP, self.GRIP)

    def preview_size(self, width: float, height: float) -> None:
        """While the grip is dragged; the document changes once, on release."""
        rect = QRectF(0, 0, width, height)
        if rect != self.rect:
            self.prepareGeometryChange()
            self.rect = rect

    def hoverMoveEvent(self, event: QGraphicsSceneHoverEvent) -> None:
        if self.grip_rect().contains(event.pos()):
            self.setCursor(Qt.CursorShape.SizeFDiagCursor)
        else:
            self.unsetCursor()
        super().hoverMoveEvent(event)

    def hoverLeaveEvent(self, event: QGraphicsSceneHoverEvent) -> None:
        self.unsetCursor()
        super().hoverLeaveEvent(event)

    def itemChange(self, change: QGraphicsItem.GraphicsItemChange, value):
        if (
            change == QGraphicsItem.GraphicsItemChange.ItemPositionChange
            and self.wscene.snap_to_grid
            and self.wscene.mouse_moving
        ):
            return QPointF(round(value.x() / GRID) * GRID, round(value.y() / GRID) * GRID)
        return super().itemChange(change, value)

    def boundingRect(self) -> QRectF:
        return self.rect.adjusted(-2, -2, 2, 2)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        color = QColor(self.note.color)
        if self.wscene.theme.dark:
            color = color.darker(260)
        painter.setPen(QPen(self.wscene.theme.selection, 2) if self.isSelected() else QPen(color.darker(130), 1))
        painter.setBrush(color)
        painter.drawRoundedRect(self.rect, 4, 4)
        if option.levelOfDetailFromTransform(painter.worldTransform()) < DETAIL_LOD:
            return
        ink = QColor("#eeeeee") if self.wscene.theme.dark else QColor("#3e3a1d")
        painter.setPen(ink)
        painter.setFont(self.wscene.theme.small_font)
        text = self.note.text or "Double-click to write a note"
        painter.drawText(self.rect.adjusted(10, 8, -10, -8), Qt.TextFlag.TextWordWrap, text)
        grip = self.grip_rect()
        ink.setAlpha(110)
        painter.setPen(QPen(ink, 1))
        for inset in (3.0, 7.0, 11.0):  # the usual three diagonal strokes of a size grip
            painter.drawLine(
                QPointF(grip.right() - inset, grip.bottom() - 2), QPointF(grip.right() - 2, grip.bottom() - inset)
            )


class GroupItem(QGraphicsItem):
    """A frame around its member nodes with a title bar; collapsed it shows as one box."""

    Type = QGraphicsItem.UserType + 4
    TITLE = 28.0
    PAD = 20.0

    def __init__(self, scene: WorkflowScene, group: Group) -> None:
        super().__init__()
        self.wscene = scene
        self.group = group
        self.group_id = group.id
        self.collapsed = False
        # movable so that dragging its title moves the members selected with it (see the view)
        self.setFlags(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable | QGraphicsItem.GraphicsItemFlag.ItemIsMovable)
        self.setZValue(-5)
        self.rect = QRectF()
        self.update_bounds()

    def type(self) -> int:
        return self.Type

    def members(self) -> list[NodeItem]:
        return [self.wscene.nodes[n] for n in self.group.nodes if n in self.wscene.nodes]

    def update_bounds(self) -> None:
        items = self.members()
        if items:
            bounds = QRectF()
            for item in items:
                bounds = bounds.united(item.rect.translated(item.pos()))
            bounds = bounds.translated(-self.pos())  # the group itself moves while its title is dragged
            origin = bounds.topLeft()
            if self.collapsed:
                rect = QRectF(origin.x(), origin.y() - self.TITLE, NODE_WIDTH + 40, self.TITLE + 44)
            else:
                rect = bounds.adjusted(-self.PAD, -self.PAD - self.TITLE, self.PAD, self.PAD)
        else:
            rect = QRectF(0, 0, 160, self.TITLE + 20)
        if rect != self.rect:
            self.prepareGeometryChange()
            self.rect = rect

    def title_rect(self) -> QRectF:
        return QRectF(self.rect.x(), self.rect.y(), self.rect.width(), self.TITLE)

    def anchor(self, output: bool) -> QPointF:
        r = self.rect.translated(self.pos())
        return QPointF(r.right() if output else r.left(), r.center().y())

    def boundingRect(self) -> QRectF:
        return self.rect.adjusted(-2, -2, 2, 2)

    def shape(self) -> QPainterPath:
        path = QPainterPath()
        path.addRect(self.title_rect() if not self.collapsed else self.rect)
        return path

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        theme = self.wscene.theme
        color = QColor(self.group.color)
        fill = QColor(color)
        fill.setAlpha(60 if theme.dark else 45)
        painter.setPen(QPen(theme.selection, 2) if self.isSelected() else QPen(color, 1.5))
        painter.setBrush(fill)
        painter.drawRoundedRect(self.rect, 10, 10)
        if option.levelOfDetailFromTransform(painter.worldTransform()) < 0.25:
            return
        title = self.title_rect()
        painter.setFont(theme.title_font)
        painter.setPen(theme.node_text)
        arrow = "▸" if self.collapsed else "▾"
        painter.drawText(title.adjusted(10, 0, -10, 0), _ALIGN_LEFT, f"{arrow}  {self.group.title or 'Group'}")
        if self.collapsed:
            painter.setFont(theme.small_font)
            painter.setPen(theme.node_subtext)
            n = len(self.group.nodes)
            painter.drawText(
                self.rect.adjusted(12, self.TITLE, -12, -6), _ALIGN_LEFT, f"{n} node{'s' if n != 1 else ''} (collapsed)"
            )


class WorkflowScene(QGraphicsScene):
    """Items for a document's nodes, edges, notes and groups; rebuilt on DocumentReset."""

    def __init__(self, doc: WorkflowDocument, theme: CanvasTheme | None = None, parent=None) -> None:
        super().__init__(parent)
        self.doc = doc
        self.theme = theme or CanvasTheme.from_palette()
        self.title_metrics = QFontMetricsF(self.theme.title_font)
        self.small_metrics = QFontMetricsF(self.theme.small_font)
        self.setItemIndexMethod(QGraphicsScene.ItemIndexMethod.BspTreeIndex)
        self.setBackgroundBrush(QBrush(self.theme.background))
        self.nodes: dict[str, NodeItem] = {}
        self.edges: dict[Connection, EdgeItem] = {}
        self.node_edges: dict[str, set[EdgeItem]] = defaultdict(set)
        self.notes: dict[str, NoteItem] = {}
        self.groups: dict[str, GroupItem] = {}
        self.node_groups: dict[str, set[str]] = defaultdict(set)
        self.collapsed_groups: set[str] = set()
        self.snap_to_grid = False
        self.mouse_moving = False
        self.overview = False
        self._overview_shapes: Overview | None = None  # built on first use, then kept up to date
        #: painting for an export (scene.render): nodes draw vectors, not cached pictures
        self.exporting = False
        self.pictures = PictureCache(self._visible_rects, parent=self)
        self._invalidate()
        self.states: dict[str, str] = {}
        self.breakpoints: set[str] = set()
        self._bounds = QRectF()
        self._bulk = False
        self._all_bounds: QRectF | None = None
        self._shapes: dict[tuple, NodeShape] = {}
        self._unchecked: list[str] = []
        from PySide6.QtCore import QTimer

        self._check_timer = QTimer(self)
        self._check_timer.setInterval(0)
        self._check_timer.timeout.connect(self._check_some)
        self._unsubscribe = doc.subscribe(self.on_change)
        self.rebuild()

    # --- building ---------------------------------------------------------------------------
    def rebuild(self) -> None:
        views = self.views()
        for view in views:
            view.setUpdatesEnabled(False)
        try:
            self.clearSelection()
            self.pictures.clear()
            self.clear()
            self.nodes.clear()
            self.edges.clear()
            self.node_edges.clear()
            self.notes.clear()
            self.groups.clear()
            self.node_groups.clear()
            specs = self.doc.nodes()
            self._bounds = QRectF()
            if specs:
                xs = [s.position[0] for s in specs]
                ys = [s.position[1] for s in specs]
                self._bounds = QRectF(min(xs), min(ys), max(xs) - min(xs) + NODE_WIDTH, max(ys) - min(ys) + 200)
            for note in self.doc.notes:
                self._bounds = self._bounds.united(QRectF(*note.position, *note.size))
            self.setSceneRect(self._bounds.adjusted(-SCENE_MARGIN, -SCENE_MARGIN, SCENE_MARGIN, SCENE_MARGIN))
            self._bulk = True
            try:
                for spec in specs:
                    self._add_node(spec)
            finally:
                self._bulk = False
            # checking every config costs ~40 µs a node: badges follow in chunks, after the first paint
            self._unchecked = [s.id for s in specs]
            self._check_timer.start()
            for conn in self.doc.connections():
                self._add_edge(conn)
            for note in self.doc.notes:
                self._add_note(note)
            for group in self.doc.groups:
                self._add_group(group)
            self.collapsed_groups &= set(self.groups)
            for group_id in self.collapsed_groups:
                self.set_group_collapsed(group_id, True)
            self._invalidate()
            self._overview_shapes = None
        finally:
            for view in views:
                view.setUpdatesEnabled(True)

    def _add_node(self, spec: NodeSpec) -> NodeItem:
        item = NodeItem(self, spec)
        self.nodes[spec.id] = item
        if not self._bulk:
            item.problems = self._problems_of(spec)
        item.pinned = spec.id in self.doc.pinned
        if spec.id in self.states:
            item.state = self.states[spec.id]
        item.breakpoint = spec.id in self.breakpoints
        self.addItem(item)
        return item

    def _add_edge(self, conn: Connection) -> EdgeItem:
        item = EdgeItem(self, conn)
        self.edges[conn] = item
        self.node_edges[conn.source].add(item)
        self.node_edges[conn.target].add(item)
        self.addItem(item)
        return item

    def _add_note(self, note: StickyNote) -> None:
        item = NoteItem(self, note)
        self.notes[note.id] = item
        self.addItem(item)

    def _add_group(self, group: Group) -> None:
        item = GroupItem(self, group)
        self.groups[group.id] = item
        for node_id in group.nodes:
            self.node_groups[node_id].add(group.id)
        self.addItem(item)

    def _check_some(self, chunk: int = 400) -> None:
        batch, self._unchecked = self._unchecked[:chunk], self._unchecked[chunk:]
        for node_id in batch:
            item = self.nodes.get(node_id)
            if item is not None:
                problems = self._problems_of(item.spec)
                if problems != item.problems:
                    item.problems = problems
                    item.refresh()
        if not self._unchecked:
            self._check_timer.stop()

    def check_all_now(self) -> None:
        while self._unchecked:
            self._check_some()

    def _invalidate(self) -> None:
        self._all_bounds = None

    def node_shape(self, spec: NodeSpec) -> NodeShape:
        kind = self.doc.registry.get(spec.kind)
        key = None
        if kind is not None and _static_ports(kind):
            key = (spec.kind, spec.type, spec.on_error)
            shape = self._shapes.get(key)
            if shape is not None:
                return shape
        ins, outs = self.doc.input_ports(spec.id), self.doc.output_ports(spec.id)
        if key is None:
            key = (spec.kind, spec.type, tuple(ins), tuple(outs))
            shape = self._shapes.get(key)
            if shape is not None:
                return shape
        shape = self._shapes[key] = NodeShape(kind, spec.kind, spec.type, ins, outs)
        return shape

    def _problems_of(self, spec: NodeSpec) -> list[str]:
        kind = self.doc.registry.get(spec.kind)
        if kind is None:
            return [self.doc.registry.unknown_kind_message(spec.kind)]
        return config_problems(kind, spec.config)

    def _grow_rect(self, rect: QRectF) -> None:
        scene_rect = self.sceneRect()
        wanted = rect.adjusted(-SCENE_MARGIN / 2, -SCENE_MARGIN / 2, SCENE_MARGIN / 2, SCENE_MARGIN / 2)
        if not scene_rect.contains(wanted):
            self.setSceneRect(scene_rect.united(wanted))

    # --- following the document ----------------------------------------------------------------
    def on_change(self, change: Change) -> None:
        self._invalidate()
        overview = self._overview_shapes
        if isinstance(change, NodeUpdated):
            item = self.nodes.get(change.new.id)
            if item is None:
                return
            fields = change.changed_fields
            item.set_spec(change.new)
            if overview is not None and fields & {"config", "kind", "type", "disabled"}:
                overview.restyle_node(item)  # its colour or its ports' height may have changed
            if fields & {"config", "kind", "type"}:
                item.problems = self._problems_of(change.new)
            if fields & {"config", "on_error", "kind"}:
                for edge in self.node_edges.get(item.node_id, ()):
                    edge.update_path()
            self._grow_rect(item.rect.translated(item.pos()))
        elif isinstance(change, NodeAdded):
            item = self._add_node(change.node)
            self._grow_rect(item.rect.translated(item.pos()))
            if overview is not None:
                overview.add_node(item)
        elif isinstance(change, NodeRemoved):
            if overview is not None:
                overview.remove_node(change.node.id)
            item = self.nodes.pop(change.node.id, None)
            if item is not None:
                self.pictures.drop(item)
                self.removeItem(item)
            self.node_edges.pop(change.node.id, None)
        elif isinstance(change, ConnectionAdded):
            edge = self._add_edge(change.connection)
            if overview is not None:
                overview.add_edge(edge)
        elif isinstance(change, ConnectionRemoved):
            if overview is not None:
                overview.remove_edge(change.connection)
            edge = self.edges.pop(change.connection, None)
            if edge is not None:
                self.node_edges[edge.conn.source].discard(edge)
                self.node_edges[edge.conn.target].discard(edge)
                self.removeItem(edge)
        elif isinstance(change, NoteChanged):
            if change.old is not None and change.new is None:
                self.removeItem(self.notes.pop(change.old.id))
            elif change.old is None and change.new is not None:
                self._add_note(change.new)
            elif change.new is not None:
                self.notes[change.new.id].set_note(change.new)
        elif isinstance(change, GroupChanged):
            self._group_changed(change)
        elif isinstance(change, PinChanged):
            item = self.nodes.get(change.node_id)
            if item is not None:
                item.pinned = change.pinned
                item.refresh()
        elif isinstance(change, DocumentReset):
            self.states.clear()
            self.breakpoints.clear()
            self.collapsed_groups.clear()
            self.rebuild()

    def _group_changed(self, change: GroupChanged) -> None:
        if change.old is not None:
            was_collapsed = change.old.id in self.collapsed_groups
            if was_collapsed:
                self.set_group_collapsed(change.old.id, False)
            item = self.groups.pop(change.old.id)
            for node_id in change.old.nodes:
                self.node_groups[node_id].discard(change.old.id)
            self.removeItem(item)
            if change.new is not None:
                self._add_group(change.new)
                if was_collapsed:
                    self.set_group_collapsed(change.new.id, True)
            else:
                self.collapsed_groups.discard(change.old.id)
        elif change.new is not None:
            self._add_group(change.new)

    def node_moved(self, item: NodeItem) -> None:
        pos = item.pos()
        item.last_routed = (pos.x(), pos.y())
        for edge in self.node_edges.get(item.node_id, ()):
            edge.update_path()
        for group_id in self.node_groups.get(item.node_id, ()):
            group = self.groups.get(group_id)
            if group is not None:
                group.update_bounds()
        self._invalidate()
        if self._overview_shapes is not None:
            self._overview_shapes.move_node(item)

    # --- groups -------------------------------------------------------------------------------
    def set_group_collapsed(self, group_id: str, collapsed: bool) -> None:
        group = self.groups[group_id]
        group.collapsed = collapsed
        (self.collapsed_groups.add if collapsed else self.collapsed_groups.discard)(group_id)
        members = group.members()
        group.update_bounds()
        member_ids = {m.node_id for m in members}
        for item in members:
            item.collapsed_in = group if collapsed else None
            item.setVisible(not collapsed)
            if collapsed:
                item.setSelected(False)
        for node_id in member_ids:
            for edge in self.node_edges.get(node_id, ()):
                inside = edge.conn.source in member_ids and edge.conn.target in member_ids
                edge.setVisible(not (collapsed and inside))
                edge.update_path()
        group.update()
        self._invalidate()
        self._overview_shapes = None  # what is shown changed: rebuilt when next drawn

    def set_theme(self, theme: CanvasTheme) -> None:
        """The OS switched between light and dark: repaint everything, cached pixmaps included."""
        self.theme = theme
        self.title_metrics = QFontMetricsF(theme.title_font)
        self.small_metrics = QFontMetricsF(theme.small_font)
        self.setBackgroundBrush(QBrush(theme.background))
        self.pictures.clear()
        for item in self.items():
            item.update()

    # --- state badges (runs, debugger) -----------------------------------------------------------
    def set_node_state(self, node_id: str, state: str | None) -> None:
        """Show a run state badge on a node: queued, running, paused, succeeded, failed, skipped, ..."""
        if state is None:
            self.states.pop(node_id, None)
        else:
            self.states[node_id] = state
        item = self.nodes.get(node_id)
        if item is not None and item.state != state:
            item.state = state
            item.refresh()

    def set_breakpoint(self, node_id: str, on: bool) -> None:
        """The debugger's breakpoint marker: a red dot left of the node's header."""
        (self.breakpoints.add if on else self.breakpoints.discard)(node_id)
        item = self.nodes.get(node_id)
        if item is not None and item.breakpoint != on:
            item.breakpoint = on
            item.refresh()

    def clear_node_states(self) -> None:
        for node_id in list(self.states):
            self.set_node_state(node_id, None)
        self.clear_edge_items()

    def set_edge_items(self, conn: Connection, count: int | None) -> None:
        """How many items passed over an edge in the run shown: a label at the edge's middle."""
        edge = self.edges.get(conn)
        if edge is not None and edge.items != count:
            edge.items = count
            # only the label's rect: a long edge's whole bounds would repaint every edge crossing them
            edge.update(edge.label_rect().adjusted(-2, -2, 2, 2))

    def set_edge_breakpoint(self, conn: Connection, on: bool) -> None:
        """The debugger's marker on an edge: a red dot at its middle."""
        edge = self.edges.get(conn)
        if edge is not None and edge.breakpoint != on:
            edge.breakpoint = on
            edge.update(edge.label_rect().adjusted(-8, -8, 8, 8))

    def clear_edge_items(self) -> None:
        for edge in self.edges.values():
            if edge.items is not None:
                edge.items = None
                edge.update(edge.label_rect().adjusted(-2, -2, 2, 2))

    def set_node_problems(self, node_id: str, problems: list[str]) -> None:
        item = self.nodes.get(node_id)
        if item is not None:
            item.problems = list(problems)
            item.refresh()

    # --- queries ---------------------------------------------------------------------------------
    def selected_node_ids(self) -> list[str]:
        return [i.node_id for i in self.selectedItems() if isinstance(i, NodeItem)]

    def select_nodes(self, node_ids: Iterable[str], *, add: bool = False) -> None:
        """Select nodes with one selectionChanged signal (Qt sends one per item: 5,000 of them on Ctrl+A)."""
        with self.batched_selection():
            if not add:
                self.clearSelection()
            for node_id in node_ids:
                item = self.nodes.get(node_id)
                if item is not None and item.isVisible():
                    item.setSelected(True)

    @contextmanager
    def batched_selection(self):
        before = self.signalsBlocked()
        self.blockSignals(True)
        try:
            yield
        finally:
            self.blockSignals(before)
        if not before:
            self.selectionChanged.emit()

    def node_at(self, scene_pos: QPointF) -> NodeItem | None:
        for item in self.items(scene_pos):
            if isinstance(item, NodeItem) and item.isVisible():
                return item
        return None

    def nodes_bounds(self, node_ids: Iterable[str] | None = None) -> QRectF:
        """Bounds of nodes (and, for all nodes, notes). Cached for the whole graph until it changes."""
        if node_ids is None and self._all_bounds is not None:
            return QRectF(self._all_bounds)
        items = self.nodes.values() if node_ids is None else [self.nodes[i] for i in node_ids if i in self.nodes]
        bounds = QRectF()
        if items:
            pos = [item.spec.position for item in items]
            left, top = min(p[0] for p in pos), min(p[1] for p in pos)
            right = max(p[0] for p in pos) + NODE_WIDTH
            bottom = max(item.spec.position[1] + item.rect.height() for item in items)
            bounds = QRectF(left, top, right - left, bottom - top)
        for note in self.notes.values() if node_ids is None else ():
            bounds = bounds.united(note.rect.translated(note.pos()))
        if node_ids is None:
            self._all_bounds = QRectF(bounds)
        return bounds

    def _visible_rects(self) -> list[QRectF]:
        return [view.mapToScene(view.viewport().rect()).boundingRect() for view in self.views()]

    # --- overview (far zoom) -----------------------------------------------------------------------
    def set_overview(self, on: bool) -> None:
        """Far zoom: the view draws batched shapes instead of asking items to paint (nothing else changes)."""
        self.overview = on

    def overview_shapes(self) -> Overview:
        """Node rects (bodies, headers by colour) and edge lines for the overview, kept up to date."""
        if self._overview_shapes is None:
            self._overview_shapes = Overview.build(NODE_WIDTH, HEADER, self.nodes.values(), self.edges.values())
        return self._overview_shapes

    def overview_shapes_if_built(self) -> Overview | None:
        return self._overview_shapes

    def detach(self) -> None:
        self._unsubscribe()
