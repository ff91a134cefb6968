"""The workflow document: the single source of truth the canvas, the engine and the agent share.

It holds a ``networkx.DiGraph``: graph attributes keep the workflow's id, name and settings; each
graph node keeps one frozen ``NodeSpec``; each edge keeps the list of port pairs it carries (two
nodes may be joined by more than one port pair). Every edit goes through a method that either
applies fully or raises ``EditRefused`` with a reason written for the user, and then tells the
listeners what changed. Views never mutate the graph themselves.
"""

from __future__ import annotations

import copy
import logging
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import suppress
from dataclasses import dataclass, field
from itertools import count
from types import MappingProxyType
from typing import Any

import networkx as nx
from pydantic import ValidationError

from flowforge_desktop.model.changes import (
    Change,
    Connection,
    ConnectionAdded,
    ConnectionRemoved,
    DocumentReset,
    GroupChanged,
    NodeAdded,
    NodeRemoved,
    NodeUpdated,
    NoteChanged,
    PinChanged,
    SettingsChanged,
    WorkflowRenamed,
)
from flowforge_desktop.model.errors import EditRefused, article, describe_cycle, format_pydantic_errors
from flowforge_desktop.model.schema import (
    FORMAT_VERSION,
    ConnectionSpec,
    Group,
    NodeSpec,
    StickyNote,
    WorkflowFile,
    WorkflowSettings,
    is_valid_node_id,
)
from flowforge_desktop.nodes.base import ERROR_PORT, NodeKind, Port
from flowforge_desktop.nodes.registry import NodeRegistry, default_registry

log = logging.getLogger(__name__)
Listener = Callable[[Change], None]


@dataclass(slots=True)
class Fragment:
    """A piece of a document: what a removal took away, or what a paste brings. Undo re-inserts it."""

    nodes: list[NodeSpec] = field(default_factory=list)
    connections: list[Connection] = field(default_factory=list)
    pinned: dict[str, Any] = field(default_factory=dict)
    #: (group id, node id, index in the group's node list)
    memberships: list[tuple[str, str, int]] = field(default_factory=list)
    #: creation order of the nodes and connections, so that a re-insert restores the file order
    node_order: dict[str, int] = field(default_factory=dict)
    connection_order: dict[Connection, int] = field(default_factory=dict)


class WorkflowSnapshot:
    """An immutable copy of a document for one run: edits made during the run do not reach it.

    Taking one must be cheap (Run starts on the UI thread), so its networkx graph is only built when
    something asks for it; the engine needs the nodes and connections alone.
    """

    __slots__ = ("_graph", "connections", "id", "name", "nodes", "pinned", "settings")

    def __init__(
        self,
        id: str,
        name: str,
        settings: WorkflowSettings,
        nodes: Mapping[str, NodeSpec],
        connections: tuple[Connection, ...],
        pinned: Mapping[str, Any],
        graph: nx.DiGraph | None = None,
    ) -> None:
        self.id = id
        self.name = name
        self.settings = settings
        self.nodes = nodes
        self.connections = connections
        self.pinned = pinned
        self._graph = graph

    @property
    def graph(self) -> nx.DiGraph:
        if self._graph is None:
            graph = nx.DiGraph()
            graph.add_nodes_from(self.nodes)
            for conn in self.connections:
                if graph.has_edge(conn.source, conn.target):
                    graph.edges[conn.source, conn.target]["ports"] += ((conn.from_port, conn.to_port),)
                else:
                    graph.add_edge(conn.source, conn.target, ports=((conn.from_port, conn.to_port),))
            graph.graph.update(id=self.id, name=self.name)
            self._graph = graph
        return self._graph

    def predecessors(self, node_id: str) -> Iterator[str]:
        return self.graph.predecessors(node_id)

    def successors(self, node_id: str) -> Iterator[str]:
        return self.graph.successors(node_id)

    def incoming(self, node_id: str) -> list[Connection]:
        return [
            Connection(src, node_id, fp, tp)
            for src in self.graph.predecessors(node_id)
            for fp, tp in self.graph.edges[src, node_id]["ports"]
        ]

    def outgoing(self, node_id: str) -> list[Connection]:
        return [
            Connection(node_id, dst, fp, tp)
            for dst in self.graph.successors(node_id)
            for fp, tp in self.graph.edges[node_id, dst]["ports"]
        ]

    def to_file(self) -> WorkflowFile:
        return WorkflowFile(
            id=self.id,
            name=self.name,
            settings=self.settings,
            nodes=list(self.nodes.values()),
            connections=[_connection_spec(c) for c in self.connections],
            pinned=dict(self.pinned),
        )


