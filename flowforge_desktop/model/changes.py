"""What the document tells its listeners. Plain frozen dataclasses: no Qt, no callbacks into views."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flowforge_desktop.model.schema import Group, NodeSpec, StickyNote, WorkflowSettings


@dataclass(frozen=True, slots=True)
class Connection:
    """One edge between two ports. Hashable, so it identifies itself."""

    source: str
    target: str
    from_port: str = "out"
    to_port: str = "in"

    def __str__(self) -> str:
        return f"{self.source}.{self.from_port} -> {self.target}.{self.to_port}"


@dataclass(frozen=True, slots=True)
class NodeAdded:
    node: NodeSpec


@dataclass(frozen=True, slots=True)
class NodeRemoved:
    node: NodeSpec


@dataclass(frozen=True, slots=True)
class NodeUpdated:
    """Any change of one node's fields (position, name, config, disabled, ...)."""

    old: NodeSpec
    new: NodeSpec

    @property
    def changed_fields(self) -> set[str]:
        old, new = self.old.__dict__, self.new.__dict__
        return {key for key in new if old.get(key) != new[key]}


@dataclass(frozen=True, slots=True)
class ConnectionAdded:
    connection: Connection


@dataclass(frozen=True, slots=True)
class ConnectionRemoved:
    connection: Connection


@dataclass(frozen=True, slots=True)
class NoteChanged:
    """A sticky note was added (old None), removed (new None) or edited."""

    old: StickyNote | None
    new: StickyNote | None


@dataclass(frozen=True, slots=True)
class GroupChanged:
    """A group was added (old None), removed (new None) or edited."""

    old: Group | None
    new: Group | None


@dataclass(frozen=True, slots=True)
class PinChanged:
    node_id: str
    pinned: bool
    value: Any = None


@dataclass(frozen=True, slots=True)
class SettingsChanged:
    old: WorkflowSettings
    new: WorkflowSettings


@dataclass(frozen=True, slots=True)
class WorkflowRenamed:
    old: str
    new: str


@dataclass(frozen=True, slots=True)
class DocumentReset:
    """The whole document was replaced (a file was loaded). Views rebuild from scratch."""


Change = (
    NodeAdded
    | NodeRemoved
    | NodeUpdated
    | ConnectionAdded
    | ConnectionRemoved
    | NoteChanged
    | GroupChanged
    | PinChanged
    | SettingsChanged
    | WorkflowRenamed
    | DocumentReset
)
