"""Check a workflow file and report every problem at once, each with its path and a plain message.

Where the seed's ``validate_workflow`` has a message, its words are kept ("Missing required field:
nodes", "Connection 2: Source node not found: x"). The checks build the validated parts as they go,
so loading a valid file does not parse it twice.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
from pydantic import ValidationError

from flowforge_desktop.model.errors import Problem, article, describe_cycle, format_pydantic_errors
from flowforge_desktop.model.migrations import migrate
from flowforge_desktop.model.schema import (
    NODE_TYPES,
    ConnectionSpec,
    Group,
    NodeSpec,
    StickyNote,
    WorkflowFile,
    WorkflowSettings,
)
from flowforge_desktop.nodes.base import ERROR_PORT
from flowforge_desktop.nodes.registry import NodeRegistry

TOP_LEVEL_KEYS = set(WorkflowFile.model_fields)


@dataclass
class ValidationResult:
    """Every problem found, and the parsed file when its structure was sound enough to build."""

    problems: list[Problem] = field(default_factory=list)
    workflow: WorkflowFile | None = None

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def loadable(self) -> bool:
        return self.workflow is not None and not any(p.blocking for p in self.problems)


def parse_json(text: str) -> tuple[Any, Problem | None]:
    try:
        return json.loads(text), None
    except json.JSONDecodeError as exc:
        return None, Problem("", f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}")


def validate_text(text: str, registry: NodeRegistry) -> ValidationResult:
    data, problem = parse_json(text)
    if problem:
        return ValidationResult([problem])
    return validate_data(data, registry)


def validate_data(data: Any, registry: NodeRegistry) -> ValidationResult:
    """Validate a decoded JSON value; older format versions are migrated first."""
    result = ValidationResult()
    problems = result.problems
    if not isinstance(data, dict):
        problems.append(Problem("", f"a workflow file must be a JSON object, not {_json_type(data)}"))
        return result
    try:
        data = migrate(data)
    except ValueError as exc:
        problems.append(Problem("version", str(exc)))
        return result

    for key in ("nodes", "connections"):
        if key not in data:
            problems.append(Problem(key, f"Missing required field: {key}"))
        elif not isinstance(data[key], list):
            problems.append(Problem(key, f"{key}: must be a list, not {_json_type(data[key])}"))
    for key in sorted(set(data) - TOP_LEVEL_KEYS):
        problems.append(Problem(key, f"{key}: unknown field (check its spelling)"))

    settings = _validate_part(WorkflowSettings, data.get("settings", {}), "settings", problems)
    meta = {"id": data.get("id"), "name": data.get("name", "")}
    if not isinstance(meta["id"], str) or not meta["id"]:
        problems.append(Problem("id", "id: missing or empty workflow id"))
    if not isinstance(meta["name"], str):
        problems.append(Problem("name", "name: must be text"))

    nodes, index_of = _validate_nodes(data.get("nodes"), registry, problems)
    connections = _validate_connections(data.get("connections"), nodes, index_of, registry, problems)
    pinned = data.get("pinned", {})
    if not isinstance(pinned, dict):
        problems.append(Problem("pinned", "pinned: must be an object of node id -> output"))
        pinned = {}
    for node_id in pinned:
        if node_id not in index_of:
            problems.append(Problem(f"pinned.{node_id}", f"pinned.{node_id}: there is no node '{node_id}'"))
    groups = _validate_list(Group, data.get("groups", []), "groups", problems)
    for gi, group in enumerate(groups):
        for member in group.nodes:
            if member not in index_of:
                problems.append(Problem(f"groups[{gi}].nodes", f"groups[{gi}].nodes: there is no node '{member}'"))
    notes = _validate_list(StickyNote, data.get("notes", []), "notes", problems)

    if nodes and not any(n.type == "trigger" for n in nodes):
        problems.append(
            Problem(
                "nodes",
                "the workflow has no trigger node: it can only be started by hand",
                severity="warning",
                blocking=False,
            )
        )

    if not any(p.blocking for p in problems) and settings is not None:
        result.workflow = WorkflowFile.model_construct(
            id=meta["id"],
            name=meta["name"],
            settings=settings,
            nodes=nodes,
            connections=connections,
            pinned=dict(pinned),
            groups=groups,
            notes=notes,
        )
    return result


def _validate_nodes(
    raw_nodes: Any, registry: NodeRegistry, problems: list[Problem]
) -> tuple[list[NodeSpec], dict[str, int]]:
    nodes: list[NodeSpec] = []
    index_of: dict[str, int] = {}
    if not isinstance(raw_nodes, list):
        return nodes, index_of
    for i, raw in enumerate(raw_nodes):
        where = f"nodes[{i}]"
        if not isinstance(raw, dict):
            problems.append(Problem(where, f"Node {i}: must be an object, not {_json_type(raw)}"))
            continue
        seed_ok = True
        for key in ("id", "type", "kind"):
            if key not in raw:
                problems.append(Problem(f"{where}.{key}", f"Node {i}: Missing required field: {key}"))
                seed_ok = False
        if "type" in raw and raw["type"] not in NODE_TYPES:
            problems.append(
                Problem(
                    f"{where}.type", f"Node {i}: Invalid type: {raw['type']} (expected trigger, action or operation)"
                )
            )
            seed_ok = False
        if not seed_ok:
            continue
        node_id = raw["id"]
        if isinstance(node_id, str) and node_id in index_of:
            problems.append(
                Problem(
                    f"{where}.id",
                    f"{where}.id: duplicate node id '{node_id}' (already used by nodes[{index_of[node_id]}])",
                )
            )
            continue
        try:
            spec = NodeSpec.model_validate(raw)
        except ValidationError as exc:
            for message in format_pydantic_errors(exc, prefix=where):
                if message.startswith(f"{where}.id:"):
                    message = (
                        f"{where}.id: invalid node id {node_id!r} (use letters, digits, '_' and '-', "
                        "starting with a letter or '_', at most 64 characters)"
                    )
                problems.append(Problem(where, message))
            continue
        index_of[spec.id] = len(nodes)
        nodes.append(_check_kind(spec, i, registry, problems))
    return nodes, index_of


def _check_kind(spec: NodeSpec, i: int, registry: NodeRegistry, problems: list[Problem]) -> NodeSpec:
    """Problems with the node's kind are errors, but not blocking: the node loads and shows a badge."""
    where = f"nodes[{i}]"
    kind = registry.get(spec.kind)

    def report(path: str, message: str) -> None:
        problems.append(Problem(path, message, blocking=False, node_id=spec.id))

    if kind is None:
        report(f"{where}.kind", f"{where}.kind: {registry.unknown_kind_message(spec.kind)}")
        return spec
    if spec.type != kind.category.value:
        report(
            f"{where}.type",
            f"{where}.type: kind '{spec.kind}' is {article(kind.category.value)}, not {article(spec.type)}",
        )
    if spec.kind_version > kind.kind_version:
        report(
            f"{where}.kind_version",
            f"{where}.kind_version: written for version {spec.kind_version} of kind '{spec.kind}', "
            f"but the installed one is version {kind.kind_version}; update the plugin",
        )
        return spec
    if spec.kind_version < kind.kind_version:
        config = kind.migrate_config(dict(spec.config), spec.kind_version)
        spec = spec.model_copy(update={"config": config, "kind_version": kind.kind_version})
    try:
        kind.Config.model_validate(spec.config)
    except ValidationError as exc:
        for message in format_pydantic_errors(exc, prefix=f"{where}.config", ignore_templates=True):
            report(f"{where}.config", message)
    return spec