class WorkflowDocument:
    """A workflow being edited. See the module docstring for the rules."""

    def __init__(
        self,
        name: str = "Untitled workflow",
        *,
        workflow_id: str | None = None,
        settings: WorkflowSettings | None = None,
        registry: NodeRegistry | None = None,
    ) -> None:
        self.registry = registry or default_registry()
        self.graph: nx.DiGraph = nx.DiGraph()
        self.graph.graph.update(id=workflow_id or uuid.uuid4().hex, name=name, settings=settings or WorkflowSettings())
        self._pinned: dict[str, Any] = {}
        self._notes: list[StickyNote] = []
        self._groups: list[Group] = []
        self._seq = count()
        self._node_order: dict[str, int] = {}
        self._connection_order: dict[Connection, int] = {}
        self._listeners: list[Listener] = []

    # ========================================================================= listeners ===
    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener(change)`` after each change. Returns a function that unsubscribes."""
        self._listeners.append(listener)

        def unsubscribe() -> None:
            with suppress(ValueError):
                self._listeners.remove(listener)

        return unsubscribe

    def _emit(self, change: Change) -> None:
        for listener in list(self._listeners):
            try:
                listener(change)
            except Exception:  # a broken view must not corrupt the document's state
                log.exception("document listener %r failed on %s", listener, type(change).__name__)

    # ========================================================================= properties ===
    @property
    def id(self) -> str:
        return self.graph.graph["id"]

    @property
    def name(self) -> str:
        return self.graph.graph["name"]

    @property
    def settings(self) -> WorkflowSettings:
        return self.graph.graph["settings"]

    @property
    def pinned(self) -> Mapping[str, Any]:
        return MappingProxyType(self._pinned)

    @property
    def notes(self) -> tuple[StickyNote, ...]:
        return tuple(self._notes)

    @property
    def groups(self) -> tuple[Group, ...]:
        return tuple(self._groups)

    def __len__(self) -> int:
        return self.graph.number_of_nodes()

    def connection_count(self) -> int:
        """Connections, two between the same nodes on different ports counted twice (the graph's
        edge count would say one); O(1), for a status bar updated on every edit."""
        return len(self._connection_order)

    def __contains__(self, node_id: object) -> bool:
        return node_id in self.graph

    def node(self, node_id: str) -> NodeSpec:
        try:
            return self.graph.nodes[node_id]["spec"]
        except KeyError:
            raise EditRefused(f"there is no node '{node_id}'") from None

    def nodes(self) -> list[NodeSpec]:
        """Nodes in file order."""
        order, data = self._node_order, self.graph.nodes
        return [data[node_id]["spec"] for node_id in sorted(order, key=order.__getitem__)]

    def connections(self) -> list[Connection]:
        """Connections in file order. The order map holds exactly the document's connections, so this
        sorts its keys instead of rebuilding 20,000 Connection objects from the graph (a run's
        snapshot at 10,000 nodes took 60 ms on that, in the window's loop)."""
        order = self._connection_order
        return sorted(order, key=order.__getitem__)

    def connections_of(self, node_id: str) -> list[Connection]:
        out = [
            Connection(node_id, d, fp, tp)
            for d in self.graph.successors(node_id)
            for fp, tp in self.graph.edges[node_id, d]["ports"]
        ]
        inc = [
            Connection(s, node_id, fp, tp)
            for s in self.graph.predecessors(node_id)
            for fp, tp in self.graph.edges[s, node_id]["ports"]
        ]
        return inc + out

    def kind_of(self, node_id: str) -> type[NodeKind] | None:
        """The node's kind class, or None when its kind is not installed."""
        return self.registry.get(self.node(node_id).kind)

    def input_ports(self, node_id: str) -> tuple[Port, ...]:
        return self._ports(self.node(node_id), output=False)

    def output_ports(self, node_id: str) -> tuple[Port, ...]:
        return self._ports(self.node(node_id), output=True)

    def _ports(self, spec: NodeSpec, *, output: bool) -> tuple[Port, ...]:
        kind = self.registry.get(spec.kind)
        if kind is None:  # unknown kind: show the ports its connections use, accept any
            used = {
                c.from_port if output else c.to_port
                for c in self.connections_of(spec.id)
                if (c.source if output else c.target) == spec.id
            }
            return tuple(Port(p) for p in sorted(used)) or ((Port("out"),) if output else (Port("in"),))
        try:
            ports = kind.output_ports(spec.config) if output else kind.input_ports(spec.config)
        except Exception:  # a config that does not fit its kind still needs to show
            ports = kind.outputs if output else kind.inputs
        if output and spec.on_error == "route":
            ports = (*ports, ERROR_PORT)
        return tuple(ports)

    def downstream(self, node_ids: Iterable[str]) -> set[str]:
        """The nodes and everything below them: whose last outputs an edit makes stale."""
        result: set[str] = set()
        for node_id in node_ids:
            if node_id in self.graph and node_id not in result:
                result.add(node_id)
                result |= nx.descendants(self.graph, node_id)
        return result

    # ============================================================================ nodes ===
    def unique_node_id(self, base: str) -> str:
        """``base`` itself when free, else ``base_2``, ``base_3`` …; cleaned to a valid id."""
        stem = "".join(ch if ch.isalnum() or ch in "_-" else "_" for ch in base) or "node"
        if not (stem[0].isalpha() or stem[0] == "_"):
            stem = f"n_{stem}"
        stem = stem[:56]
        if stem not in self.graph:
            return stem
        n = 2
        while f"{stem}_{n}" in self.graph:
            n += 1
        return f"{stem}_{n}"

    def new_node(
        self,
        kind: str,
        position: tuple[float, float] = (0.0, 0.0),
        *,
        config: Mapping[str, Any] | None = None,
        name: str | None = None,
        node_id: str | None = None,
    ) -> NodeSpec:
        """Build (not add) a node of a registered kind with a free id and its type set from the kind."""
        kind_cls = self.registry.get(kind)
        if kind_cls is None:
            raise EditRefused(self.registry.unknown_kind_message(kind))
        return NodeSpec(
            id=node_id or self.unique_node_id(kind),
            type=kind_cls.category.value,
            kind=kind,
            kind_version=kind_cls.kind_version,
            name=name if name is not None else kind_cls.display_title(),
            config=dict(config or {}),
            position=(float(position[0]), float(position[1])),
        )

    def add_node(self, node: NodeSpec) -> NodeSpec:
        """Add a node. Refused if the id is taken or its config does not fit its kind."""
        self._check_new_node(node)
        self._insert_node(node, next(self._seq))
        return node

    def _check_new_node(self, node: NodeSpec) -> None:
        if node.id in self.graph:
            raise EditRefused(f"a node with id '{node.id}' already exists")
        self._check_spec(node)

    def _check_spec(self, node: NodeSpec) -> None:
        kind = self.registry.get(node.kind)
        if kind is None:
            return  # kept as it is: an unknown kind is shown, never rejected or rewritten
        if node.type != kind.category.value:
            raise EditRefused(
                f"node '{node.id}': kind '{node.kind}' is {article(kind.category.value)}, not {article(node.type)}"
            )
        problems = config_problems(kind, node.config)
        if problems:
            raise EditRefused(f"node '{node.id}' " + "; ".join(problems))

    def _insert_node(self, node: NodeSpec, order: int) -> None:
        self.graph.add_node(node.id, spec=node)
        self._node_order[node.id] = order
        self._emit(NodeAdded(node))

    def remove_node(self, node_id: str) -> Fragment:
        return self.remove_nodes([node_id])

    def remove_nodes(self, node_ids: Iterable[str]) -> Fragment:
        """Remove nodes with their connections, pins and group memberships; return all of it for undo."""
        ids = list(dict.fromkeys(node_ids))
        for node_id in ids:
            self.node(node_id)  # refuse before touching anything
        wanted = set(ids)
        fragment = Fragment()
        conns = {c for node_id in ids for c in self.connections_of(node_id)}
        for conn in sorted(conns, key=self._connection_order.__getitem__):
            fragment.connections.append(conn)
            fragment.connection_order[conn] = self._connection_order[conn]
            self._remove_connection(conn)
        for group in list(self._groups):
            members = [(i, n) for i, n in enumerate(group.nodes) if n in wanted]
            if members:
                fragment.memberships += [(group.id, n, i) for i, n in members]
                self._replace_group(
                    group, group.model_copy(update={"nodes": tuple(n for n in group.nodes if n not in wanted)})
                )
        for node_id in ids:
            if node_id in self._pinned:
                fragment.pinned[node_id] = self._pinned.pop(node_id)
                self._emit(PinChanged(node_id, False))
            spec = self.graph.nodes[node_id]["spec"]
            fragment.nodes.append(spec)
            fragment.node_order[node_id] = self._node_order.pop(node_id)
            self.graph.remove_node(node_id)
            self._emit(NodeRemoved(spec))
        return fragment

    def insert_fragment(self, fragment: Fragment) -> None:
        """Add a fragment's nodes, connections, pins and memberships, all or nothing."""
        ids = [n.id for n in fragment.nodes]
        if len(set(ids)) != len(ids):
            raise EditRefused("the pasted nodes repeat an id")
        for node in fragment.nodes:
            self._check_new_node(node)
        trial = self.graph.copy()
        trial.add_nodes_from(ids)
        for conn in fragment.connections:
            if conn.source not in trial or conn.target not in trial:
                missing = conn.source if conn.source not in trial else conn.target
                raise EditRefused(f"connection {conn.source} -> {conn.target}: there is no node '{missing}'")
            if trial.has_edge(conn.source, conn.target):
                existing = trial.edges[conn.source, conn.target].get("ports", ())
                if (conn.from_port, conn.to_port) in existing:
                    raise EditRefused(f"{conn} already exists")
            elif nx.has_path(trial, conn.target, conn.source):
                raise EditRefused(_cycle_message(trial, conn))
            trial.add_edge(conn.source, conn.target)
        for node in fragment.nodes:
            self._insert_node(node, fragment.node_order.get(node.id, next(self._seq)))
        for conn in fragment.connections:
            self._check_ports(conn)
        for conn in fragment.connections:
            self._insert_connection(conn, fragment.connection_order.get(conn, next(self._seq)))
        for node_id, value in fragment.pinned.items():
            self._pinned[node_id] = value
            self._emit(PinChanged(node_id, True, value))
        for group_id, node_id, index in sorted(fragment.memberships, key=lambda m: m[2]):
            group = next((g for g in self._groups if g.id == group_id), None)
            if group is not None:
                members = list(group.nodes)
                members.insert(index, node_id)
                self._replace_group(group, group.model_copy(update={"nodes": tuple(members)}))

    def update_node(self, node_id: str, **changes: Any) -> NodeSpec:
        """Change any of a node's fields except its id; refused when the result is not valid."""
        old = self.node(node_id)
        if "id" in changes and changes["id"] != node_id:
            raise EditRefused("a node's id cannot change; add a new node instead")
        try:
            new = NodeSpec.model_validate({**old.model_dump(), **changes})
        except ValidationError as exc:
            raise EditRefused(f"node '{node_id}': " + "; ".join(format_pydantic_errors(exc))) from None
        if new == old:
            return old
        if {"config", "kind", "type"} & changes.keys():
            self._check_spec(new)
        self._check_ports_still_used(old, new)
        self.graph.nodes[node_id]["spec"] = new
        self._emit(NodeUpdated(old, new))
        return new

    def move_node(self, node_id: str, position: tuple[float, float]) -> NodeSpec:
        return self.update_node(node_id, position=(float(position[0]), float(position[1])))

    def move_nodes(self, positions: Mapping[str, tuple[float, float]]) -> None:
        for node_id in positions:
            self.node(node_id)
        for node_id, pos in positions.items():
            self.move_node(node_id, pos)

    def rename_node(self, node_id: str, name: str) -> NodeSpec:
        return self.update_node(node_id, name=name)

    def set_config(self, node_id: str, config: Mapping[str, Any]) -> NodeSpec:
        return self.update_node(node_id, config=copy.deepcopy(dict(config)))

    def set_disabled(self, node_id: str, disabled: bool) -> NodeSpec:
        return self.update_node(node_id, disabled=disabled)

    def _check_ports_still_used(self, old: NodeSpec, new: NodeSpec) -> None:
        if self.registry.get(new.kind) is None:
            return
        outs = {p.name for p in self._ports(new, output=True)}
        ins = {p.name for p in self._ports(new, output=False)}
        for conn in self.connections_of(old.id):
            if conn.source == old.id and conn.from_port not in outs:
                raise EditRefused(
                    f"node '{old.id}' would lose its output port '{conn.from_port}', which is "
                    f"connected to '{conn.target}'; remove that connection first"
                )
            if conn.target == old.id and conn.to_port not in ins:
                raise EditRefused(
                    f"node '{old.id}' would lose its input port '{conn.to_port}', which is "
                    f"connected from '{conn.source}'; remove that connection first"
                )

    # ====================================================================== connections ===
    def connect(self, source: str, target: str, from_port: str = "out", to_port: str = "in") -> Connection:
        """Join an output port to an input port. Refused when it would close a cycle or a port is missing."""
        conn = Connection(source, target, from_port, to_port)
        for node_id in (source, target):
            if node_id not in self.graph:
                raise EditRefused(f"there is no node '{node_id}'")
        self._check_ports(conn)
        if self.graph.has_edge(source, target):
            if (from_port, to_port) in self.graph.edges[source, target]["ports"]:
                raise EditRefused(f"{source}.{from_port} is already connected to {target}.{to_port}")
        elif source == target or nx.has_path(self.graph, target, source):
            raise EditRefused(_cycle_message(self.graph, conn))
        self._insert_connection(conn, next(self._seq))
        return conn

    def _check_ports(self, conn: Connection) -> None:
        source, target = self.node(conn.source), self.node(conn.target)
        if self.registry.get(source.kind) is not None and conn.from_port not in {
            p.name for p in self._ports(source, output=True)
        }:
            raise EditRefused(f"node '{conn.source}' has no output port '{conn.from_port}'")
        if self.registry.get(target.kind) is not None and conn.to_port not in {
            p.name for p in self._ports(target, output=False)
        }:
            raise EditRefused(f"node '{conn.target}' has no input port '{conn.to_port}'")

    def _insert_connection(self, conn: Connection, order: int) -> None:
        if self.graph.has_edge(conn.source, conn.target):
            self.graph.edges[conn.source, conn.target]["ports"].append((conn.from_port, conn.to_port))
        else:
            self.graph.add_edge(conn.source, conn.target, ports=[(conn.from_port, conn.to_port)])
        self._connection_order[conn] = order
        self._emit(ConnectionAdded(conn))

    def disconnect(self, conn: Connection) -> None:
        if conn not in self._connection_order:
            raise EditRefused(f"there is no connection {conn}")
        self._remove_connection(conn)

    def _remove_connection(self, conn: Connection) -> None:
        ports = self.graph.edges[conn.source, conn.target]["ports"]
        ports.remove((conn.from_port, conn.to_port))
        if not ports:
            self.graph.remove_edge(conn.source, conn.target)
        del self._connection_order[conn]
        self._emit(ConnectionRemoved(conn))

    def connection_order(self, conn: Connection) -> int:
        return self._connection_order[conn]

    def restore_connection(self, conn: Connection, order: int) -> None:
        """Undo of a disconnect: put it back at its old place in the file order."""
        self.connect(conn.source, conn.target, conn.from_port, conn.to_port)
        self._connection_order[conn] = order

    # ============================================================================ pins ===
    def pin(self, node_id: str, value: Any) -> None:
        """Use ``value`` as the node's output instead of running it."""
        self.node(node_id)
        self._pinned[node_id] = copy.deepcopy(value)
        self._emit(PinChanged(node_id, True, value))

    def unpin(self, node_id: str) -> Any:
        if node_id not in self._pinned:
            raise EditRefused(f"node '{node_id}' has no pinned data")
        value = self._pinned.pop(node_id)
        self._emit(PinChanged(node_id, False))
        return value

    # ================================================================ notes and groups ===
    def add_note(self, note: StickyNote, index: int | None = None) -> StickyNote:
        if any(n.id == note.id for n in self._notes):
            raise EditRefused(f"a note with id '{note.id}' already exists")
        self._notes.insert(len(self._notes) if index is None else index, note)
        self._emit(NoteChanged(None, note))
        return note

    def update_note(self, note_id: str, **changes: Any) -> StickyNote:
        index, old = self._find(self._notes, note_id, "note")
        try:
            new = StickyNote.model_validate({**old.model_dump(), **changes, "id": note_id})
        except ValidationError as exc:
            raise EditRefused(f"note '{note_id}': " + "; ".join(format_pydantic_errors(exc))) from None
        self._notes[index] = new
        self._emit(NoteChanged(old, new))
        return new

    def remove_note(self, note_id: str) -> tuple[int, StickyNote]:
        index, note = self._find(self._notes, note_id, "note")
        del self._notes[index]
        self._emit(NoteChanged(note, None))
        return index, note

    def add_group(self, group: Group, index: int | None = None) -> Group:
        if any(g.id == group.id for g in self._groups):
            raise EditRefused(f"a group with id '{group.id}' already exists")
        self._check_members(group)
        self._groups.insert(len(self._groups) if index is None else index, group)
        self._emit(GroupChanged(None, group))
        return group

    def update_group(self, group_id: str, **changes: Any) -> Group:
        _, old = self._find(self._groups, group_id, "group")
        try:
            new = Group.model_validate({**old.model_dump(), **changes, "id": group_id})
        except ValidationError as exc:
            raise EditRefused(f"group '{group_id}': " + "; ".join(format_pydantic_errors(exc))) from None
        self._check_members(new)
        self._replace_group(old, new)
        return new

    def remove_group(self, group_id: str) -> tuple[int, Group]:
        index, group = self._find(self._groups, group_id, "group")
        del self._groups[index]
        self._emit(GroupChanged(group, None))
        return index, group

    def _check_members(self, group: Group) -> None:
        for node_id in group.nodes:
            if node_id not in self.graph:
                raise EditRefused(f"group '{group.id}': there is no node '{node_id}'")

    def _replace_group(self, old: Group, new: Group) -> None:
        self._groups[self._groups.index(old)] = new
        self._emit(GroupChanged(old, new))

    @staticmethod
    def _find(items: list[Any], item_id: str, what: str) -> tuple[int, Any]:
        for index, item in enumerate(items):
            if item.id == item_id:
                return index, item
        raise EditRefused(f"there is no {what} '{item_id}'")

    # ======================================================================= workflow ===
    def rename(self, name: str) -> None:
        old = self.name
        if name != old:
            self.graph.graph["name"] = name
            self._emit(WorkflowRenamed(old, name))

    def set_settings(self, settings: WorkflowSettings | Mapping[str, Any]) -> WorkflowSettings:
        if not isinstance(settings, WorkflowSettings):
            try:
                settings = WorkflowSettings.model_validate(settings)
            except ValidationError as exc:
                raise EditRefused("settings: " + "; ".join(format_pydantic_errors(exc))) from None
        old = self.settings
        if settings != old:
            self.graph.graph["settings"] = settings
            self._emit(SettingsChanged(old, settings))
        return settings

    # ====================================================================== conversion ===
    def snapshot(self) -> WorkflowSnapshot:
        """A frozen copy for a run: specs are immutable, so only the containers are copied."""
        nodes = {n.id: n for n in self.nodes()}
        return WorkflowSnapshot(
            id=self.id,
            name=self.name,
            settings=self.settings,
            nodes=MappingProxyType(nodes),
            connections=tuple(self.connections()),
            pinned=MappingProxyType(copy.deepcopy(self._pinned)),
        )

    def to_file(self) -> WorkflowFile:
        return WorkflowFile(
            id=self.id,
            name=self.name,
            settings=self.settings,
            nodes=self.nodes(),
            connections=[_connection_spec(c) for c in self.connections()],
            pinned=copy.deepcopy(self._pinned),
            groups=list(self._groups),
            notes=list(self._notes),
        )

    def fragment(self, node_ids: Iterable[str]) -> WorkflowFile:
        """The chosen nodes with the connections among them, as a workflow file (for the clipboard)."""
        wanted = set(node_ids)
        return WorkflowFile(
            id=uuid.uuid4().hex,
            name=self.name,
            nodes=[n for n in self.nodes() if n.id in wanted],
            connections=[_connection_spec(c) for c in self.connections() if c.source in wanted and c.target in wanted],
            pinned={k: copy.deepcopy(v) for k, v in self._pinned.items() if k in wanted},
        )

    def replace_with(self, other: WorkflowDocument) -> None:
        """Take over another document's content (a loaded file) and tell listeners to rebuild."""
        self.graph = other.graph
        self._pinned, self._notes, self._groups = other._pinned, other._notes, other._groups
        self._node_order, self._connection_order, self._seq = (other._node_order, other._connection_order, other._seq)
        self._emit(DocumentReset())

    @classmethod
    def from_file(cls, wf: WorkflowFile, registry: NodeRegistry | None = None) -> WorkflowDocument:
        """Build a document from a file that validation already accepted (structure is trusted here)."""
        doc = cls(wf.name, workflow_id=wf.id, settings=wf.settings, registry=registry)
        graph = doc.graph
        for index, node in enumerate(wf.nodes):
            graph.add_node(node.id, spec=node)
            doc._node_order[node.id] = index
        offset = len(wf.nodes)
        for index, spec in enumerate(wf.connections):
            conn = Connection(spec.source, spec.target, spec.from_port, spec.to_port)
            if graph.has_edge(conn.source, conn.target):
                graph.edges[conn.source, conn.target]["ports"].append((conn.from_port, conn.to_port))
            else:
                graph.add_edge(conn.source, conn.target, ports=[(conn.from_port, conn.to_port)])
            doc._connection_order[conn] = offset + index
        doc._seq = count(offset + len(wf.connections))
        doc._pinned = copy.deepcopy(dict(wf.pinned))
        doc._groups = list(wf.groups)
        doc._notes = list(wf.notes)
        return doc


def config_problems(kind: type[NodeKind], config: Mapping[str, Any], prefix: str = "config") -> list[str]:
    """Why ``config`` does not fit ``kind``'s Config model, one message per problem, or []."""
    try:
        kind.Config.model_validate(dict(config))
    except ValidationError as exc:
        return format_pydantic_errors(exc, prefix=prefix, ignore_templates=True)
    return []


def _connection_spec(conn: Connection) -> ConnectionSpec:
    return ConnectionSpec.model_validate(
        {"from": conn.source, "to": conn.target, "from_port": conn.from_port, "to_port": conn.to_port}
    )


def _cycle_message(graph: nx.DiGraph, conn: Connection) -> str:
    cycle = describe_cycle(graph, conn.source, conn.target)
    return f"connecting {conn.source} -> {conn.target} would create a cycle: {cycle}"


__all__ = [
    "FORMAT_VERSION",
    "Fragment",
    "WorkflowDocument",
    "WorkflowSnapshot",
    "config_problems",
    "is_valid_node_id",
]
