"""Small node kinds for engine tests: each one does one observable thing.

They are real NodeKind subclasses run by the real engine; only their work is trivial, so that a
test sees the engine's behaviour (ordering, retries, skips) and nothing else.
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from typing import Any, ClassVar

from pydantic import Field

from flowforge_desktop.engine import Engine, RunResult
from flowforge_desktop.engine.events import Event
from flowforge_desktop.model.document import WorkflowDocument
from flowforge_desktop.model.schema import NodeSpec, WorkflowSettings
from flowforge_desktop.nodes.base import Emit, NodeCategory, NodeConfig, NodeError, NodeKind, Port
from flowforge_desktop.nodes.builtin.triggers import ManualTrigger
from flowforge_desktop.nodes.registry import NodeRegistry

ATTEMPTS: dict[str, int] = defaultdict(int)


class _Op(NodeKind):
    category: ClassVar[NodeCategory] = NodeCategory.OPERATION


class ConstConfig(NodeConfig):
    value: Any = Field(None, description="returned as the output")


class Const(_Op):
    kind = "t_const"
    Config = ConstConfig

    async def run(self, ctx: Any, inputs: dict[str, Any]) -> Any:
        return self.config.value  # type: ignore[attr-defined]


class Echo(_Op):
    kind = "t_echo"

    async def run(self, ctx: Any, inputs: dict[str, Any]) -> Any:
        return inputs.get("in")


class SleepConfig(NodeConfig):
    seconds: float = 0.05


class Sleep(_Op):
    kind = "t_sleep"
    Config = SleepConfig

    async def run(self, ctx: Any, inputs: dict[str, Any]) -> Any:
        await asyncio.sleep(self.config.seconds)  # type: ignore[attr-defined]
        return inputs.get("in")


class BlockConfig(NodeConfig):
    seconds: float = 0.2


class Block(_Op):
    """Blocking work, sent to the engine's thread pool as a well-behaved kind does."""

    kind = "t_block"
    Config = BlockConfig

    async def run(self, ctx: Any, inputs: dict[str, Any]) -> Any:
        await ctx.to_thread(time.sleep, self.config.seconds)  # type: ignore[attr-defined]
        return "done"


class BurnConfig(NodeConfig):
    seconds: float = 0.05


class Burn(_Op):
    """Uses CPU on the loop thread (so its CPU time is measurable)."""

    kind = "t_burn"
    Config = BurnConfig

    async def run(self, ctx: Any, inputs: dict[str, Any]) -> Any:
        end = time.thread_time() + self.config.seconds  # type: ignore[attr-defined]
        n = 0
        while time.thread_time() < end:
            n += 1
        return n


class FlakyConfig(NodeConfig):
    key: str
    fail_times: int = 1
    retryable: bool = True
    retry_after: float | None = None


class Flaky(_Op):
    """Fails ``fail_times`` times (per key), then returns the attempt number."""

    kind = "t_flaky"
    Config = FlakyConfig

    async def run(self, ctx: Any, inputs: dict[str, Any]) -> Any:
        cfg = self.config
        ATTEMPTS[cfg.key] += 1  # type: ignore[attr-defined]
        if ATTEMPTS[cfg.key] <= cfg.fail_times:  # type: ignore[attr-defined]
            raise NodeError(
                f"flaky failure {ATTEMPTS[cfg.key]}",  # type: ignore[attr-defined]
                retryable=cfg.retryable,  # type: ignore[attr-defined]
                retry_after=cfg.retry_after,  # type: ignore[attr-defined]
            )
        return ATTEMPTS[cfg.key]  # type: ignore[attr-defined]


class ChooseConfig(NodeConfig):
    port: str = "a"


class Choose(_Op):
    kind = "t_choose"
    Config = ChooseConfig
    outputs = (Port("a"), Port("b"))

    async def run(self, ctx: Any, inputs: dict[str, Any]) -> Any:
        return Emit.on(self.config.port, inputs.get("in"))  # type: ignore[attr-defined]


