"""Pictures of nodes at the view's scale, drawn progressively: the canvas's answer to zooming a big graph.

Qt's DeviceCoordinateCache re-renders every visible node before the first frame at a new zoom
(115 nodes at 58 % in a 1600x1000 view: 20-40 ms, the frame budget twice over). This cache keeps one
picture per node and, when the scale changes, draws the picture it has scaled to fit (a smoothed
blit, ~20 µs) and re-renders it sharp in idle time, a few milliseconds at a time, nearest the user's
eye first (the order they were painted). What a map viewer does with its tiles.

A picture is rendered at once only when there is none, or the one there is was made for a scale more
than ``MAX_STRETCH`` away (blurred beyond use), and only for ``FRAME_BUDGET`` seconds per paint: past
that a node draws its plain far-zoom box and its picture follows in idle time (a big graph first seen
at 100 % would otherwise cost 48 renders, ~25 ms, in one frame). A node whose look changed (a run
state, a badge, a new name) is re-rendered within the same budget; past it, its old picture is shown
once more, never a blank box. Selection is drawn over the picture by the node, so selecting never
re-renders. Pictures are kept least-recently-painted first within ``budget_bytes``.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Protocol

from PySide6.QtCore import QObject, QPointF, QRectF, Qt, QTimer
from PySide6.QtGui import QPainter, QPixmap, QTransform

MAX_STRETCH = 3.0  # a picture made for scale s serves scales s/3 .. 3s until it is re-rendered
SLICE_SECONDS = 0.004  # idle re-rendering gives the event loop back after this long
FRAME_BUDGET = 0.003  # a paint renders missing pictures for this long, then draws placeholders
SLICE_INTERVAL_MS = 1  # a zero timer can be served back to back by Qt, starving paint events
DEFAULT_BUDGET = 96 * 1024 * 1024


class Pictured(Protocol):
    """What the cache needs of an item: where it paints and how to paint it."""

    def picture_rect(self) -> QRectF: ...
    def paint_picture(self, painter: QPainter) -> None: ...
    def paint_placeholder(self, painter: QPainter) -> None: ...
    def update(self) -> None: ...
    def sceneBoundingRect(self) -> QRectF: ...
    def scene(self) -> object: ...


class _Entry:
    __slots__ = ("pixmap", "rect", "scale", "size", "stale")

    def __init__(self, pixmap: QPixmap, scale: float, rect: QRectF) -> None:
        self.pixmap = pixmap
        self.scale = scale
        self.rect = rect
        self.stale = False  # the item's look changed: shown until re-rendered, never a blank box
        self.size = pixmap.width() * pixmap.height() * 4


class PictureCache(QObject):
    """Per-item pictures with an LRU byte budget and a queue of pictures to sharpen in idle time."""

    def __init__(
        self,
        visible_rects: Callable[[], list[QRectF]],
        budget_bytes: int = DEFAULT_BUDGET,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._visible_rects = visible_rects
        self.budget_bytes = budget_bytes
        self._entries: OrderedDict[Pictured, _Entry] = OrderedDict()
        self._bytes = 0
        self._sharpen: dict[Pictured, float] = {}  # item -> the scale it was last shown at
        self._timer = QTimer(self)
        self._timer.setInterval(SLICE_INTERVAL_MS)
        self._timer.timeout.connect(self._sharpen_some)
        #: durations (s) of the idle slices run since reset_stats(), for benchmarks and tests
        self.slice_times: list[float] = []
        self.renders = 0
        self._frame_spent = 0.0
        self._dpr = 1.0  # the device pixel ratio of the last paint (what idle renders are made for)

    def begin_frame(self) -> None:
        """A view starts painting: the budget for pictures rendered during the paint starts afresh."""
        self._frame_spent = 0.0

    # --- what items call -------------------------------------------------------------------------
    def draw(self, item: Pictured, painter: QPainter, transform: QTransform) -> None:
        """Paint ``item``'s picture with ``transform`` (the painter's, a pure scale + translation)."""
        device = painter.device()
        dpr = self._dpr = device.devicePixelRatioF() if device is not None else 1.0
        scale = transform.m11() * dpr
        entry = self._entries.get(item)
        if entry is not None and not entry.stale and entry.scale == scale:
            self._entries.move_to_end(item)
        else:
            usable = entry is not None and entry.scale / MAX_STRETCH <= scale <= entry.scale * MAX_STRETCH
            # render now what cannot be shown otherwise, and a changed look while the budget lasts;
            # a picture that is only at another scale is stretched (zooming stays cheap)
            if (not usable or entry.stale) and self._frame_spent <= FRAME_BUDGET:
                start = time.perf_counter()
                entry = self._render(item, scale, dpr)
                self._frame_spent += time.perf_counter() - start
            elif not usable:
                item.paint_placeholder(painter)
                self._queue(item, scale)
                return
            else:
                self._entries.move_to_end(item)
                self._queue(item, scale)
        bounds = entry.rect
        if entry.scale == scale:
            # 1:1: blit at a whole device pixel, as Qt's own device cache does
            origin = transform.map(bounds.topLeft())
            painter.setWorldTransform(QTransform())
            painter.drawPixmap(QPointF(round(origin.x()), round(origin.y())), entry.pixmap)
            painter.setWorldTransform(transform)
        else:
            # stretched until it is sharpened: nearest-pixel scaling is 5x cheaper than smooth, and
            # the picture is replaced within a few frames
            source = QRectF(0, 0, bounds.width() * entry.scale, bounds.height() * entry.scale)
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
            painter.drawPixmap(bounds, entry.pixmap, source)
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)

    def _queue(self, item: Pictured, scale: float) -> None:
        if not self._sharpen:
            self._timer.start()
        self._sharpen[item] = scale

    def invalidate(self, item: Pictured) -> None:
        """The item's look changed: its next paint re-renders the picture (within the frame's budget;
        past it, the old picture is shown once more and re-rendered in idle time)."""
        entry = self._entries.get(item)
        if entry is not None:
            entry.stale = True

    def drop(self, item: Pictured) -> None:
        """The item's look changed, or it left the scene: its picture is gone."""
        entry = self._entries.pop(item, None)
        if entry is not None:
            self._bytes -= entry.size
        self._sharpen.pop(item, None)

    def clear(self) -> None:
        self._entries.clear()
        self._sharpen.clear()
        self._bytes = 0
        self._timer.stop()

    def scale_of(self, item: Pictured) -> float | None:
        """The scale ``item``'s picture was rendered for (device pixels per scene unit), if it has one."""
        entry = self._entries.get(item)
        return entry.scale if entry is not None else None

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def bytes_used(self) -> int:
        return self._bytes

    # --- idle sharpening -----------------------------------------------------------------------------
    def pending(self) -> int:
        """How many pictures are still shown stretched, out of date or as placeholders."""
        return len(self._sharpen)

    def finish(self) -> None:
        """Sharpen everything now (tests, exports)."""
        while self._sharpen:
            self._sharpen_some()

    def reset_stats(self) -> None:
        self.slice_times = []
        self.renders = 0

    def _sharpen_some(self) -> None:
        start = time.perf_counter()
        visible = self._visible_rects()
        while self._sharpen:
            item, scale = next(iter(self._sharpen.items()))
            del self._sharpen[item]
            if item.scene() is None:
                self.drop(item)
                continue
            rect = item.sceneBoundingRect()
            if not any(rect.intersects(v) for v in visible):
                continue  # scrolled away: it is sharpened when it is next shown
            entry = self._entries.get(item)
            if entry is not None and entry.scale == scale and not entry.stale:
                continue
            self._render(item, scale, self._dpr)
            item.update()
            if time.perf_counter() - start > SLICE_SECONDS:
                break
        if not self._sharpen:
            self._timer.stop()
        self.slice_times.append(time.perf_counter() - start)

    # --- rendering -------------------------------------------------------------------------------------
    def _render(self, item: Pictured, scale: float, dpr: float) -> _Entry:
        bounds = item.picture_rect()
        width = max(1, math.ceil(bounds.width() * scale) + 1)
        height = max(1, math.ceil(bounds.height() * scale) + 1)
        pixmap = QPixmap(width, height)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        painter.setRenderHints(
            QPainter.RenderHint.Antialiasing
            | QPainter.RenderHint.TextAntialiasing
            | QPainter.RenderHint.SmoothPixmapTransform
        )
        painter.scale(scale, scale)
        painter.translate(-bounds.left(), -bounds.top())
        item.paint_picture(painter)
        painter.end()
        pixmap.setDevicePixelRatio(dpr)
        self.drop(item)
        entry = _Entry(pixmap, scale, bounds)
        self._entries[item] = entry
        self._bytes += entry.size
        self.renders += 1
        while self._bytes > self.budget_bytes and len(self._entries) > 1:
            _old, evicted = self._entries.popitem(last=False)
            self._bytes -= evicted.size
        return entry
