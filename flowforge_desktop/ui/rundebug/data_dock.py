"""The Data dock: the selected node's last input and output; at a pause, its input is editable.

Edits are parsed as you type; only valid JSON reaches the debugger (``inputEdited``), and the reason
an edit is not valid is shown under the editor with its line and column.
"""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QDockWidget,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from flowforge_desktop.engine.run_view import NodeRecord
from flowforge_desktop.ui.rundebug.json_view import JsonView


def parse_json(text: str) -> tuple[bool, Any, str]:
    """(ok, value, message) for the editor's status line."""
    try:
        return True, json.loads(text), "valid JSON: Continue runs the node with it"
    except json.JSONDecodeError as exc:
        return False, None, f"line {exc.lineno}, column {exc.colno}: {exc.msg}"


class DataDock(QDockWidget):
    inputEdited = Signal(object)
    pinRequested = Signal(str, object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Data", parent)
        self.setObjectName("DataDock")
        self.node_id = ""
        self.title = QLabel("Select a node to see its data", self)
        self.title.setWordWrap(True)
        self.input_view = JsonView(self)
        self.output_view = JsonView(self)
        self.editor = QPlainTextEdit(self)
        self.editor.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.editor.textChanged.connect(self._validate)
        self.editor_status = QLabel("", self)
        self.editor_status.setWordWrap(True)
        self.pin_button = QPushButton("Pin this output", self)
        self.pin_button.clicked.connect(self._pin)
        edit_page = QWidget(self)
        edit_layout = QVBoxLayout(edit_page)
        edit_layout.addWidget(self.editor)
        edit_layout.addWidget(self.editor_status)
        self.pin_editor = QPlainTextEdit(self)
        self.pin_editor.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.pin_editor.setPlaceholderText('Type the output to pin, as JSON: {"status": 200, "body": {...}}')
        self.pin_status = QLabel("", self)
        self.pin_status.setWordWrap(True)
        pin_typed = QPushButton("Pin this JSON", self)
        pin_typed.clicked.connect(self.pin_typed)
        pin_page = QWidget(self)
        pin_layout = QVBoxLayout(pin_page)
        pin_layout.addWidget(self.pin_editor)
        pin_layout.addWidget(self.pin_status)
        pin_layout.addWidget(pin_typed)
        self.tabs = QTabWidget(self)
        self.tabs.addTab(self.input_view, "Input")
        self.tabs.addTab(self.output_view, "Output")
        self._edit_index = self.tabs.addTab(edit_page, "Edit input")
        self.tabs.setTabEnabled(self._edit_index, False)
        self._pin_index = self.tabs.addTab(pin_page, "Pin JSON")
        self.tabs.setTabEnabled(self._pin_index, False)
        body = QWidget(self)
        layout = QVBoxLayout(body)
        layout.addWidget(self.title)
        layout.addWidget(self.tabs)
        layout.addWidget(self.pin_button)
        self.setWidget(body)
        self.valid = True
        self._output: Any = None

    # ----------------------------------------------------------------------- showing ---
    def show_node(self, node_id: str, record: NodeRecord | None, *, paused: bool = False) -> None:
        self.node_id = node_id
        self.tabs.setTabEnabled(self._pin_index, True)
        if record is None:
            self.title.setText(f"{node_id}: no data yet. Run the workflow (F5) to see what it receives and returns.")
            self.input_view.set_value(None, "")
            self.output_view.set_value(None, node_id)
            self.tabs.setTabEnabled(self._edit_index, False)
            self.pin_button.setEnabled(False)
            return
        state = f"{record.state}" + (f" after {record.attempts} attempts" if record.attempts > 1 else "")
        extra = " (output truncated in history)" if record.truncated else ""
        self.title.setText(f"{node_id}: {state}{extra}")
        self.input_view.set_value(record.input, "")
        shown = record.error if record.error and record.output is None else record.output
        self.output_view.set_value(shown, node_id)
        self._output = record.output
        self.pin_button.setEnabled(record.output is not None and not paused)
        self.tabs.setTabEnabled(self._edit_index, paused)
        if paused:
            self.editor.blockSignals(True)
            self.editor.setPlainText(json.dumps(record.input, indent=2, default=str, ensure_ascii=False))
            self.editor.blockSignals(False)
            self.editor_status.setText(f"paused before {node_id}: edit its input, then Continue or Step")
            self.valid = True
            self.tabs.setCurrentIndex(self._edit_index)

    def clear(self) -> None:
        self.node_id = ""
        self.title.setText("Select a node to see its data")
        self.input_view.set_value(None)
        self.output_view.set_value(None)
        self.tabs.setTabEnabled(self._edit_index, False)

    # ----------------------------------------------------------------------- editing ---
    def _validate(self) -> None:
        ok, value, message = parse_json(self.editor.toPlainText())
        self.valid = ok
        self.editor_status.setText(message)
        self.editor_status.setStyleSheet("" if ok else "color: #d32f2f;")
        if ok:
            self.inputEdited.emit(value)

    def pin_typed(self) -> bool:
        """Pin the JSON typed in the Pin tab on the shown node; invalid JSON is said, nothing pinned."""
        if not self.node_id:
            return False
        ok, value, message = parse_json(self.pin_editor.toPlainText())
        if not ok:
            self.pin_status.setText(f"not pinned: {message}")
            return False
        self.pin_status.setText(f"pinned on '{self.node_id}': runs use it instead of running the node")
        self.pinRequested.emit(self.node_id, value)
        return True

    def _pin(self) -> None:
        if self.node_id:
            self.pinRequested.emit(self.node_id, self._output)

    def edit_input_text(self, text: str) -> None:
        """Type into the editor (tests and scripted use go through the same validation)."""
        self.tabs.setCurrentIndex(self._edit_index)
        self.editor.setPlainText(text)
        self.editor.setFocus(Qt.FocusReason.OtherFocusReason)