def _validate_connections(
    raw_conns: Any,
    nodes: list[NodeSpec],
    index_of: dict[str, int],
    registry: NodeRegistry,
    problems: list[Problem],
) -> list[ConnectionSpec]:
    conns: list[ConnectionSpec] = []
    if not isinstance(raw_conns, list):
        return conns
    graph = nx.DiGraph()
    graph.add_nodes_from(index_of)
    # One acyclicity check of every edge first: only when it fails is each connection tested for the
    # cycle it closes (nx.has_path per connection cost half of a 6,000-edge load).
    everything = nx.DiGraph()
    everything.add_edges_from(
        (raw["from"], raw["to"])
        for raw in raw_conns
        if isinstance(raw, dict)
        and isinstance(raw.get("from"), str)
        and isinstance(raw.get("to"), str)
        and raw["from"] in index_of
        and raw["to"] in index_of
    )
    may_cycle = not nx.is_directed_acyclic_graph(everything)
    seen: dict[tuple[str, str, str, str], int] = {}
    for j, raw in enumerate(raw_conns):
        where = f"connections[{j}]"
        if not isinstance(raw, dict):
            problems.append(Problem(where, f"Connection {j}: must be an object, not {_json_type(raw)}"))
            continue
        missing = [key for key in ("from", "to") if key not in raw]
        for key in missing:
            problems.append(Problem(f"{where}.{key}", f"Connection {j}: Missing required field: {key}"))
        if missing:
            continue
        ends_ok = True
        for key, role in (("from", "Source"), ("to", "Target")):
            if not isinstance(raw[key], str):
                problems.append(
                    Problem(f"{where}.{key}", f"Connection {j}: {role} must be a node id, not {_json_type(raw[key])}")
                )
                ends_ok = False
            elif raw[key] not in index_of:
                problems.append(Problem(f"{where}.{key}", f"Connection {j}: {role} node not found: {raw[key]}"))
                ends_ok = False
        if not ends_ok:
            continue
        try:
            spec = ConnectionSpec.model_validate(raw)
        except ValidationError as exc:
            problems.extend(Problem(where, m) for m in format_pydantic_errors(exc, prefix=where))
            continue
        key4 = (spec.source, spec.from_port, spec.target, spec.to_port)
        if key4 in seen:
            problems.append(
                Problem(
                    where,
                    f"{where}: repeats connections[{seen[key4]}] "
                    f"({spec.source}.{spec.from_port} -> {spec.target}.{spec.to_port})",
                )
            )
            continue
        port_problem = _port_problem(spec, nodes[index_of[spec.source]], nodes[index_of[spec.target]], registry)
        if port_problem:
            problems.append(Problem(where, f"{where}: {port_problem}"))
            continue
        if spec.source == spec.target or (
            may_cycle and not graph.has_edge(spec.source, spec.target) and nx.has_path(graph, spec.target, spec.source)
        ):
            cycle = describe_cycle(graph, spec.source, spec.target)
            problems.append(
                Problem(where, f"{where}: connection {spec.source} -> {spec.target} would create a cycle: {cycle}")
            )
            continue
        graph.add_edge(spec.source, spec.target)
        seen[key4] = j
        conns.append(spec)
    return conns


