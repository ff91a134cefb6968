"""Starter configs: what a node dropped from the palette begins with.

The document refuses a config that does not fit its kind, yet a new HTTP node has no URL yet. So a
new node starts from its Config's defaults plus a visible placeholder for each required field
(``https://example.com``, ``someone@example.com``...), which the inspector then invites you to edit.
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from flowforge_desktop.nodes.base import NodeKind
from flowforge_desktop.ui.fields import _unwrap, field_kind


def placeholder(name: str, annotation: Any) -> Any:
    kind, _optional, choices = field_kind(name, annotation)
    lname = name.lower()
    if kind == "choice":
        return choices[0]
    if kind == "multichoice":
        return [choices[0]]
    if kind == "bool":
        return False
    if kind in ("int", "float"):
        return 60 if "interval" in lname or "seconds" in lname else 1
    if lname in ("argv", "args", "command"):
        return ["echo", "hello"]
    if kind == "list" or lname in ("to", "cc", "bcc"):
        return [_text(lname.rstrip("s"))]
    if kind == "mapping":
        return {}
    base, _ = _unwrap(annotation)
    if base is str or kind in ("text", "cron", "path", "secret", "multiline"):
        return _text(lname)
    return None


def _text(lname: str) -> str:
    if "cron" in lname:
        return "0 * * * *"
    if "url" in lname:
        return "https://example.com"
    if "addr" in lname or "email" in lname or lname in ("to", "cc", "bcc"):
        return "someone@example.com"
    if "host" in lname:
        return "localhost"
    if "workflow" in lname:
        return str(Path.home() / "workflow.json")
    if "watch" in lname or lname.endswith(("_dir", "folder", "directory")):
        return str(Path.home())
    if "path" in lname or lname.endswith("_file"):
        return str(Path.home() / "example.txt")
    if lname.endswith("_id"):
        return f"{lname.removesuffix('_id')}-{uuid.uuid4().hex[:8]}"
    if lname in ("condition", "expression", "source", "by", "query"):
        return "@"
    return "example"


def is_example_value(name: str, annotation: Any, value: Any) -> bool:
    """Whether ``value`` is still the example text a new node was given for this required field
    (``https://example.com``...): the inspector asks for a real one. Choices, flags and numbers are
    plain defaults, not examples."""
    kind, _optional, _choices = field_kind(name, annotation)
    if kind in ("choice", "multichoice", "bool", "int", "float") or name.lower().endswith("_id"):
        return False
    example = placeholder(name, annotation)
    return isinstance(example, str | list) and value == example


def starter_config(kind: type[NodeKind]) -> dict[str, Any]:
    config: dict[str, Any] = {}
    fields = kind.Config.model_fields
    for _ in range(len(fields) + 2):
        try:
            kind.Config.model_validate(config)
            return config
        except ValidationError as exc:
            errors = exc.errors(include_url=False)
        changed = False
        for err in errors:
            loc = err.get("loc") or ()
            names = [loc[0]] if loc and loc[0] in fields else re.findall(r"[a-z_]+", str(err.get("msg", "")))
            for name in names:
                if name in fields and name not in config:
                    value = placeholder(name, fields[name].annotation)
                    if value is not None:
                        config[name] = value
                        changed = True
        if not changed:
            break
    return config
