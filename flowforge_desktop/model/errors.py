"""Errors and problems a user sees, written for a person: where, what, and what to do."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import networkx as nx
from pydantic import ValidationError

Severity = Literal["error", "warning"]


class EditRefused(ValueError):
    """An edit the document will not make, with the reason (shown in the status bar)."""


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a workflow. ``message`` already names the place; ``path`` is for tools.

    ``blocking`` problems (broken structure) stop a file from loading at all; the others (a config
    that does not fit its kind, an unknown kind) load and show as an error badge on the node.
    """

    path: str
    message: str
    severity: Severity = "error"
    blocking: bool = True
    node_id: str | None = None

    def __str__(self) -> str:
        return self.message


class WorkflowLoadError(ValueError):
    """A file that cannot be loaded; carries every problem found, not just the first."""

    def __init__(self, problems: list[Problem], source: str = "") -> None:
        self.problems = problems
        self.source = source
        lines = [str(p) for p in problems if p.severity == "error"]
        head = f"{source}: " if source else ""
        super().__init__(
            head + ("; ".join(lines) if len(lines) == 1 else f"{len(lines)} problems: " + "; ".join(lines))
        )


def format_location(loc: tuple[int | str, ...], prefix: str = "") -> str:
    """('steps', 0, 'condition') -> 'steps[0].condition', under an optional prefix."""
    out = prefix
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def format_pydantic_errors(exc: ValidationError, prefix: str = "", *, ignore_templates: bool = False) -> list[str]:
    """Pydantic's errors as 'path: message' lines a person can act on.

    With ``ignore_templates``, a field holding a template (``"{{ input.count }}"`` in a number field)
    is not an error yet: it is checked after rendering, when the run knows the value.
    """
    messages: list[str] = []
    for err in exc.errors(include_url=False):
        value = err.get("input")
        if ignore_templates and isinstance(value, str) and ("{{" in value or "{%" in value):
            continue
        loc = tuple(part for part in err["loc"] if not _is_union_tag(part, err))
        path = format_location(loc, prefix)
        kind = err["type"]
        if kind == "missing":
            msg = "missing required field"
        elif kind == "extra_forbidden":
            msg = "unknown field (check its spelling)"
        elif kind == "value_error":
            msg = str(err["ctx"]["error"]) if "ctx" in err and "error" in err["ctx"] else err["msg"]
        else:
            msg = err["msg"]
            if "input" in err and kind.endswith(("_type", "_parsing", "literal_error", "enum")):
                msg = f"{msg}, got {_short(err['input'])}"
        messages.append(f"{path}: {msg}" if path else msg)
    return messages


def _is_union_tag(part: int | str, err: object) -> bool:
    # pydantic puts the discriminator value of a tagged union into the location; people do not write it.
    return isinstance(part, str) and part.startswith(("function-", "tagged-union["))


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def describe_cycle(graph: nx.DiGraph, source: str, target: str) -> str:
    """The cycle a new edge source -> target would close, as 'target -> ... -> source -> target'."""
    path = [source] if source == target else nx.shortest_path(graph, target, source)
    return " -> ".join([*path, path[0]])


def article(word: str) -> str:
    return f"an {word}" if word[0] in "aeiou" else f"a {word}"
