"""Form fields generated from a pydantic field's annotation, for the inspector.

Each field parses its widget's text into a value (``value()`` raises ValueError with a message for
the user) and shows one inline error under itself.
"""

from __future__ import annotations

import json
import re
import types
from datetime import datetime
from typing import Annotated, Any, Literal, Union, get_args, get_origin
from zoneinfo import ZoneInfo

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

SECRET_NAMES = ("password", "secret", "token", "api_key", "apikey")
MULTILINE_NAMES = ("body", "html", "template", "notes", "script")
PATH_SUFFIXES = ("path", "_dir", "_file", "_folder", "directory", "error_workflow")


def _unwrap(annotation: Any) -> tuple[Any, bool]:
    """(base annotation, optional) with Annotated and `X | None` removed."""
    optional = False
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
            continue
        if origin in (Union, types.UnionType):
            args = [a for a in get_args(annotation) if a is not type(None)]
            if len(args) < len(get_args(annotation)):
                optional = True
            if len(args) == 1:
                annotation = args[0]
                continue
        return annotation, optional


def field_kind(name: str, annotation: Any) -> tuple[str, bool, tuple[Any, ...]]:
    """What editor fits: (kind, optional, choices)."""
    base, optional = _unwrap(annotation)
    origin = get_origin(base)
    if base is bool:
        return "bool", optional, ()
    if base in (int, float):
        return base.__name__, optional, ()
    if origin is Literal:
        return "choice", optional, get_args(base)
    if base is str:
        lname = name.lower()
        if "cron" in lname:
            return "cron", optional, ()
        if any(s in lname for s in SECRET_NAMES):
            return "secret", optional, ()
        if lname.endswith(PATH_SUFFIXES):
            return "path", optional, ()
        if lname in MULTILINE_NAMES:
            return "multiline", optional, ()
        return "text", optional, ()
    if origin is list:
        (item,) = get_args(base) or (Any,)
        item, _ = _unwrap(item)
        if get_origin(item) is Literal:
            return "multichoice", optional, get_args(item)
        if item is str:
            return "list", optional, ()
    if origin is dict:
        args = get_args(base)
        if len(args) == 2 and _unwrap(args[0])[0] is str and _unwrap(args[1])[0] is str:
            return "mapping", optional, ()
    return "json", optional, ()


