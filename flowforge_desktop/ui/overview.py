"""The far-zoom overview's shapes, kept up to date edit by edit instead of rebuilt.

Below 30 % zoom the view draws every node as two rectangles (body, header in its category colour)
and every edge as a straight line, in a handful of ``drawRects`` / ``drawLines`` calls. Rebuilding
those shapes for 5,000 nodes costs ~30 ms, which every edit used to pay (a frame over budget while
dragging zoomed out, and a stall after each edit). Here each node owns its two ``QRectF`` and each
edge its ``QLineF``: a move changes them in place, an added or removed node touches one entry, and
only a change of what is shown (a group collapsed, a reset) rebuilds everything, lazily.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from PySide6.QtCore import QLineF, QPointF, QRectF

from flowforge_desktop.model.changes import Connection

DISABLED_COLOR = "#9e9e9e"


class _Node(Protocol):
    node_id: str

    def pos(self) -> QPointF: ...
    def isVisible(self) -> bool: ...
    def overview_color(self) -> str: ...
    def overview_height(self) -> float: ...


class _Edge(Protocol):
    conn: Connection
    p1: QPointF
    p2: QPointF

    def isVisible(self) -> bool: ...


class Overview:
    """Bodies, headers by colour and lines, by node id / connection, ready to draw."""

    def __init__(self, width: float, header: float) -> None:
        self.width, self.header = width, header
        self.bodies: dict[str, QRectF] = {}
        self.heads: dict[str, dict[str, QRectF]] = {}  # colour -> node id -> header rect
        self.colors: dict[str, str] = {}  # node id -> its colour key in heads
        self.lines: dict[Connection, QLineF] = {}

    @classmethod
    def build(cls, width: float, header: float, nodes: Iterable[_Node], edges: Iterable[_Edge]) -> Overview:
        overview = cls(width, header)
        for node in nodes:
            overview.add_node(node)
        for edge in edges:
            overview.add_edge(edge)
        return overview

    # --- nodes ---------------------------------------------------------------------------------------
    def add_node(self, node: _Node) -> None:
        if not node.isVisible():
            return
        pos = node.pos()
        x, y, header = pos.x(), pos.y(), self.header
        node_id, color = node.node_id, node.overview_color()
        self.bodies[node_id] = QRectF(x, y + header, self.width, node.overview_height() - header)
        heads = self.heads.get(color)
        if heads is None:
            heads = self.heads[color] = {}
        heads[node_id] = QRectF(x, y, self.width, header)
        self.colors[node_id] = color

    def remove_node(self, node_id: str) -> None:
        self.bodies.pop(node_id, None)
        color = self.colors.pop(node_id, None)
        if color is not None:
            heads = self.heads[color]
            del heads[node_id]
            if not heads:
                del self.heads[color]

    def move_node(self, node: _Node) -> None:
        body = self.bodies.get(node.node_id)
        if body is not None:
            pos = node.pos()
            body.moveTo(pos.x(), pos.y() + self.header)
            self.heads[self.colors[node.node_id]][node.node_id].moveTo(pos)

    def restyle_node(self, node: _Node) -> None:
        """Its colour, height or visibility may have changed."""
        self.remove_node(node.node_id)
        self.add_node(node)

    # --- edges ---------------------------------------------------------------------------------------
    def add_edge(self, edge: _Edge) -> None:
        if edge.isVisible():
            self.lines[edge.conn] = QLineF(edge.p1, edge.p2)

    def remove_edge(self, conn: Connection) -> None:
        self.lines.pop(conn, None)

    def move_edge(self, edge: _Edge) -> None:
        line = self.lines.get(edge.conn)
        if line is not None:
            line.setPoints(edge.p1, edge.p2)

    # --- drawing -------------------------------------------------------------------------------------
    def shapes(self) -> tuple[dict[str, list[QRectF]], list[QRectF], list[QLineF]]:
        """Header rects by colour, body rects and lines, as lists for QPainter's batch calls."""
        heads = {color: list(rects.values()) for color, rects in self.heads.items()}
        return heads, list(self.bodies.values()), list(self.lines.values())
