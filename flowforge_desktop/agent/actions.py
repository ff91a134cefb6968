"""POST /api/v1/actions/execute: run one action (or operation) kind on its own, as the seed's API did.

The action becomes a two-node workflow (a manual trigger carrying ``input_data`` -> the action), so
it runs through the same engine, with the same retries and limits, and is recorded in history.
"""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from flowforge_desktop.model.document import WorkflowDocument
from flowforge_desktop.model.errors import EditRefused, format_pydantic_errors
from flowforge_desktop.nodes.base import NodeCategory

if TYPE_CHECKING:
    from flowforge_desktop.agent.runtime import Agent


class ActionRefused(Exception):
    def __init__(self, message: str, detail: Any = None) -> None:
        super().__init__(message)
        self.detail = detail


def build_action_document(registry: Any, action_type: str, config: dict[str, Any], input_data: Any) -> WorkflowDocument:
    kind = registry.get(action_type)
    if kind is None:
        raise ActionRefused(registry.unknown_kind_message(action_type))
    if kind.category == NodeCategory.TRIGGER:
        raise ActionRefused(f"'{action_type}' is a trigger; only actions and operations can be executed")
    try:
        kind.Config.model_validate(config)
    except ValidationError as exc:
        lines = format_pydantic_errors(exc, "config")
        raise ActionRefused("; ".join(lines), json.loads(exc.json(include_url=False))) from None
    doc = WorkflowDocument(f"API action: {action_type}", registry=registry)
    try:
        doc.add_node(doc.new_node("manual", node_id="input", config={"input": input_data}))
        doc.add_node(doc.new_node(action_type, node_id="action", config=config))
        doc.connect("input", "action")
    except EditRefused as exc:
        raise ActionRefused(str(exc)) from None
    return doc


async def run_single_action(agent: Agent, action_type: str, config: dict[str, Any], input_data: Any, timeout: float):
    doc = build_action_document(agent.registry, action_type, config, input_data)
    handle = agent.engine.start(doc.snapshot(), trigger="api", payload=input_data)
    try:
        return await asyncio.wait_for(handle.wait(), timeout)
    except TimeoutError:
        handle.stop()
        raise