class FieldEditor(QWidget):
    changed = Signal()

    def __init__(self, name: str, optional: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self.optional = optional
        self._loading = False
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(2)
        self.row = QHBoxLayout()
        self.row.setContentsMargins(0, 0, 0, 0)
        outer.addLayout(self.row)
        self.error = QLabel(self)
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #e53935;")
        self.error.hide()
        self.hint = QLabel(self)
        self.hint.setWordWrap(True)
        self.hint.setStyleSheet("color: palette(mid);")
        self.hint.hide()
        self.attention = QLabel(self)
        self.attention.setWordWrap(True)
        self.attention.setStyleSheet("color: #e08a00;")
        self.attention.hide()
        outer.addWidget(self.error)
        outer.addWidget(self.attention)
        outer.addWidget(self.hint)

    def _emit(self, *_args: Any) -> None:
        if not self._loading:
            self.changed.emit()

    def load(self, value: Any) -> None:
        self._loading = True
        try:
            self.set_value(value)
        finally:
            self._loading = False

    def set_value(self, value: Any) -> None:
        raise NotImplementedError

    def value(self) -> Any:
        raise NotImplementedError

    def set_error(self, message: str | None) -> None:
        self.error.setText(message or "")
        self.error.setVisible(bool(message))

    def set_attention(self, message: str | None) -> None:
        """Not an error: a value that works but is probably not what the user wants (an example)."""
        self.attention.setText(message or "")
        self.attention.setVisible(bool(message))

    def error_text(self) -> str:
        return self.error.text() if self.error.isVisible() else ""


class TextField(FieldEditor):
    def __init__(self, name: str, optional: bool, parent: QWidget | None = None) -> None:
        super().__init__(name, optional, parent)
        self.edit = QLineEdit(self)
        self.row.addWidget(self.edit)
        self.edit.textEdited.connect(self._emit)

    def set_value(self, value: Any) -> None:
        text = "" if value is None else str(value)
        if self.edit.text() != text:
            self.edit.setText(text)

    def value(self) -> Any:
        text = self.edit.text()
        return None if (self.optional and text == "") else text


class MultiLineField(FieldEditor):
    def __init__(self, name: str, optional: bool, parent: QWidget | None = None) -> None:
        super().__init__(name, optional, parent)
        self.edit = QPlainTextEdit(self)
        self.edit.setFixedHeight(80)
        self.row.addWidget(self.edit)
        self.edit.textChanged.connect(self._emit)

    def set_value(self, value: Any) -> None:
        text = "" if value is None else str(value)
        if self.edit.toPlainText() != text:
            self.edit.setPlainText(text)

    def value(self) -> Any:
        text = self.edit.toPlainText()
        return None if (self.optional and text == "") else text


class NumberField(TextField):
    def __init__(self, name: str, optional: bool, integer: bool, parent: QWidget | None = None) -> None:
        super().__init__(name, optional, parent)
        self.integer = integer
        self.edit.setPlaceholderText("empty: not set" if optional else "")

    def set_value(self, value: Any) -> None:
        if isinstance(value, float) and value.is_integer() and not self.integer:
            value = int(value) if abs(value) < 1e15 else value
        super().set_value(value)

    def value(self) -> Any:
        text = self.edit.text().strip()
        if text == "":
            if self.optional:
                return None
            raise ValueError("enter a number")
        try:
            return int(text) if self.integer else float(text)
        except ValueError:
            raise ValueError(f"'{text}' is not a {'whole number' if self.integer else 'number'}") from None


class BoolField(FieldEditor):
    def __init__(self, name: str, optional: bool, parent: QWidget | None = None) -> None:
        super().__init__(name, optional, parent)
        self.box = QCheckBox(self)
        self.row.addWidget(self.box)
        self.box.toggled.connect(self._emit)

    def set_value(self, value: Any) -> None:
        self.box.setChecked(bool(value))

    def value(self) -> Any:
        return self.box.isChecked()


class ChoiceField(FieldEditor):
    def __init__(self, name: str, optional: bool, choices: tuple[Any, ...], parent: QWidget | None = None) -> None:
        super().__init__(name, optional, parent)
        self.combo = QComboBox(self)
        self.choices = ([None] if optional else []) + list(choices)
        for choice in self.choices:
            self.combo.addItem("(not set)" if choice is None else str(choice))
        self.row.addWidget(self.combo)
        self.combo.currentIndexChanged.connect(self._emit)

    def set_value(self, value: Any) -> None:
        if value in self.choices:
            self.combo.setCurrentIndex(self.choices.index(value))

    def value(self) -> Any:
        return self.choices[self.combo.currentIndex()]


class MultiChoiceField(FieldEditor):
    def __init__(self, name: str, optional: bool, choices: tuple[Any, ...], parent: QWidget | None = None) -> None:
        super().__init__(name, optional, parent)
        self.boxes = []
        grid = QHBoxLayout()
        for choice in choices:
            box = QCheckBox(str(choice), self)
            box.toggled.connect(self._emit)
            grid.addWidget(box)
            self.boxes.append((choice, box))
        grid.addStretch(1)
        holder = QWidget(self)
        holder.setLayout(grid)
        grid.setContentsMargins(0, 0, 0, 0)
        self.row.addWidget(holder)

    def set_value(self, value: Any) -> None:
        chosen = set(value or [])
        for choice, box in self.boxes:
            box.setChecked(choice in chosen)

    def value(self) -> Any:
        return [choice for choice, box in self.boxes if box.isChecked()]


class ListField(TextField):
    """A list of strings, comma separated."""

    def __init__(self, name: str, optional: bool, parent: QWidget | None = None) -> None:
        super().__init__(name, optional, parent)
        self.edit.setPlaceholderText("comma-separated")

    def set_value(self, value: Any) -> None:
        super().set_value(", ".join(str(v) for v in value or []))

    def value(self) -> Any:
        return [part.strip() for part in self.edit.text().split(",") if part.strip()]


class MappingField(FieldEditor):
    """Key / value rows; an empty last row adds a new pair."""

    def __init__(self, name: str, optional: bool, parent: QWidget | None = None) -> None:
        super().__init__(name, optional, parent)
        self.table = QTableWidget(0, 2, self)
        self.table.setHorizontalHeaderLabels(["Key", "Value"])
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().hide()
        self.table.setFixedHeight(84)
        self.row.addWidget(self.table)
        self.table.itemChanged.connect(self._item_changed)

    def _item_changed(self, _item: QTableWidgetItem) -> None:
        if self._loading:
            return
        self._ensure_blank_row()
        self._emit()

    def _ensure_blank_row(self) -> None:
        rows = self.table.rowCount()
        last_blank = rows > 0 and all(
            not (self.table.item(rows - 1, c) and self.table.item(rows - 1, c).text()) for c in (0, 1)
        )
        if not last_blank:
            was = self._loading
            self._loading = True
            self.table.insertRow(rows)
            self.table.setItem(rows, 0, QTableWidgetItem(""))
            self.table.setItem(rows, 1, QTableWidgetItem(""))
            self._loading = was

    def set_value(self, value: Any) -> None:
        if value == self._current() and self.table.rowCount():
            return
        self.table.setRowCount(0)
        for key, val in (value or {}).items():
            row = self.table.rowCount()
            self.table.insertRow(row)
            self.table.setItem(row, 0, QTableWidgetItem(str(key)))
            self.table.setItem(row, 1, QTableWidgetItem(str(val)))
        self._ensure_blank_row()

    def _current(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for row in range(self.table.rowCount()):
            key = self.table.item(row, 0)
            val = self.table.item(row, 1)
            if key is not None and key.text().strip():
                out[key.text().strip()] = val.text() if val is not None else ""
        return out

    def value(self) -> Any:
        keys = [self.table.item(r, 0).text().strip() for r in range(self.table.rowCount()) if self.table.item(r, 0)]
        keys = [k for k in keys if k]
        if len(keys) != len(set(keys)):
            raise ValueError("a key appears twice")
        return self._current()


class JsonField(MultiLineField):
    def set_value(self, value: Any) -> None:
        try:
            current = self.value()
        except ValueError:
            current = object()
        if current != value:
            self.edit.setPlainText("" if value is None else json.dumps(value, indent=2, ensure_ascii=False))

    def value(self) -> Any:
        text = self.edit.toPlainText().strip()
        if not text:
            return None
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})") from None


