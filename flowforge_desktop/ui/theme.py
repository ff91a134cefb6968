"""Colours and fonts of the canvas, derived from the application palette so the OS theme is followed."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtGui import QColor, QFont, QGuiApplication, QPalette

CATEGORY_COLORS = {
    "trigger": "#e8833a",
    "action": "#3b7ddd",
    "operation": "#2e9e6b",
}
UNKNOWN_COLOR = "#8d8d8d"
# the colours offered for sticky notes and groups (the first of each is the default in the schema)
NOTE_COLORS = {
    "Yellow": "#fff59d",
    "Green": "#c5e1a5",
    "Blue": "#b3e5fc",
    "Pink": "#f8bbd0",
    "Orange": "#ffcc80",
    "Grey": "#e0e0e0",
}
GROUP_COLORS = {
    "Blue": "#90caf9",
    "Green": "#a5d6a7",
    "Orange": "#ffb74d",
    "Purple": "#ce93d8",
    "Red": "#ef9a9a",
    "Grey": "#b0bec5",
}
STATE_COLORS = {
    "pending": "#bdbdbd",
    "interrupted": "#757575",
    "queued": "#9e9e9e",
    "waiting": "#9e9e9e",
    "running": "#1e88e5",
    "paused": "#f9a825",
    "succeeded": "#43a047",
    "pinned": "#8e24aa",
    "skipped": "#bdbdbd",
    "failed": "#e53935",
    "cancelled": "#757575",
}
STATE_GLYPHS = {
    "pending": "·",
    "interrupted": "■",
    "queued": "…",
    "waiting": "…",
    "running": "▶",
    "paused": "❚❚",
    "succeeded": "✓",
    "pinned": "P",
    "skipped": "↷",
    "failed": "✕",
    "cancelled": "■",
}


def is_dark(palette: QPalette | None = None) -> bool:
    palette = palette or QGuiApplication.palette()
    return palette.color(QPalette.ColorRole.Window).lightness() < 128


@dataclass
class CanvasTheme:
    dark: bool
    background: QColor
    grid: QColor
    grid_major: QColor
    node_body: QColor
    node_border: QColor
    node_text: QColor
    node_subtext: QColor
    header_text: QColor
    selection: QColor
    edge: QColor
    edge_error: QColor
    error: QColor
    port_fill: QColor
    title_font: QFont
    small_font: QFont

    @classmethod
    def from_palette(cls, palette: QPalette | None = None) -> CanvasTheme:
        palette = palette or QGuiApplication.palette()
        dark = is_dark(palette)
        base = palette.color(QPalette.ColorRole.Base)
        text = palette.color(QPalette.ColorRole.Text)
        if dark:
            background = QColor("#1e1f22")
            node_body = QColor("#2b2d31")
            grid, grid_major = QColor("#26272b"), QColor("#303136")
            node_border, edge = QColor("#4a4c52"), QColor("#9aa0a6")
            subtext = QColor("#a9adb3")
        else:
            background = QColor("#f4f5f7")
            node_body = QColor(base) if base.lightness() > 200 else QColor("#ffffff")
            grid, grid_major = QColor("#e8e9ec"), QColor("#dcdde1")
            node_border, edge = QColor("#c4c7cc"), QColor("#7d8590")
            subtext = QColor("#5f6368")
        title_font = QFont(QGuiApplication.font())
        title_font.setPointSizeF(max(8.0, title_font.pointSizeF()))
        title_font.setBold(True)
        small_font = QFont(QGuiApplication.font())
        small_font.setPointSizeF(max(7.0, small_font.pointSizeF() - 1.5))
        return cls(
            dark=dark,
            background=background,
            grid=grid,
            grid_major=grid_major,
            node_body=node_body,
            node_border=node_border,
            node_text=QColor(text),
            node_subtext=subtext,
            header_text=QColor("#ffffff"),
            selection=QColor(palette.color(QPalette.ColorRole.Highlight)) if not dark else QColor("#5c9dff"),
            edge=edge,
            edge_error=QColor("#e53935"),
            error=QColor("#e53935"),
            port_fill=QColor(background),
            title_font=title_font,
            small_font=small_font,
        )


def dark_palette() -> QPalette:
    """A Fusion dark palette for platforms that report dark mode but give no dark palette."""
    p = QPalette()
    window, base, text = QColor("#2b2d31"), QColor("#1e1f22"), QColor("#e8eaed")
    p.setColor(QPalette.ColorRole.Window, window)
    p.setColor(QPalette.ColorRole.WindowText, text)
    p.setColor(QPalette.ColorRole.Base, base)
    p.setColor(QPalette.ColorRole.AlternateBase, QColor("#26282c"))
    p.setColor(QPalette.ColorRole.ToolTipBase, QColor("#3c3f45"))
    p.setColor(QPalette.ColorRole.ToolTipText, text)
    p.setColor(QPalette.ColorRole.Text, text)
    p.setColor(QPalette.ColorRole.Button, window)
    p.setColor(QPalette.ColorRole.ButtonText, text)
    p.setColor(QPalette.ColorRole.BrightText, QColor("#ff6b6b"))
    p.setColor(QPalette.ColorRole.Highlight, QColor("#3d6fd1"))
    p.setColor(QPalette.ColorRole.HighlightedText, QColor("#ffffff"))
    p.setColor(QPalette.ColorRole.Link, QColor("#8ab4f8"))
    p.setColor(QPalette.ColorRole.PlaceholderText, QColor("#8a8d93"))
    for role in (QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText, QPalette.ColorRole.WindowText):
        p.setColor(QPalette.ColorGroup.Disabled, role, QColor("#6f7278"))
    return p


def apply_theme(app, mode: str = "auto") -> None:
    """auto: follow the OS (Qt 6.5+ colour scheme); 'dark' / 'light' force one."""
    from PySide6.QtCore import Qt

    if mode == "auto":
        scheme = app.styleHints().colorScheme()
        mode = "dark" if scheme == Qt.ColorScheme.Dark and not is_dark(app.palette()) else ""
    if mode == "dark":
        app.setStyle("Fusion")
        app.setPalette(dark_palette())
    elif mode == "light":
        app.setStyle("Fusion")
        app.setPalette(app.style().standardPalette())
