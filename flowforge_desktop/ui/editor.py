"""The editing controller: turns user intentions into undo commands on one document.

Widgets (canvas, palette, inspector, menus) call these methods; nothing here paints. A refused
edit never reaches the undo stack: its reason goes out through ``message`` for the status bar.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Mapping
from contextlib import contextmanager
from typing import Any

import networkx as nx
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoStack

from flowforge_desktop.model import codec
from flowforge_desktop.model.changes import Connection
from flowforge_desktop.model.document import Fragment, WorkflowDocument
from flowforge_desktop.model.errors import EditRefused, WorkflowLoadError
from flowforge_desktop.model.schema import FORMAT_NAME, FORMAT_VERSION, Group, NodeSpec, StickyNote
from flowforge_desktop.ui.commands import (
    AddFragmentCommand,
    AddGroupCommand,
    AddNoteCommand,
    ConnectCommand,
    DocCommand,
    MoveCommand,
    PinCommand,
    ReconnectCommand,
    RemoveCommand,
    UpdateGroupCommand,
    UpdateNodeCommand,
    UpdateNoteCommand,
)
from flowforge_desktop.ui.starters import starter_config

LAYER_GAP = 280.0
ROW_GAP = 150.0
PASTE_OFFSET = 40.0


class Editor(QObject):
    message = Signal(str)  # a refusal or a hint for the status bar

    def __init__(self, doc: WorkflowDocument, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.doc = doc
        self.stack = QUndoStack(self)

    # ------------------------------------------------------------------------- core ---
    def execute(self, command: DocCommand) -> bool:
        try:
            command.apply()
        except EditRefused as exc:
            self.message.emit(str(exc))
            return False
        self.stack.push(command)
        return True

    @contextmanager
    def macro(self, text: str):
        self.stack.beginMacro(text)
        try:
            yield
        finally:
            self.stack.endMacro()

    # ------------------------------------------------------------------------ nodes ---
    def new_spec(self, kind: str, position: tuple[float, float], **fields: Any) -> NodeSpec | None:
        """A node of ``kind`` with a free id and a starter config, not yet added."""
        kind_cls = self.doc.registry.get(kind)
        if kind_cls is not None and "config" not in fields:
            fields["config"] = starter_config(kind_cls)
        try:
            return self.doc.new_node(kind, position, **fields)
        except EditRefused as exc:
            self.message.emit(str(exc))
            return None

    def add_node(self, kind: str, position: tuple[float, float], **fields: Any) -> NodeSpec | None:
        spec = self.new_spec(kind, position, **fields)
        if spec is None:
            return None
        ok = self.execute(AddFragmentCommand(self.doc, Fragment(nodes=[spec]), f"Add {spec.name}"))
        return spec if ok else None

    def add_node_after(self, kind: str, position: tuple[float, float], source: str | None) -> NodeSpec | None:
        """Quick-add: a node connected from the selected node's first output, in one undo step."""
        spec = self.new_spec(kind, position)
        if spec is None:
            return None
        connections = []
        if source and source in self.doc:
            outs = self.doc.output_ports(source)
            ins = self.doc.registry.get(kind).input_ports(spec.config)
            if outs and ins:
                connections.append(Connection(source, spec.id, outs[0].name, ins[0].name))
        fragment = Fragment(nodes=[spec], connections=connections)
        ok = self.execute(AddFragmentCommand(self.doc, fragment, f"Add {spec.name}"))
        return spec if ok else None

    def remove(
        self,
        node_ids: Iterable[str] = (),
        connections: Iterable[Connection] = (),
        note_ids: Iterable[str] = (),
        group_ids: Iterable[str] = (),
    ) -> bool:
        cmd = RemoveCommand(self.doc, list(node_ids), list(connections), list(note_ids), list(group_ids))
        if not (cmd.node_ids or cmd.connections or cmd.note_ids or cmd.group_ids):
            return False
        return self.execute(cmd)

    def move(
        self,
        new_positions: Mapping[str, tuple[float, float]],
        new_note_positions: Mapping[str, tuple[float, float]] | None = None,
        text: str = "",
    ) -> bool:
        old = {nid: self.doc.node(nid).position for nid in new_positions}
        new = {nid: (float(p[0]), float(p[1])) for nid, p in new_positions.items() if tuple(old[nid]) != tuple(p)}
        old = {nid: old[nid] for nid in new}
        notes = {n.id: n for n in self.doc.notes}
        new_notes = {k: (float(v[0]), float(v[1])) for k, v in (new_note_positions or {}).items()}
        new_notes = {k: v for k, v in new_notes.items() if k in notes and tuple(notes[k].position) != v}
        old_notes = {k: notes[k].position for k in new_notes}
        if not new and not new_notes:
            return False
        return self.execute(MoveCommand(self.doc, old, new, old_notes, new_notes, text))

    def update_node(self, node_id: str, text: str = "", merge_key: str | None = None, **changes: Any) -> bool:
        spec = self.doc.node(node_id)
        old = {key: getattr(spec, key) for key in changes}
        if all(old[k] == changes[k] for k in changes):
            return True
        return self.execute(
            UpdateNodeCommand(self.doc, node_id, old, changes, text or f"Edit {spec.name or node_id}", merge_key)
        )

    def set_disabled(self, node_ids: Iterable[str], disabled: bool | None = None) -> None:
        ids = [i for i in node_ids if i in self.doc]
        if not ids:
            return
        if disabled is None:
            disabled = not all(self.doc.node(i).disabled for i in ids)
        with self.macro("Disable nodes" if disabled else "Enable nodes"):
            for node_id in ids:
                self.update_node(node_id, disabled=disabled)

    def connect(self, source: str, target: str, from_port: str = "out", to_port: str = "in") -> bool:
        return self.execute(ConnectCommand(self.doc, Connection(source, target, from_port, to_port)))

    def reconnect(self, old: Connection, new: Connection) -> bool:
        """Move an edge's end to another input port (undoable as one step)."""
        if old == new:
            return False
        return self.execute(ReconnectCommand(self.doc, old, new))

    def pin(self, node_id: str, value: Any) -> bool:
        """Use ``value`` as the node's output instead of running it (undoable)."""
        return self.execute(PinCommand(self.doc, node_id, True, value))

    def unpin(self, node_id: str) -> bool:
        return self.execute(PinCommand(self.doc, node_id, False))

    # ---------------------------------------------------------------- notes, groups ---
    def add_note(self, position: tuple[float, float], text: str = "") -> StickyNote:
        note = StickyNote(id=f"note_{uuid.uuid4().hex[:8]}", text=text, position=position)
        self.execute(AddNoteCommand(self.doc, note))
        return note

    def update_note(self, note_id: str, **changes: Any) -> bool:
        note = next(n for n in self.doc.notes if n.id == note_id)
        old = {key: getattr(note, key) for key in changes}
        return self.execute(UpdateNoteCommand(self.doc, note_id, old, changes))

    def group(self, node_ids: Iterable[str], title: str = "Group") -> Group | None:
        ids = tuple(i for i in node_ids if i in self.doc)
        if not ids:
            self.message.emit("select the nodes to group first")
            return None
        group = Group(id=f"group_{uuid.uuid4().hex[:8]}", title=title, nodes=ids)
        return group if self.execute(AddGroupCommand(self.doc, group)) else None

    def update_group(self, group_id: str, **changes: Any) -> bool:
        group = next(g for g in self.doc.groups if g.id == group_id)
        old = {key: getattr(group, key) for key in changes}
        return self.execute(UpdateGroupCommand(self.doc, group_id, old, changes))

    # -------------------------------------------------------------- clipboard, files ---
    def copy_text(self, node_ids: Iterable[str]) -> str:
        return codec.dumps(self.doc.fragment(node_ids))

    def paste_text(self, text: str, at: tuple[float, float] | None = None, what: str = "Paste") -> list[str]:
        """Add the nodes of workflow JSON text (ours, or a bare node list from elsewhere). Returns new ids."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            self.message.emit(f"{what}: the clipboard holds no workflow JSON ({exc.msg} at line {exc.lineno})")
            return []
        data = _as_workflow_data(data)
        if data is None:
            self.message.emit(f"{what}: the JSON holds no nodes")
            return []
        try:
            loaded = codec.load_data(data, self.doc.registry)
        except WorkflowLoadError as exc:
            self.message.emit(f"{what}: {exc}")
            return []
        return self.insert_document(loaded.document, at, what)

    def insert_document(self, other: WorkflowDocument, at: tuple[float, float] | None, what: str) -> list[str]:
        nodes = other.nodes()
        if not nodes:
            self.message.emit(f"{what}: nothing to add")
            return []
        taken = set(self.doc.graph.nodes)
        renames: dict[str, str] = {}
        for node in nodes:
            new_id = node.id
            if new_id in taken:
                stem = node.id.rstrip("0123456789").rstrip("_") or "node"
                n = 2
                while f"{stem}_{n}" in taken:
                    n += 1
                new_id = f"{stem}_{n}"
            taken.add(new_id)
            renames[node.id] = new_id
        min_x = min(n.position[0] for n in nodes)
        min_y = min(n.position[1] for n in nodes)
        if at is None:
            dx = dy = PASTE_OFFSET if any(n.id in self.doc for n in nodes) else 0.0
        else:
            dx, dy = at[0] - min_x, at[1] - min_y
        fragment = Fragment(
            nodes=[
                n.model_copy(update={"id": renames[n.id], "position": (n.position[0] + dx, n.position[1] + dy)})
                for n in nodes
            ],
            connections=[
                Connection(renames[c.source], renames[c.target], c.from_port, c.to_port) for c in other.connections()
            ],
            pinned={renames[k]: v for k, v in other.pinned.items() if k in renames},
        )
        count = len(fragment.nodes)
        ok = self.execute(AddFragmentCommand(self.doc, fragment, f"{what} {count} node{'s' if count != 1 else ''}"))
        return [n.id for n in fragment.nodes] if ok else []

    def duplicate(self, node_ids: Iterable[str]) -> list[str]:
        ids = [i for i in node_ids if i in self.doc]
        if not ids:
            return []
        return self.paste_text(self.copy_text(ids), what="Duplicate")

    # ------------------------------------------------------------------------ layout ---
    def auto_layout(self, node_ids: Iterable[str] | None = None) -> bool:
        positions = layered_layout(self.doc, node_ids)
        return self.move(positions, text="Auto-layout")


def layered_layout(
    doc: WorkflowDocument, node_ids: Iterable[str] | None = None, origin: tuple[float, float] | None = None
) -> dict[str, tuple[float, float]]:
    """Layers from the DAG's topological generations; rows ordered by the mean row of predecessors."""
    graph = doc.graph if node_ids is None else doc.graph.subgraph(list(node_ids))
    if graph.number_of_nodes() == 0:
        return {}
    if origin is None:
        specs = [doc.node(n) for n in graph.nodes]
        origin = (min(s.position[0] for s in specs), min(s.position[1] for s in specs))
    positions: dict[str, tuple[float, float]] = {}
    rows: dict[str, float] = {}
    for layer, generation in enumerate(nx.topological_generations(graph)):

        def key(node_id: str) -> tuple[float, float]:
            preds = [rows[p] for p in graph.predecessors(node_id) if p in rows]
            return (sum(preds) / len(preds) if preds else float("inf"), doc.node(node_id).position[1])

        ordered = sorted(generation, key=key)
        for row, node_id in enumerate(ordered):
            rows[node_id] = row
            positions[node_id] = (origin[0] + layer * LAYER_GAP, origin[1] + row * ROW_GAP)
    return positions


def _as_workflow_data(data: Any) -> dict[str, Any] | None:
    """Accept a whole workflow file, a {"nodes": [...]} object, a list of nodes, or one node."""
    if isinstance(data, dict) and "nodes" in data:
        data = dict(data)
    elif isinstance(data, list) and data and all(isinstance(n, dict) for n in data):
        data = {"nodes": data}
    elif isinstance(data, dict) and "kind" in data:
        data = {"nodes": [data]}
    else:
        return None
    data.setdefault("format", FORMAT_NAME)
    data.setdefault("version", FORMAT_VERSION)
    data.setdefault("id", uuid.uuid4().hex)
    data.setdefault("connections", [])
    return data