class CallConfig(NodeConfig):
    url: str


class Call(_Op):
    """GET a URL through the engine's shared client; 5xx and 429 are retryable, Retry-After honoured."""

    kind = "t_call"
    Config = CallConfig

    async def run(self, ctx: Any, inputs: dict[str, Any]) -> Any:
        import httpx

        try:
            response = await ctx.http.get(self.config.url, timeout=5)  # type: ignore[attr-defined]
        except httpx.TransportError as exc:
            raise NodeError(f"cannot connect: {exc}", retryable=True) from None
        if response.status_code >= 500 or response.status_code == 429:
            after = response.headers.get("Retry-After")
            raise NodeError(f"HTTP {response.status_code}", retryable=True, retry_after=float(after) if after else None)
        return {"status": response.status_code, "body": response.json()}


class TextConfig(NodeConfig):
    text: Any = ""


class Text(_Op):
    """Returns its (rendered) config text: shows what a template rendered to."""

    kind = "t_text"
    Config = TextConfig

    async def run(self, ctx: Any, inputs: dict[str, Any]) -> Any:
        ctx.logger.info("rendered %s", self.config.text)  # type: ignore[attr-defined]
        return self.config.text  # type: ignore[attr-defined]


class Fail(_Op):
    kind = "t_fail"
    outputs = (Port("out"), Port("error"))

    async def run(self, ctx: Any, inputs: dict[str, Any]) -> Any:
        raise NodeError("this node always fails")


class Sub(_Op):
    kind = "t_sub"
    Config = TextConfig

    async def run(self, ctx: Any, inputs: dict[str, Any]) -> Any:
        return await ctx.run_workflow(self.config.text, inputs.get("in"))  # type: ignore[attr-defined]


KINDS = [ManualTrigger, Const, Echo, Sleep, Block, Burn, Flaky, Choose, Call, Text, Fail, Sub]


def registry() -> NodeRegistry:
    return NodeRegistry(KINDS)


def build(
    nodes: list[tuple[str, str] | tuple[str, str, dict[str, Any]]],
    edges: list[tuple[str, str] | tuple[str, str, str] | tuple[str, str, str, str]] = (),  # type: ignore[assignment]
    *,
    node_options: dict[str, dict[str, Any]] | None = None,
    **settings: Any,
) -> WorkflowDocument:
    """A document from (id, kind[, config]) tuples and (src, dst[, from_port[, to_port]]) edges."""
    reg = registry()
    doc = WorkflowDocument("test", settings=WorkflowSettings(**settings), registry=reg)
    for item in nodes:
        node_id, kind = item[0], item[1]
        config = item[2] if len(item) > 2 else {}  # type: ignore[misc]
        spec = doc.new_node(kind, config=config, node_id=node_id)
        extra = (node_options or {}).get(node_id)
        if extra:
            spec = NodeSpec.model_validate({**spec.model_dump(), **extra})
        doc.add_node(spec)
    for edge in edges:
        src, dst = edge[0], edge[1]
        from_port = edge[2] if len(edge) > 2 else "out"  # type: ignore[misc]
        to_port = edge[3] if len(edge) > 3 else "in"  # type: ignore[misc]
        doc.connect(src, dst, from_port, to_port)
    return doc


class Recorder:
    """Subscribes to an engine and keeps every event, as the UI and the store would see them."""

    def __init__(self, engine: Engine) -> None:
        self.events: list[Event] = []
        engine.subscribe(self.events.append)

    def of(self, cls: type, **match: Any) -> list[Any]:
        return [e for e in self.events if isinstance(e, cls) and all(getattr(e, k) == v for k, v in match.items())]


def run_sync(doc: WorkflowDocument, engine: Engine | None = None, **options: Any) -> RunResult:
    async def go() -> RunResult:
        eng = engine or Engine(registry())
        try:
            return await eng.run(doc.snapshot(), **options)
        finally:
            if engine is None:
                await eng.aclose()

    return asyncio.run(go())
