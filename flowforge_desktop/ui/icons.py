"""Node kind icons: resources/icons/<kind>.svg rendered once per size, or a drawn glyph when missing."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QIcon, QPainter, QPixmap

ICON_DIR = Path(__file__).resolve().parent.parent / "resources" / "icons"


def icon_path(kind: str, icon: str | None = None) -> Path | None:
    for name in (f"{kind}.svg", icon):
        if name:
            path = ICON_DIR / name
            if path.is_file():
                return path
    return None


@lru_cache(maxsize=256)
def kind_pixmap(kind: str, icon: str | None, size: int, color: str) -> QPixmap:
    """A square pixmap of ``size`` device pixels; white glyph on transparent for the node header."""
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    path = icon_path(kind, icon)
    drawn = False
    if path is not None:
        from PySide6.QtSvg import QSvgRenderer

        renderer = QSvgRenderer(str(path))
        if renderer.isValid():
            renderer.render(painter, QRectF(0, 0, size, size))
            drawn = True
    if not drawn:
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(color))
        painter.drawRoundedRect(QRectF(0, 0, size, size), size * 0.25, size * 0.25)
        font = QFont()
        font.setBold(True)
        font.setPixelSize(int(size * 0.62))
        painter.setFont(font)
        painter.setPen(QColor("#ffffff"))
        painter.drawText(QRectF(0, 0, size, size), Qt.AlignmentFlag.AlignCenter, (kind[:1] or "?").upper())
    painter.end()
    return pixmap


@lru_cache(maxsize=256)
def kind_tile(kind: str, icon: str | None, size: int, color: str) -> QPixmap:
    """The icon as a white glyph on a rounded tile of the category colour: readable on light and dark."""
    tile = QPixmap(size, size)
    tile.fill(Qt.GlobalColor.transparent)
    painter = QPainter(tile)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(color))
    painter.drawRoundedRect(QRectF(0, 0, size, size), size * 0.22, size * 0.22)
    if icon_path(kind, icon) is not None:
        inner = int(size * 0.7)
        glyph = QPixmap(kind_pixmap(kind, icon, inner, color))
        tint = QPainter(glyph)
        tint.setCompositionMode(QPainter.CompositionMode.CompositionMode_SourceIn)
        tint.fillRect(glyph.rect(), QColor("#ffffff"))
        tint.end()
        offset = (size - inner) // 2
        painter.drawPixmap(offset, offset, glyph)
    else:
        painter.drawPixmap(0, 0, kind_pixmap(kind, icon, size, color))
    painter.end()
    return tile


def kind_icon(kind: str, icon: str | None, color: str) -> QIcon:
    return QIcon(kind_tile(kind, icon, 32, color))