def _port_problem(spec: ConnectionSpec, source: NodeSpec, target: NodeSpec, registry: NodeRegistry) -> str | None:
    src_kind, dst_kind = registry.get(source.kind), registry.get(target.kind)
    if src_kind is not None:
        try:
            outs = {p.name for p in src_kind.output_ports(source.config)}
        except Exception:
            outs = {p.name for p in src_kind.outputs}
        if source.on_error == "route":
            outs.add(ERROR_PORT.name)
        if spec.from_port not in outs:
            return f"node '{source.id}' has no output port '{spec.from_port}'"
    if dst_kind is not None:
        try:
            ins = {p.name for p in dst_kind.input_ports(target.config)}
        except Exception:
            ins = {p.name for p in dst_kind.inputs}
        if spec.to_port not in ins:
            return f"node '{target.id}' has no input port '{spec.to_port}'"
    return None


def _validate_part(model: Any, raw: Any, where: str, problems: list[Problem]) -> Any:
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        problems.extend(Problem(where, m) for m in format_pydantic_errors(exc, prefix=where))
        return None


def _validate_list(model: Any, raw: Any, where: str, problems: list[Problem]) -> list[Any]:
    if not isinstance(raw, list):
        problems.append(Problem(where, f"{where}: must be a list, not {_json_type(raw)}"))
        return []
    items = [_validate_part(model, item, f"{where}[{i}]", problems) for i, item in enumerate(raw)]
    return [item for item in items if item is not None]


def _json_type(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "text", bool: "true/false", type(None): "null"}.get(
        type(value), "a number"
    )
