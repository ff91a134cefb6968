"""Bring older workflow files up to the current format version, one step at a time.

Version 0 is the seed's server format: no ``format``/``version`` keys, nodes that name their kind
with ``action_type`` / ``trigger_type`` / ``operation_type``. Each step is a pure function on the
decoded JSON, so a migration can be tested on its own and chained.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable
from typing import Any

from flowforge_desktop.model.schema import FORMAT_NAME, FORMAT_VERSION

Step = Callable[[dict[str, Any]], dict[str, Any]]


def _v0_to_v1(data: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "format": FORMAT_NAME,
        "version": 1,
        "id": data.get("id") or uuid.uuid4().hex,
        "name": data.get("name", ""),
    }
    for key, value in data.items():
        if key not in out and key not in ("format", "version"):
            out[key] = value
    nodes = out.get("nodes")
    if isinstance(nodes, list):
        for node in nodes:
            if isinstance(node, dict) and "kind" not in node:
                for legacy in ("action_type", "trigger_type", "operation_type"):
                    if legacy in node:
                        node["kind"] = node.pop(legacy)
                        break
    return out


STEPS: dict[int, Step] = {0: _v0_to_v1}


def file_version(data: dict[str, Any]) -> int:
    if "format" not in data and "version" not in data:
        return 0
    fmt = data.get("format", FORMAT_NAME)
    if fmt != FORMAT_NAME:
        raise ValueError(f"format: this is not a FlowForge workflow (format {fmt!r}, expected {FORMAT_NAME!r})")
    version = data.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 0:
        raise ValueError(f"version: must be a whole number, got {version!r}")
    return version


def migrate(data: dict[str, Any]) -> dict[str, Any]:
    """Return ``data`` at the current version (a copy when anything changed); refuse newer files."""
    version = file_version(data)
    if version > FORMAT_VERSION:
        raise ValueError(
            f"this file uses workflow format version {version}, but this FlowForge Desktop reads "
            f"versions up to {FORMAT_VERSION}; update FlowForge Desktop to open it"
        )
    if version < FORMAT_VERSION:
        data = copy.deepcopy(data)
        while version < FORMAT_VERSION:
            data = STEPS[version](data)
            version += 1
    return data
