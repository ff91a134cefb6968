"""The engine: starts runs, owns what runs share (thread pool, HTTP pool, breakers, limiters), fans out events.

One engine per process. It knows nothing of SQLite or Qt: the store, the UI bridge and the profiler
subscribe to its events. A subscriber that raises is logged and dropped from that one event; it can
never break a run.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import networkx as nx

from flowforge_desktop.engine.debugger import Debugger
from flowforge_desktop.engine.events import Event, RunStatus
from flowforge_desktop.engine.resilience import Resilience
from flowforge_desktop.engine.run import Reused, Run, RunOptions, RunResult, SpecPlan
from flowforge_desktop.engine.templates import contains_template, text_fields_of
from flowforge_desktop.nodes.base import ERROR_PORT
from flowforge_desktop.nodes.registry import NodeRegistry, default_registry

if TYPE_CHECKING:
    import httpx

    from flowforge_desktop.model.document import WorkflowSnapshot
    from flowforge_desktop.model.schema import NodeSpec

log = logging.getLogger("flowforge.engine")
Subscriber = Callable[[Event], None]


class Engine:
    """Runs workflow snapshots on the running asyncio loop (plain asyncio, or Qt's through qasync)."""

    def __init__(
        self,
        registry: NodeRegistry | None = None,
        *,
        secrets: Mapping[str, str] | None = None,
        max_threads: int | None = None,
        resilience: Resilience | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.registry = registry or default_registry()
        self.secrets: Mapping[str, str] = secrets if secrets is not None else {}
        self.resilience = resilience or Resilience()
        self.rng = rng or random.Random()
        self._max_threads = max_threads or min(64, (os.cpu_count() or 2) * 8)
        self._pool: ThreadPoolExecutor | None = None
        self._http: httpx.AsyncClient | None = None
        self._subscribers: list[Subscriber] = []
        self._runs: dict[str, Run] = {}
        #: id(NodeSpec) -> SpecPlan: kind lookup, ports and (template-free) configs worked out once per spec
        self._plans: dict[int, SpecPlan] = {}

    # ==================================================================== events ===
    @property
    def listening(self) -> bool:
        """Whether anyone subscribed: with no subscriber, events are not even built."""
        return bool(self._subscribers)

    def subscribe(self, subscriber: Subscriber) -> Callable[[], None]:
        self._subscribers.append(subscriber)

        def unsubscribe() -> None:
            if subscriber in self._subscribers:
                self._subscribers.remove(subscriber)

        return unsubscribe

    def emit(self, event: Event) -> None:
        for subscriber in self._subscribers:
            try:
                subscriber(event)
            except Exception:
                log.exception("an engine event subscriber raised on %s; the run goes on", type(event).__name__)

    # ================================================================ shared parts ===
    @property
    def http(self) -> httpx.AsyncClient:
        """One pooled client for every HTTP node of every run (connection reuse, bounded sockets)."""
        if self._http is None:
            import httpx

            self._http = httpx.AsyncClient(
                timeout=httpx.Timeout(30.0),
                limits=httpx.Limits(max_connections=100, max_keepalive_connections=20),
                headers={"User-Agent": "FlowForge-Desktop"},
            )
        return self._http

    async def call_in_thread(self, func: Callable[..., Any], /, *args: Any) -> tuple[Any, float]:
        """Run blocking work in the engine's pool; returns (result, CPU seconds the thread spent)."""
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self._max_threads, thread_name_prefix="flowforge-node")

        def call() -> tuple[Any, float]:
            started = time.thread_time()
            result = func(*args)
            return result, time.thread_time() - started

        return await asyncio.get_running_loop().run_in_executor(self._pool, call)

    def plan_for(self, spec: NodeSpec) -> SpecPlan:
        """The cached plan of a node spec. Specs are immutable: an edit makes a new one, so no staleness."""
        plan = self._plans.get(id(spec))
        if plan is None or plan.spec is not spec:
            kind = self.registry.get(spec.kind)
            if kind is None:
                ports: tuple[str, ...] = ("out",)
            else:
                ports = tuple(p.name for p in kind.output_ports(spec.config) if p.name != ERROR_PORT.name)
            plan = SpecPlan(spec, kind, contains_template(spec.config), ports)
            plan.waits_all = kind.waits_for_all(spec.config) if kind is not None else True
            plan.text_fields = text_fields_of(kind.Config) if kind is not None else frozenset()
            self._plans[id(spec)] = plan
        return plan

    # ======================================================================== runs ===
    def start(
        self,
        snapshot: WorkflowSnapshot,
        *,
        trigger: str = "manual",
        payload: Any = None,
        trigger_node: str | None = None,
        debugger: Debugger | None = None,
        run_set: Iterable[str] | None = None,
        reuse: Mapping[str, Reused] | None = None,
        execution_id: str | None = None,
        parent_execution_id: str | None = None,
        source_path: str | None = None,
        depth: int = 0,
        profile: bool = False,
        trace_memory: bool = False,
    ) -> Run:
        """Start a run on the running loop and return its handle at once."""
        options = RunOptions(
            trigger=trigger,
            payload=payload,
            trigger_node=trigger_node,
            debugger=debugger,
            run_set=frozenset(run_set) if run_set is not None else None,
            reuse=dict(reuse or {}),
            execution_id=execution_id,
            parent_execution_id=parent_execution_id,
            source_path=source_path,
            depth=depth,
            profile=profile,
            trace_memory=trace_memory,
        )
        run = Run(self, snapshot, options)
        self._runs[run.execution_id] = run
        run.start()
        return run

    async def run(self, snapshot: WorkflowSnapshot, **options: Any) -> RunResult:
        """Start a run and wait for its result."""
        return await self.start(snapshot, **options).wait()

    def running(self) -> list[Run]:
        return [r for r in self._runs.values() if not r.done]

    def run_finished(self, run: Run) -> None:
        self._runs.pop(run.execution_id, None)
        if len(self._plans) > 100_000:
            self._plans.clear()
        if (
            run.status is RunStatus.FAILED
            and run.snapshot.settings.error_workflow
            and run.options.trigger != "error_workflow"
        ):
            asyncio.get_running_loop().create_task(self._run_error_workflow(run))

    async def _run_error_workflow(self, run: Run) -> None:
        """Run the workflow named in settings.error_workflow with the failure's details."""
        path = run.snapshot.settings.error_workflow or ""
        payload = {
            "execution_id": run.execution_id,
            "workflow_id": run.snapshot.id,
            "workflow_name": run.snapshot.name,
            "error": run.error,
            "failed_node": run.failed_node,
            "node_error": run.errors.get(run.failed_node or ""),
        }
        try:
            await run.run_child(path, payload, trigger="error_workflow")
        except Exception as exc:
            run.log(logging.ERROR, f"the error workflow '{path}' could not run: {exc}")
            log.warning("error workflow %s for %s failed: %s", path, run.execution_id, exc)

    def stop_all(self) -> None:
        for run in self.running():
            run.stop()

    async def aclose(self) -> None:
        self.stop_all()
        for run in list(self._runs.values()):
            try:
                await asyncio.wait_for(run.wait(), 5)
            except (TimeoutError, AssertionError):
                pass
        if self._http is not None:
            await self._http.aclose()
            self._http = None
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None


# ===================================================================== planning ===
def stale_nodes(graph: nx.DiGraph, edited: Iterable[str]) -> set[str]:
    """Nodes whose last outputs an edit made stale: the edited nodes and everything downstream."""
    stale: set[str] = set()
    for node in edited:
        if node in graph and node not in stale:
            stale.add(node)
            stale |= nx.descendants(graph, node)
    return stale


def plan_from(graph: nx.DiGraph, node_id: str) -> frozenset[str]:
    """Run from ``node_id``: it and its descendants run; the rest reuse an earlier execution's outputs."""
    return frozenset({node_id} | nx.descendants(graph, node_id))


def plan_up_to(graph: nx.DiGraph, node_id: str) -> frozenset[str]:
    """Run to ``node_id``: it and its ancestors run; nothing after it."""
    return frozenset({node_id} | nx.ancestors(graph, node_id))
