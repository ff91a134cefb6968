"""Read and write workflow files: JSON text <-> ``WorkflowDocument``.

Loading is all or nothing: a file with a blocking problem raises ``WorkflowLoadError`` carrying every
problem, and the caller's open document stays as it was. Writing is normalized: stable key order,
fields at their default left out, two-space indentation, so that files diff well in version control.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flowforge_desktop.model.document import WorkflowDocument, WorkflowSnapshot
from flowforge_desktop.model.errors import Problem, WorkflowLoadError
from flowforge_desktop.model.schema import WorkflowFile
from flowforge_desktop.model.validation import ValidationResult, validate_data, validate_text
from flowforge_desktop.nodes.registry import NodeRegistry, default_registry

_ALWAYS_NODE_KEYS = ("id", "type", "kind", "name", "config", "position")
_ALWAYS_NODE_KEY_SET = frozenset(_ALWAYS_NODE_KEYS)


@dataclass
class LoadResult:
    document: WorkflowDocument
    #: problems that did not stop the load: warnings, unknown kinds, configs that need fixing
    problems: list[Problem] = field(default_factory=list)


def loads(text: str, registry: NodeRegistry | None = None, *, source: str = "") -> LoadResult:
    registry = registry or default_registry()
    return _load(validate_text(text, registry), registry, source)


def load_data(data: Any, registry: NodeRegistry | None = None, *, source: str = "") -> LoadResult:
    registry = registry or default_registry()
    return _load(validate_data(data, registry), registry, source)


def load_path(path: str | os.PathLike[str], registry: NodeRegistry | None = None) -> LoadResult:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise WorkflowLoadError([Problem("", "the file is not UTF-8 text")], str(path)) from None
    except OSError as exc:
        raise WorkflowLoadError([Problem("", f"cannot read the file: {exc.strerror or exc}")], str(path)) from None
    return loads(text, registry, source=str(path))


def _load(result: ValidationResult, registry: NodeRegistry, source: str) -> LoadResult:
    if not result.loadable or result.workflow is None:
        raise WorkflowLoadError(result.problems, source)
    return LoadResult(WorkflowDocument.from_file(result.workflow, registry), result.problems)


def to_data(workflow: WorkflowDocument | WorkflowSnapshot | WorkflowFile) -> dict[str, Any]:
    """The normalized JSON value of a workflow."""
    wf = workflow if isinstance(workflow, WorkflowFile) else workflow.to_file()
    data: dict[str, Any] = {
        "format": wf.format,
        "version": wf.version,
        "id": wf.id,
        "name": wf.name,
        "settings": _settings_data(wf),
        "nodes": [_node_data(n) for n in wf.nodes],
        "connections": [c.model_dump(mode="json", by_alias=True) for c in wf.connections],
    }
    if wf.pinned:
        data["pinned"] = wf.pinned
    if wf.groups:
        data["groups"] = [g.model_dump(mode="json", exclude_defaults=True) | {"id": g.id} for g in wf.groups]
    if wf.notes:
        data["notes"] = [_compact(n.model_dump(mode="json")) for n in wf.notes]
    return data


def dumps(workflow: WorkflowDocument | WorkflowSnapshot | WorkflowFile) -> str:
    return json.dumps(to_data(workflow), indent=2, ensure_ascii=False) + "\n"


def save_path(workflow: WorkflowDocument | WorkflowFile, path: str | os.PathLike[str]) -> None:
    """Write atomically: a crash mid-save leaves the old file, never half a file."""
    atomic_write_text(Path(path), dumps(workflow))


def atomic_write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _settings_data(wf: WorkflowFile) -> dict[str, Any]:
    return settings_data(wf.settings)


def settings_data(settings: Any) -> dict[str, Any]:
    """A WorkflowSettings as written in the file: the two keys people look for first, then what differs."""
    extra = settings.model_dump(mode="json", exclude_defaults=True)
    return {"max_parallel_nodes": settings.max_parallel_nodes, "timezone": settings.timezone, **extra}


def node_data(node: Any) -> dict[str, Any]:
    """A NodeSpec as written in the file (used by the history to serialise definitions piece by piece)."""
    return _node_data(node)


def _node_data(node: Any) -> dict[str, Any]:
    # One dump (not two): the always-written keys come straight from the model. The history
    # serialises every node of every new definition, so this is on a hot path.
    extra = node.model_dump(mode="json", exclude_defaults=True, exclude=_ALWAYS_NODE_KEY_SET)
    data: dict[str, Any] = {"id": node.id, "type": node.type, "kind": node.kind, "name": node.name}
    data["config"] = _json_value(node.config)
    data["position"] = [_compact_number(v) for v in node.position]
    data.update(extra)
    return data


def _json_value(value: Any) -> Any:
    """A config value as JSON has it (tuples become lists); configs come from JSON, so this is cheap."""
    if isinstance(value, dict):
        return {k: _json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_value(v) for v in value]
    return value


def _compact(data: dict[str, Any]) -> dict[str, Any]:
    for key in ("position", "size"):
        if key in data:
            data[key] = [_compact_number(v) for v in data[key]]
    return data


def _compact_number(value: float) -> float | int:
    return int(value) if float(value).is_integer() and abs(value) < 2**53 else value
