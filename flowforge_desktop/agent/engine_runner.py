"""The one place the agent meets the engine and the history store.

The agent codes against the engine's public API (``Engine.start`` -> handle, ``handle.wait()`` ->
``RunResult``, ``engine.subscribe``) and the store's (``HistoryStore.attach``, ``list_executions``...).
``make_engine`` / ``make_store`` return the real ones; while a checkout predates them, a small
sequential stand-in with the same surface keeps the agent and its tests working. Nothing else in
the agent imports ``flowforge_desktop.engine`` or ``flowforge_desktop.store`` directly.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from flowforge_desktop.engine.events import NodeFinished, NodeState, RunFinished, RunStarted, RunStatus
from flowforge_desktop.nodes.registry import NodeRegistry, default_registry

log = logging.getLogger(__name__)


def make_engine(registry: NodeRegistry | None = None, secrets: Mapping[str, str] | None = None) -> Any:
    try:
        from flowforge_desktop.engine import Engine  # type: ignore[attr-defined]
    except ImportError:
        log.debug("engine not available in this build; using the sequential stand-in")
        return FallbackEngine(registry=registry, secrets=secrets)
    return Engine(registry=registry, secrets=secrets)


def make_store(path: Any = None) -> Any:
    try:
        from flowforge_desktop.store.history import HistoryStore  # type: ignore[import-not-found]
    except ImportError:
        log.debug("history store not available in this build; keeping history in memory")
        return MemoryHistory()
    return HistoryStore(path=path)


def row_id(row: Mapping[str, Any]) -> str:
    return str(row.get("id") or row.get("execution_id"))


# --- stand-ins, used only until the real engine and store are in the build ------------------------


@dataclass
class RunResult:
    execution_id: str
    status: RunStatus
    outputs: dict[str, Any] = field(default_factory=dict)
    states: dict[str, NodeState] = field(default_factory=dict)
    error: str | None = None
    failed_node: str | None = None


@dataclass
class _Ctx:
    node_id: str
    execution_id: str
    workflow_id: str
    logger: logging.Logger
    secrets: Mapping[str, str]
    trigger: Any

    @property
    def http(self) -> Any:
        raise RuntimeError("no HTTP client in the stand-in engine")

    async def to_thread(self, func: Callable[..., Any], /, *args: Any) -> Any:
        return await asyncio.to_thread(func, *args)

    def render(self, template: str, **extra: Any) -> Any:
        return template

    async def run_workflow(self, path: str, input: Any) -> Any:
        raise RuntimeError("sub-workflows need the real engine")


class _Handle:
    def __init__(self, execution_id: str, task: asyncio.Task[RunResult]) -> None:
        self.execution_id = execution_id
        self._task = task

    async def wait(self) -> RunResult:
        return await asyncio.shield(self._task)

    def stop(self) -> None:
        self._task.cancel()

    def done(self) -> bool:
        return self._task.done()


class FallbackEngine:
    """Runs a snapshot's nodes one after another in topological order. No retries, no templates."""

    def __init__(self, registry: NodeRegistry | None = None, secrets: Mapping[str, str] | None = None) -> None:
        self.registry = registry or default_registry()
        self.secrets = dict(secrets or {})
        self._subscribers: list[Callable[[Any], None]] = []
        self._running: dict[str, _Handle] = {}

        class _Resilience:
            @staticmethod
            def snapshot() -> dict[str, list[Any]]:
                return {"circuit_breakers": [], "rate_limiters": []}

        self.resilience = _Resilience()

    def subscribe(self, callback: Callable[[Any], None]) -> Callable[[], None]:
        self._subscribers.append(callback)
        return lambda: self._subscribers.remove(callback) if callback in self._subscribers else None

    def _emit(self, event: Any) -> None:
        for cb in list(self._subscribers):
            try:
                cb(event)
            except Exception:
                log.exception("event subscriber failed")

    def running(self) -> list[_Handle]:
        return list(self._running.values())

    def start(
        self, snapshot: Any, trigger: str = "manual", payload: Any = None, parent_execution_id: str | None = None
    ) -> _Handle:
        execution_id = uuid.uuid4().hex
        task = asyncio.get_running_loop().create_task(self._run(execution_id, snapshot, trigger, payload))
        handle = _Handle(execution_id, task)
        self._running[execution_id] = handle
        task.add_done_callback(lambda _t: self._running.pop(execution_id, None))
        return handle

    async def _run(self, execution_id: str, snapshot: Any, trigger: str, payload: Any) -> RunResult:
        import networkx as nx

        start = time.time()
        self._emit(RunStarted(execution_id, snapshot.id, snapshot.name, trigger, len(snapshot.nodes), start))
        result = RunResult(execution_id, RunStatus.RUNNING)
        try:
            for node_id in nx.topological_sort(snapshot.graph):
                spec = snapshot.nodes[node_id]
                upstream = [result.outputs[p] for p in snapshot.predecessors(node_id) if p in result.outputs]
                kind = self.registry.get(spec.kind)
                t0 = time.time()
                try:
                    if kind is None:
                        raise RuntimeError(f"unknown node kind '{spec.kind}'")
                    node = kind(kind.Config.model_validate(spec.config))
                    ctx = _Ctx(node_id, execution_id, snapshot.id, log, self.secrets, payload)
                    inputs = {"in": upstream[0] if len(upstream) == 1 else upstream} if upstream else {}
                    output = await node.run(ctx, inputs)
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    result.status, result.error, result.failed_node = RunStatus.FAILED, str(exc), node_id
                    result.states[node_id] = NodeState.FAILED
                    self._emit(
                        NodeFinished(execution_id, node_id, NodeState.FAILED, time.time(), error={"message": str(exc)})
                    )
                    break
                result.outputs[node_id] = output
                result.states[node_id] = NodeState.SUCCEEDED
                self._emit(
                    NodeFinished(
                        execution_id,
                        node_id,
                        NodeState.SUCCEEDED,
                        time.time(),
                        output=output,
                        duration=time.time() - t0,
                    )
                )
            else:
                result.status = RunStatus.SUCCEEDED
        except asyncio.CancelledError:
            result.status = RunStatus.CANCELLED
        self._emit(
            RunFinished(
                execution_id,
                snapshot.id,
                result.status,
                time.time(),
                time.time() - start,
                result.error,
                result.failed_node,
            )
        )
        return result


