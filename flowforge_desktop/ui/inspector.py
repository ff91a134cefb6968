"""The inspector: a form generated from the selected node's Config model.

Each keystroke is parsed and validated against the kind's Config; errors show inline under their
field and nothing reaches the document until the config is valid. Valid edits go through the editor
as undo commands; typing into one field merges into one undo step.
"""

from __future__ import annotations

import re
from typing import Any, get_args

from pydantic import ValidationError
from pydantic_core import PydanticUndefined
from PySide6.QtWidgets import (
    QFormLayout,
    QFrame,
    QLabel,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from flowforge_desktop.model.changes import (
    Change,
    DocumentReset,
    NodeAdded,
    NodeRemoved,
    NodeUpdated,
    SettingsChanged,
    WorkflowRenamed,
)
from flowforge_desktop.model.document import config_problems
from flowforge_desktop.model.errors import format_pydantic_errors
from flowforge_desktop.model.schema import NodeSpec, WorkflowSettings
from flowforge_desktop.ui.commands import RenameWorkflowCommand, SettingsCommand
from flowforge_desktop.ui.editor import Editor
from flowforge_desktop.ui.fields import (
    BoolField,
    ChoiceField,
    CronField,
    FieldEditor,
    JsonField,
    MultiLineField,
    NumberField,
    TextField,
    make_field,
)
from flowforge_desktop.ui.starters import is_example_value

_FIELD_RE = re.compile(r"^config\.([A-Za-z_][A-Za-z0-9_]*)")


class Inspector(QWidget):
    def __init__(self, editor: Editor, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.editor = editor
        self.doc = editor.doc
        self.node_id: str | None = None
        self.fields: dict[str, FieldEditor] = {}
        self.header: dict[str, FieldEditor] = {}
        self._applying = False
        self._count = 0
        self._last_refusal = ""
        editor.message.connect(self._remember_refusal)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        self.scroll = QScrollArea(self)
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        outer.addWidget(self.scroll)
        self.title = QLabel()
        self.general_error = QLabel()
        self.general_error.setWordWrap(True)
        self.general_error.setStyleSheet("color: #e53935;")
        self._unsubscribe = self.doc.subscribe(self._on_change)
        self.show_node(None)

    def _remember_refusal(self, text: str) -> None:
        self._last_refusal = text

    # --- building --------------------------------------------------------------------------------
    def show_nodes(self, node_ids: list[str]) -> None:
        if len(node_ids) > 1 and self.node_id is None and self._count > 1:
            # a rubber band signals on every mouse move: only the count changes
            self._count = len(node_ids)
            self.title.setText(f"<b>{self._count} nodes selected</b><br>Select one node to edit its settings.")
            return
        if len(node_ids) == 1 and node_ids[0] == self.node_id:
            return
        self.show_node(node_ids[0] if len(node_ids) == 1 else None, count=len(node_ids))

    def _workflow_text(self) -> str:
        n = len(self.doc)
        return (
            f"<b>{self.doc.name}</b><br>{n} node{'s' if n != 1 else ''}. "
            "Select a node to edit it; drag kinds from the palette to add nodes."
        )

    def show_node(self, node_id: str | None, count: int = 0) -> None:
        self.node_id = node_id if node_id in self.doc else None
        self._count = count
        self.fields, self.header = {}, {}
        page = QWidget()
        layout = QVBoxLayout(page)
        self.title = QLabel()
        self.title.setWordWrap(True)
        self.general_error = QLabel()
        self.general_error.setWordWrap(True)
        self.general_error.setStyleSheet("color: #e53935;")
        self.general_error.hide()
        layout.addWidget(self.title)
        if self.node_id is None:
            if count > 1:
                self.title.setText(f"<b>{count} nodes selected</b><br>Select one node to edit its settings.")
            else:
                self.title.setText(self._workflow_text())
                self._build_workflow_form(layout)
            layout.addStretch(1)
            self.scroll.setWidget(page)
            return
        spec = self.doc.node(self.node_id)
        kind = self.doc.registry.get(spec.kind)
        kind_text = kind.display_title() if kind else f"unknown kind '{spec.kind}'"
        desc = kind.description if kind else self.doc.registry.unknown_kind_message(spec.kind)
        self.title.setText(
            f"<b>{kind_text}</b> <span style='color:gray'>· id {spec.id}</span><br><small>{desc}</small>"
        )
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        layout.addLayout(form)
        name = TextField("name", False)
        name.setToolTip("Display name; nothing keys on it")
        disabled = BoolField("disabled", False)
        disabled.setToolTip("A disabled node passes its input through untouched")
        on_error = ChoiceField("on_error", False, get_args(NodeSpec.model_fields["on_error"].annotation))
        on_error.setToolTip("stop the run, continue past the node, or route the failure to its 'error' port")
        notes = MultiLineField("notes", False)
        timeout = NumberField("timeout", True, integer=False)
        timeout.setToolTip(NodeSpec.model_fields["timeout"].description or "")
        retry = JsonField("retry", True)
        retry.setToolTip('Retries for this node, e.g. {"retry_count": 3, "retry_delay": 2}; empty: the kind\'s own')
        retry.edit.setFixedHeight(46)
        rate_key = TextField("rate_limit_key", True)
        rate_key.setToolTip(NodeSpec.model_fields["rate_limit_key"].description or "")
        for label, field in (
            ("Name", name),
            ("Disabled", disabled),
            ("On error", on_error),
            ("Timeout (s)", timeout),
            ("Retry policy", retry),
            ("Rate limit key", rate_key),
            ("Notes", notes),
        ):
            self.header[field.name] = field
            form.addRow(label, field)
            field.changed.connect(lambda f=field: self._header_edited(f))
        line = QFrame()
        line.setFrameShape(QFrame.Shape.HLine)
        layout.addWidget(line)
        layout.addWidget(self.general_error)
        if kind is not None:
            cform = QFormLayout()
            cform.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
            layout.addLayout(cform)
            for fname, info in kind.Config.model_fields.items():
                field = make_field(fname, info.annotation)
                if info.description:
                    field.setToolTip(info.description)
                required = info.is_required()
                label = QLabel(fname.replace("_", " ") + (" *" if required else ""))
                if info.description:
                    label.setToolTip(info.description)
                cform.addRow(label, field)
                self.fields[fname] = field
                field.changed.connect(lambda f=field: self._config_edited(f))
        else:
            note = QLabel("This node's kind is not installed; its config is kept unchanged and saved back as it is.")
            note.setWordWrap(True)
            layout.addWidget(note)
        layout.addStretch(1)
        self.scroll.setWidget(page)
        self._load(spec)
        self._show_problems(config_problems(kind, spec.config) if kind else [])

    def _build_workflow_form(self, layout: QVBoxLayout) -> None:
        """Nothing selected: the workflow's name and settings."""
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        layout.addLayout(form)
        layout.addWidget(self.general_error)
        name = TextField("name", False)
        self.header["name"] = name
        form.addRow("Workflow name", name)
        name.changed.connect(lambda: self._workflow_name_edited(name))
        for fname, info in WorkflowSettings.model_fields.items():
            field = make_field(fname, info.annotation)
            if isinstance(field, JsonField):
                field.edit.setFixedHeight(46)
            if info.description:
                field.setToolTip(info.description)
            form.addRow(fname.replace("_", " "), field)
            self.fields[fname] = field
            field.changed.connect(lambda f=field: self._settings_edited(f))
        self._load_workflow()

    def _load_workflow(self) -> None:
        self.header["name"].load(self.doc.name)
        values = self.doc.settings.model_dump(mode="json")
        for fname, field in self.fields.items():
            field.load(values.get(fname))

    def _workflow_name_edited(self, field: FieldEditor) -> None:
        name = field.value()
        if name != self.doc.name:
            self._applying = True
            try:
                self.editor.execute(RenameWorkflowCommand(self.doc, self.doc.name, name))
            finally:
                self._applying = False

    def _settings_edited(self, field: FieldEditor) -> None:
        try:
            value = field.value()
        except ValueError as exc:
            field.set_error(str(exc))
            return
        data = self.doc.settings.model_dump(mode="json")
        if value is None and field.optional:
            data[field.name] = None
        else:
            data[field.name] = value
        try:
            new = WorkflowSettings.model_validate(data)
        except ValidationError as exc:
            messages = format_pydantic_errors(exc)
            field.set_error("; ".join(m.partition(": ")[2] or m for m in messages))
            return
        field.set_error(None)
        self._applying = True
        try:
            self.editor.execute(SettingsCommand(self.doc, self.doc.settings, new, merge_key=field.name))
        finally:
            self._applying = False

    def _load(self, spec: NodeSpec) -> None:
        for name, field in self.header.items():
            value = getattr(spec, name)
            field.load(value.model_dump(mode="json", exclude_defaults=True) if hasattr(value, "model_dump") else value)
        kind = self.doc.registry.get(spec.kind)
        if kind is None:
            return
        for name, field in self.fields.items():
            info = kind.Config.model_fields[name]
            if name in spec.config:
                value = spec.config[name]
            elif info.default is not PydanticUndefined:
                value = info.default
            elif info.default_factory is not None:
                value = info.default_factory()
            else:
                value = None
            if isinstance(field, CronField):
                field.timezone = spec.config.get("timezone", "UTC")
            field.load(value)
            self._mark_example(field, info, value)
            if isinstance(field, CronField):
                field.update_next()

    def _mark_example(self, field: FieldEditor, info: Any, value: Any) -> None:
        example = info.is_required() and is_example_value(field.name, info.annotation, value)
        field.set_attention("an example to start from: replace it" if example else None)

    # --- editing ---------------------------------------------------------------------------------
    def _header_edited(self, field: FieldEditor) -> None:
        if self.node_id is None:
            return
        try:
            value = field.value()
        except ValueError as exc:
            field.set_error(str(exc))
            return
        try:
            NodeSpec.model_validate({**self.doc.node(self.node_id).model_dump(), field.name: value})
        except ValidationError as exc:
            messages = format_pydantic_errors(exc)
            field.set_error("; ".join(m.partition(": ")[2] or m for m in messages))
            return
        field.set_error(None)
        self._apply(**{field.name: value}, merge_key=field.name if field.name in ("name", "notes") else None)

    def _config_edited(self, field: FieldEditor) -> None:
        if self.node_id is None:
            return
        spec = self.doc.node(self.node_id)
        kind = self.doc.registry.get(spec.kind)
        try:
            value = field.value()
        except ValueError as exc:
            field.set_error(str(exc))
            return
        config = dict(spec.config)
        if value is None and field.optional:
            config.pop(field.name, None)
        else:
            config[field.name] = value
        if "timezone" in self.fields and isinstance(self.fields.get("cron_expression"), CronField):
            cron = self.fields["cron_expression"]
            cron.timezone = config.get("timezone", "UTC")
            cron.update_next()
        problems = config_problems(kind, config)
        self._show_problems(problems)
        if problems:
            return
        self._mark_example(field, kind.Config.model_fields[field.name], value)
        self._apply(config=config, merge_key=f"config.{field.name}", text=f"Edit {field.name.replace('_', ' ')}")

    def _apply(self, merge_key: str | None = None, text: str = "", **changes: Any) -> None:
        self._applying = True
        self._last_refusal = ""
        try:
            ok = self.editor.update_node(self.node_id, text=text, merge_key=merge_key, **changes)
        finally:
            self._applying = False
        if not ok:
            self.general_error.setText(self._last_refusal)
            self.general_error.show()

    def _show_problems(self, problems: list[str]) -> None:
        per_field: dict[str, list[str]] = {}
        general: list[str] = []
        for problem in problems:
            path, _, message = problem.partition(": ")
            match = _FIELD_RE.match(path)
            if match and match.group(1) in self.fields:
                per_field.setdefault(match.group(1), []).append(message or problem)
            else:
                general.append(problem.removeprefix("config: "))
        for name, field in self.fields.items():
            field.set_error("; ".join(per_field.get(name, [])) or None)
        self.general_error.setText("\n".join(general))
        self.general_error.setVisible(bool(general))

    # --- following the document ----------------------------------------------------------------------
    def _on_change(self, change: Change) -> None:
        if (
            self.node_id is None
            and self._count == 0
            and isinstance(change, SettingsChanged | WorkflowRenamed | DocumentReset)
        ):
            if not self._applying:
                self._load_workflow()
            self.title.setText(self._workflow_text())
            return
        if self.node_id is None:
            if isinstance(change, DocumentReset | WorkflowRenamed | NodeAdded | NodeRemoved) and self._count == 0:
                self.title.setText(self._workflow_text())
            return
        if isinstance(change, NodeUpdated) and change.new.id == self.node_id:
            if not self._applying and change.changed_fields - {"position"}:
                self._load(change.new)
                kind = self.doc.registry.get(change.new.kind)
                self._show_problems(config_problems(kind, change.new.config) if kind else [])
        elif (isinstance(change, NodeRemoved) and change.node.id == self.node_id) or isinstance(change, DocumentReset):
            self.show_node(None)

    def detach(self) -> None:
        self._unsubscribe()