class SecretField(TextField):
    """A string that should refer to a secret by name rather than hold it."""

    def __init__(self, name: str, optional: bool, parent: QWidget | None = None) -> None:
        super().__init__(name, optional, parent)
        self.edit.setPlaceholderText("{{ secrets.NAME }}")
        self.button = QPushButton("Secret…", self)
        self.button.setToolTip("Refer to a secret stored outside the workflow file")
        self.row.addWidget(self.button)
        self.button.clicked.connect(self._choose)
        self.edit.textChanged.connect(self._update_hint)

    def _choose(self) -> None:
        from flowforge_desktop.ui.secrets_panel import SecretDialog

        match = re.search(r"secrets\.([A-Za-z_][A-Za-z0-9_]*)", self.edit.text())
        self.dialog = SecretDialog(match.group(1) if match else "", self)
        self.dialog.chosen.connect(self.use_secret)
        self.dialog.open()  # not exec(): no nested event loop inside qasync

    def use_secret(self, name: str) -> None:
        self.edit.setText(f"{{{{ secrets.{name} }}}}")
        self._emit()

    def _update_hint(self, text: str) -> None:
        literal = bool(text) and "{{" not in text
        self.hint.setText(
            "This value is saved in the workflow file; use a secret reference instead." if literal else ""
        )
        self.hint.setVisible(literal)


class CronField(TextField):
    """A cron expression with its next fire times, in the config's time zone."""

    def __init__(self, name: str, optional: bool, parent: QWidget | None = None) -> None:
        super().__init__(name, optional, parent)
        self.timezone = "UTC"
        self.edit.setPlaceholderText("*/5 * * * *")
        self.edit.textChanged.connect(self.update_next)

    def update_next(self, *_args: Any) -> None:
        self.hint.setText(next_fire_text(self.edit.text(), self.timezone))
        self.hint.setVisible(bool(self.hint.text()))


def next_fire_text(expression: str, timezone: str, count: int = 3, now: datetime | None = None) -> str:
    from croniter import croniter

    expression = expression.strip()
    if not expression or not croniter.is_valid(expression):
        return ""
    try:
        tz = ZoneInfo(timezone)
    except Exception:
        tz = ZoneInfo("UTC")
    it = croniter(expression, (now or datetime.now(tz)).astimezone(tz))
    times = [it.get_next(datetime) for _ in range(count)]
    return "Next: " + ", ".join(t.strftime("%a %Y-%m-%d %H:%M") for t in times) + f" ({timezone})"


class PathField(TextField):
    def __init__(self, name: str, optional: bool, parent: QWidget | None = None) -> None:
        super().__init__(name, optional, parent)
        self.button = QPushButton("Browse…", self)
        self.row.addWidget(self.button)
        self.button.clicked.connect(self._browse)
        self.folder = not name.endswith(("_file", "workflow"))

    def _browse(self) -> None:
        if self.folder:
            path = QFileDialog.getExistingDirectory(self, "Choose a folder", self.edit.text())
        else:
            path, _ = QFileDialog.getOpenFileName(self, "Choose a file", self.edit.text())
        if path:
            self.edit.setText(path)
            self._emit()


def make_field(name: str, annotation: Any, parent: QWidget | None = None) -> FieldEditor:
    kind, optional, choices = field_kind(name, annotation)
    if kind == "bool":
        return BoolField(name, optional, parent)
    if kind in ("int", "float"):
        return NumberField(name, optional, kind == "int", parent)
    if kind == "choice":
        return ChoiceField(name, optional, choices, parent)
    if kind == "multichoice":
        return MultiChoiceField(name, optional, choices, parent)
    if kind == "list":
        return ListField(name, optional, parent)
    if kind == "mapping":
        return MappingField(name, optional, parent)
    if kind == "cron":
        return CronField(name, optional, parent)
    if kind == "secret":
        return SecretField(name, optional, parent)
    if kind == "path":
        return PathField(name, optional, parent)
    if kind == "multiline":
        return MultiLineField(name, optional, parent)
    if kind == "text":
        return TextField(name, optional, parent)
    return JsonField(name, optional, parent)


__all__ = ["FieldEditor", "Qt", "field_kind", "make_field", "next_fire_text"]