class MemoryHistory:
    """The store's surface, in memory."""

    def __init__(self) -> None:
        self._rows: dict[str, dict[str, Any]] = {}
        self._nodes: dict[str, list[dict[str, Any]]] = {}

    def attach(self, engine: Any) -> Callable[[], None]:
        return engine.subscribe(self._on_event)

    def _on_event(self, event: Any) -> None:
        if isinstance(event, RunStarted):
            self._rows[event.execution_id] = {
                "id": event.execution_id,
                "workflow_id": event.workflow_id,
                "workflow_name": event.workflow_name,
                "trigger": event.trigger,
                "status": str(RunStatus.RUNNING),
                "created_at": event.at,
                "finished_at": None,
                "error": None,
            }
        elif isinstance(event, RunFinished) and event.execution_id in self._rows:
            self._rows[event.execution_id].update(
                status=str(event.status), finished_at=event.at, error=event.error, failed_node=event.failed_node
            )
        elif isinstance(event, NodeFinished):
            self._nodes.setdefault(event.execution_id, []).append(
                {"node_id": event.node_id, "state": str(event.state), "output": event.output, "error": event.error}
            )

    def list_executions(
        self, workflow_id: str | None = None, status: str | None = None, before: float | None = None, limit: int = 50
    ) -> list[dict[str, Any]]:
        rows = sorted(self._rows.values(), key=lambda r: r["created_at"], reverse=True)
        rows = [
            r
            for r in rows
            if (workflow_id is None or r["workflow_id"] == workflow_id)
            and (status is None or r["status"] == status)
            and (before is None or r["created_at"] < before)
        ]
        return [dict(r) for r in rows[:limit]]

    def get_execution(self, execution_id: str) -> dict[str, Any] | None:
        row = self._rows.get(execution_id)
        return dict(row) if row else None

    def node_runs(self, execution_id: str) -> list[dict[str, Any]]:
        return list(self._nodes.get(execution_id, []))

    def mark_interrupted(self, ids: Any) -> None:
        for i in ids:
            if i in self._rows:
                self._rows[i]["status"] = str(RunStatus.INTERRUPTED)

    def size_bytes(self) -> int:
        return 0

    def close(self) -> None:
        pass


async def stop_and_wait(handle: Any, timeout: float = 5.0) -> None:
    handle.stop()
    with contextlib.suppress(Exception, asyncio.CancelledError):
        await asyncio.wait_for(handle.wait(), timeout)
