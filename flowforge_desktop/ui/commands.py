"""Undo commands. Each one calls document methods and touches nothing else; the scene follows the
document's change events. ``apply`` runs once before the push (so a refused edit never reaches the
stack); QUndoStack's first ``redo`` after the push is then skipped."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from PySide6.QtGui import QUndoCommand

from flowforge_desktop.model.changes import Connection
from flowforge_desktop.model.document import Fragment, WorkflowDocument
from flowforge_desktop.model.errors import EditRefused
from flowforge_desktop.model.schema import Group, StickyNote

MOVE_ID = 1
UPDATE_ID = 2
SETTINGS_ID = 3
MERGE_WINDOW_S = 1.0


class DocCommand(QUndoCommand):
    def __init__(self, doc: WorkflowDocument, text: str) -> None:
        super().__init__(text)
        self.doc = doc
        self._skip_redo = True

    def apply(self) -> None:
        raise NotImplementedError

    def revert(self) -> None:
        raise NotImplementedError

    def redo(self) -> None:
        if self._skip_redo:
            self._skip_redo = False
            return
        self.apply()

    def undo(self) -> None:
        self.revert()


class AddFragmentCommand(DocCommand):
    """Add nodes (and the connections among them): a drop, a paste, an import, a duplicate."""

    def __init__(self, doc: WorkflowDocument, fragment: Fragment, text: str, notes: list[StickyNote] = ()) -> None:
        super().__init__(doc, text)
        self.fragment = fragment
        self.notes = list(notes)

    def apply(self) -> None:
        self.doc.insert_fragment(self.fragment)
        for note in self.notes:
            self.doc.add_note(note)

    def revert(self) -> None:
        for note in self.notes:
            self.doc.remove_note(note.id)
        self.doc.remove_nodes([n.id for n in self.fragment.nodes])


class RemoveCommand(DocCommand):
    """Delete nodes, connections, sticky notes and groups in one step."""

    def __init__(
        self,
        doc: WorkflowDocument,
        node_ids: list[str],
        connections: list[Connection] = (),
        note_ids: list[str] = (),
        group_ids: list[str] = (),
    ) -> None:
        n = len(node_ids) + len(connections) + len(note_ids) + len(group_ids)
        super().__init__(doc, f"Delete {n} item{'s' if n != 1 else ''}")
        self.node_ids = list(node_ids)
        wanted = set(node_ids)
        self.connections = [c for c in connections if c.source not in wanted and c.target not in wanted]
        self.note_ids, self.group_ids = list(note_ids), list(group_ids)
        self._orders: list[tuple[Connection, int]] = []
        self._notes: list[tuple[int, StickyNote]] = []
        self._groups: list[tuple[int, Group]] = []
        self._fragment: Fragment | None = None

    def apply(self) -> None:
        self._orders = []
        for conn in self.connections:
            order = self.doc.connection_order(conn)
            self.doc.disconnect(conn)
            self._orders.append((conn, order))
        self._groups = [self.doc.remove_group(g) for g in self.group_ids]
        self._notes = [self.doc.remove_note(n) for n in self.note_ids]
        self._fragment = self.doc.remove_nodes(self.node_ids) if self.node_ids else None

    def revert(self) -> None:
        if self._fragment is not None:
            self.doc.insert_fragment(self._fragment)
        for index, note in reversed(self._notes):
            self.doc.add_note(note, index)
        for index, group in reversed(self._groups):
            self.doc.add_group(group, index)
        for conn, order in reversed(self._orders):
            self.doc.restore_connection(conn, order)


class MoveCommand(DocCommand):
    """Move nodes and notes. Moves of the same items in quick succession merge into one step."""

    def __init__(
        self,
        doc: WorkflowDocument,
        old: Mapping[str, tuple[float, float]],
        new: Mapping[str, tuple[float, float]],
        old_notes: Mapping[str, tuple[float, float]] | None = None,
        new_notes: Mapping[str, tuple[float, float]] | None = None,
        text: str = "",
    ) -> None:
        n = len(new) + len(new_notes or {})
        super().__init__(doc, text or f"Move {n} item{'s' if n != 1 else ''}")
        self.old, self.new = dict(old), dict(new)
        self.old_notes, self.new_notes = dict(old_notes or {}), dict(new_notes or {})
        self.stamp = time.monotonic()

    def apply(self) -> None:
        self.doc.move_nodes(self.new)
        for note_id, pos in self.new_notes.items():
            self.doc.update_note(note_id, position=pos)

    def revert(self) -> None:
        self.doc.move_nodes(self.old)
        for note_id, pos in self.old_notes.items():
            self.doc.update_note(note_id, position=pos)

    def id(self) -> int:
        return MOVE_ID

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not isinstance(other, MoveCommand) or other.stamp - self.stamp > MERGE_WINDOW_S:
            return False
        if set(other.new) != set(self.new) or set(other.new_notes) != set(self.new_notes):
            return False
        self.new, self.new_notes, self.stamp = other.new, other.new_notes, other.stamp
        return True


class UpdateNodeCommand(DocCommand):
    """Change fields of one node (name, config, disabled, on_error...). Typing into one field merges."""

    def __init__(
        self,
        doc: WorkflowDocument,
        node_id: str,
        old: Mapping[str, Any],
        new: Mapping[str, Any],
        text: str,
        merge_key: str | None = None,
    ) -> None:
        super().__init__(doc, text)
        self.node_id, self.old, self.new, self.merge_key = node_id, dict(old), dict(new), merge_key

    def apply(self) -> None:
        self.doc.update_node(self.node_id, **self.new)

    def revert(self) -> None:
        self.doc.update_node(self.node_id, **self.old)

    def id(self) -> int:
        return UPDATE_ID if self.merge_key else -1

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not isinstance(other, UpdateNodeCommand) or not self.merge_key:
            return False
        if (other.node_id, other.merge_key) != (self.node_id, self.merge_key):
            return False
        self.new = other.new
        return True


class ConnectCommand(DocCommand):
    def __init__(self, doc: WorkflowDocument, conn: Connection) -> None:
        super().__init__(doc, f"Connect {conn}")
        self.conn = conn

    def apply(self) -> None:
        c = self.conn
        self.doc.connect(c.source, c.target, c.from_port, c.to_port)

    def revert(self) -> None:
        self.doc.disconnect(self.conn)


class ReconnectCommand(DocCommand):
    """An edge's end dragged to another input port: one step, and the old edge stays if the new one is
    refused (a cycle, a port that does not exist)."""

    def __init__(self, doc: WorkflowDocument, old: Connection, new: Connection) -> None:
        super().__init__(doc, f"Reconnect {old.source}.{old.from_port} to {new.target}.{new.to_port}")
        self.old, self.new = old, new
        self._order = 0

    def apply(self) -> None:
        self._order = self.doc.connection_order(self.old)
        self.doc.disconnect(self.old)
        try:
            self.doc.connect(self.new.source, self.new.target, self.new.from_port, self.new.to_port)
        except EditRefused:
            self.doc.restore_connection(self.old, self._order)
            raise

    def revert(self) -> None:
        self.doc.disconnect(self.new)
        self.doc.restore_connection(self.old, self._order)


class AddNoteCommand(DocCommand):
    def __init__(self, doc: WorkflowDocument, note: StickyNote) -> None:
        super().__init__(doc, "Add sticky note")
        self.note = note

    def apply(self) -> None:
        self.doc.add_note(self.note)

    def revert(self) -> None:
        self.doc.remove_note(self.note.id)


class UpdateNoteCommand(DocCommand):
    def __init__(self, doc: WorkflowDocument, note_id: str, old: Mapping[str, Any], new: Mapping[str, Any]) -> None:
        super().__init__(doc, "Edit sticky note")
        self.note_id, self.old, self.new = note_id, dict(old), dict(new)

    def apply(self) -> None:
        self.doc.update_note(self.note_id, **self.new)

    def revert(self) -> None:
        self.doc.update_note(self.note_id, **self.old)


class AddGroupCommand(DocCommand):
    def __init__(self, doc: WorkflowDocument, group: Group) -> None:
        super().__init__(doc, f"Group {len(group.nodes)} nodes")
        self.group = group

    def apply(self) -> None:
        self.doc.add_group(self.group)

    def revert(self) -> None:
        self.doc.remove_group(self.group.id)


class UpdateGroupCommand(DocCommand):
    def __init__(self, doc: WorkflowDocument, group_id: str, old: Mapping[str, Any], new: Mapping[str, Any]) -> None:
        super().__init__(doc, "Edit group")
        self.group_id, self.old, self.new = group_id, dict(old), dict(new)

    def apply(self) -> None:
        self.doc.update_group(self.group_id, **self.new)

    def revert(self) -> None:
        self.doc.update_group(self.group_id, **self.old)


class RenameWorkflowCommand(DocCommand):
    def __init__(self, doc: WorkflowDocument, old: str, new: str) -> None:
        super().__init__(doc, "Rename workflow")
        self.old, self.new = old, new

    def apply(self) -> None:
        self.doc.rename(self.new)

    def revert(self) -> None:
        self.doc.rename(self.old)


class PinCommand(DocCommand):
    """Pin data as a node's output (``value``), or unpin it (``pinned=False``)."""

    def __init__(self, doc: WorkflowDocument, node_id: str, pinned: bool, value: Any = None) -> None:
        super().__init__(doc, f"{'Pin' if pinned else 'Unpin'} {node_id}")
        self.node_id, self.pinned, self.value = node_id, pinned, value
        self.had = node_id in doc.pinned
        self.old = doc.pinned.get(node_id)

    def apply(self) -> None:
        if self.pinned:
            self.doc.pin(self.node_id, self.value)
        else:
            self.doc.unpin(self.node_id)

    def revert(self) -> None:
        if self.had:
            self.doc.pin(self.node_id, self.old)
        elif self.node_id in self.doc.pinned:
            self.doc.unpin(self.node_id)


class SettingsCommand(DocCommand):
    """Change the workflow's settings. Typing into one field merges into one step."""

    def __init__(self, doc: WorkflowDocument, old: Any, new: Any, merge_key: str | None = None) -> None:
        super().__init__(doc, "Edit workflow settings")
        self.old, self.new, self.merge_key = old, new, merge_key

    def apply(self) -> None:
        self.doc.set_settings(self.new)

    def revert(self) -> None:
        self.doc.set_settings(self.old)

    def id(self) -> int:
        return SETTINGS_ID if self.merge_key else -1

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not isinstance(other, SettingsCommand) or not self.merge_key or other.merge_key != self.merge_key:
            return False
        self.new = other.new
        return True
