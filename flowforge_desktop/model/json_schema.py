"""The JSON Schema of the workflow format, with each installed kind's config schema attached.

The format's own shape comes from the pydantic models; a node's ``config`` is constrained per kind
with ``if kind == X then config matches X's Config``, so editors that read JSON Schema can complete
and check configs too.
"""

from __future__ import annotations

from typing import Any

from flowforge_desktop.model.schema import WorkflowFile
from flowforge_desktop.nodes.registry import NodeRegistry


def workflow_json_schema(registry: NodeRegistry | None = None) -> dict[str, Any]:
    schema = WorkflowFile.model_json_schema(by_alias=True, mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "FlowForge workflow"
    schema["description"] = "A FlowForge Desktop workflow file (format version 1). See docs/format.md."
    if registry is None:
        return schema
    defs = schema.setdefault("$defs", {})
    rules = []
    for kind in registry:
        config_schema = kind.Config.model_json_schema(ref_template="#/$defs/{model}")
        defs.update(config_schema.pop("$defs", {}))
        name = f"config_{kind.kind}"
        defs[name] = config_schema
        rules.append(
            {
                "if": {"properties": {"kind": {"const": kind.kind}}, "required": ["kind"]},
                "then": {"properties": {"type": {"const": kind.category.value}, "config": {"$ref": f"#/$defs/{name}"}}},
            }
        )
    defs["NodeSpec"]["allOf"] = rules
    return schema
