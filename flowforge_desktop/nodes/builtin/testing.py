"""A small NodeContext for tests and for plugin authors who want to run a kind without the engine.

It holds a real ``httpx.AsyncClient``, runs blocking work on real threads and records log lines.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from flowforge_desktop.nodes.base import NodeConfig, NodeKind, TriggerContext


class RecordingHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    @property
    def lines(self) -> list[tuple[str, str]]:
        return [(r.levelname.lower(), r.getMessage()) for r in self.records]


class SimpleNodeContext:
    """Satisfies ``NodeContext``. Use as ``async with SimpleNodeContext() as ctx``."""

    def __init__(
        self,
        *,
        node_id: str = "node",
        trigger: Any = None,
        secrets: dict[str, str] | None = None,
        run_workflow: Callable[[str, Any], Awaitable[Any]] | None = None,
    ) -> None:
        self.node_id = node_id
        self.execution_id = "test-execution"
        self.workflow_id = "test-workflow"
        self.trigger = trigger
        self.secrets = dict(secrets or {})
        self.log = RecordingHandler()
        logger = logging.getLogger(f"flowforge.test.{node_id}.{id(self)}")
        logger.setLevel(logging.DEBUG)
        logger.propagate = False
        logger.addHandler(self.log)
        self.logger = logger
        self._client: httpx.AsyncClient | None = None
        self._run_workflow = run_workflow

    @property
    def http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient()
        return self._client

    async def to_thread(self, func: Callable[..., Any], /, *args: Any) -> Any:
        return await asyncio.to_thread(func, *args)

    def render(self, template: str, **extra: Any) -> Any:
        return template

    async def run_workflow(self, path: str, input: Any) -> Any:
        if self._run_workflow is None:
            raise RuntimeError("this context cannot run workflows")
        return await self._run_workflow(path, input)

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()

    async def __aenter__(self) -> SimpleNodeContext:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


def make(kind: type[NodeKind], **config: Any) -> NodeKind:
    """An instance of ``kind`` bound to a validated config."""
    cfg: NodeConfig = kind.Config.model_validate(config)
    return kind(cfg)


async def run_node(kind: type[NodeKind], config: dict[str, Any], value: Any = None, **ctx_args: Any) -> Any:
    """Run one node on one input value (port 'in') with a fresh context."""
    async with SimpleNodeContext(**ctx_args) as ctx:
        return await make(kind, **config).run(ctx, {"in": value} if value is not None else {})


class FireRecorder:
    """A TriggerContext whose ``fire`` records payloads and lets a test await the next one."""

    def __init__(self, node_id: str = "trigger") -> None:
        self.payloads: list[Any] = []
        self._event = asyncio.Event()
        self.ctx = TriggerContext(
            workflow_id="test-workflow", node_id=node_id, logger=logging.getLogger("flowforge.test"), fire=self.fire
        )

    async def fire(self, payload: Any) -> str:
        self.payloads.append(payload)
        self._event.set()
        return f"execution-{len(self.payloads)}"

    async def wait_for(self, count: int, timeout: float = 5.0) -> list[Any]:
        async def _wait() -> None:
            while len(self.payloads) < count:
                self._event.clear()
                await self._event.wait()

        await asyncio.wait_for(_wait(), timeout)
        return self.payloads
