"""Helpers for the agent tests: small real node kinds, workflow files on disk, a running agent."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from pydantic import Field

from flowforge_desktop.agent.config import AgentConfig
from flowforge_desktop.agent.engine_runner import list_rows
from flowforge_desktop.agent.runtime import Agent
from flowforge_desktop.nodes import builtin
from flowforge_desktop.nodes.base import NodeCategory, NodeConfig, NodeKind
from flowforge_desktop.nodes.registry import NodeRegistry


class EchoConfig(NodeConfig):
    prefix: str = Field("", description="Put in front of the output.")
    fail: bool = False


class EchoAction(NodeKind):
    """Outputs {"prefix", "input"}; fails on purpose when told to."""

    kind = "test_echo"
    category = NodeCategory.ACTION
    Config = EchoConfig

    async def run(self, ctx: Any, inputs: dict[str, Any]) -> Any:
        if self.config.fail:  # type: ignore[attr-defined]
            raise RuntimeError("told to fail")
        return {"prefix": self.config.prefix, "input": inputs.get("in")}  # type: ignore[attr-defined]


class SlowConfig(NodeConfig):
    seconds: float = 30.0


class SlowAction(NodeKind):
    kind = "test_slow"
    category = NodeCategory.ACTION
    Config = SlowConfig

    async def run(self, ctx: Any, inputs: dict[str, Any]) -> Any:
        await asyncio.sleep(self.config.seconds)  # type: ignore[attr-defined]
        return {"slept": self.config.seconds}  # type: ignore[attr-defined]


def make_registry() -> NodeRegistry:
    return NodeRegistry([*builtin.KINDS, EchoAction, SlowAction])


def node(node_id: str, kind: str, config: dict[str, Any] | None = None, type_: str | None = None) -> dict[str, Any]:
    category = type_ or ("trigger" if kind in ("manual", "schedule", "file_watch", "webhook") else "action")
    return {"id": node_id, "type": category, "kind": kind, "config": config or {}}


def write_workflow(
    path: Path,
    workflow_id: str,
    nodes: list[dict[str, Any]],
    connections: list[tuple[str, str]] = (),  # type: ignore[assignment]
    **settings: Any,
) -> Path:
    data = {
        "format": "flowforge.workflow",
        "version": 1,
        "id": workflow_id,
        "name": workflow_id.replace("-", " ").title(),
        "settings": settings,
        "nodes": nodes,
        "connections": [{"from": a, "to": b} for a, b in connections],
    }
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def agent_config(**overrides: Any) -> AgentConfig:
    base: dict[str, Any] = {"api_port": 0, "key_storage": "file", "poll_interval": 0.1, "trigger_backoff": 0.1}
    base.update(overrides)
    return AgentConfig(**base)


@asynccontextmanager
async def running_agent(tmp_path: Path, grace: float = 0.5, **config: Any) -> AsyncIterator[Agent]:
    agent = Agent(
        agent_config(**config),
        registry=make_registry(),
        secrets={"HOOK_SECRET": "from-secrets"},
        state_dir=tmp_path / "state",
    )
    await agent.start()
    try:
        yield agent
    finally:
        await agent.stop(grace=grace)


def rows_of(agent: Agent, **filters: Any) -> list[dict[str, Any]]:
    """Recorded executions, newest first, once the store's writer has caught up."""
    agent.store.flush()
    return list_rows(agent.store, **filters)


async def wait_for(predicate: Callable[[], Any], timeout: float = 10.0, what: str = "condition") -> Any:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = predicate()
        if isinstance(value, Awaitable):
            value = await value
        if value:
            return value
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(0.02)
