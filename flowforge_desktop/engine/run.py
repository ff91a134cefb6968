"""One execution of a frozen workflow snapshot: scheduling, data passing, failure handling.

The scheduler is event-driven: a node's task is created only when the node is ready (every incoming
connection resolved), and successors are resolved from the finished node itself, not by a central
loop polling a queue (PITFALLS: cheaper per node, and no task objects for nodes not yet reachable).
A connection is *taken* when its source finished with output on the connection's port; a node none
of whose incoming connections was taken is skipped, and its own connections are untaken in turn.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from flowforge_desktop.engine.cpu import CpuMeter, metered
from flowforge_desktop.engine.debugger import Debugger, Pause, StopRequested
from flowforge_desktop.engine.events import (
    Event,
    LogLine,
    NodeFinished,
    NodePaused,
    NodeQueued,
    NodeRetrying,
    NodeStarted,
    NodeState,
    RunFinished,
    RunStarted,
    RunStatus,
)
from flowforge_desktop.engine.resilience import CircuitOpenError, backoff_delay, key_for
from flowforge_desktop.engine.templates import SecretNames, TemplateRenderError, render_config
from flowforge_desktop.model.changes import Connection
from flowforge_desktop.model.errors import format_pydantic_errors
from flowforge_desktop.model.schema import RetryPolicy
from flowforge_desktop.nodes.base import ERROR_PORT, Emit, NodeError, NodeKind

if TYPE_CHECKING:
    import httpx

    from flowforge_desktop.engine.engine import Engine
    from flowforge_desktop.model.document import WorkflowSnapshot

log = logging.getLogger("flowforge.engine")
_NODE_LOG = logging.getLogger("flowforge.node")
MAX_CHILD_DEPTH = 8
#: a node that took at least this long (it waited on I/O) hands its slot on inside its own task
SLOT_CONTINUE_AFTER = 0.001


@dataclass(slots=True)
class SpecPlan:
    """What the engine works out once per node spec and reuses in every run until the node is edited."""

    spec: Any
    kind: type[NodeKind] | None
    has_template: bool
    normal_ports: tuple[str, ...]
    #: the validated Config when the config holds no template (else validated per run, after rendering)
    config: Any = None
    policy: Any = None
    key: str | None = None
    waits_all: bool = True
    #: config fields typed str: a lone "{{ input }}" renders as text there, not as a native value
    text_fields: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Reused:
    """A node's output taken from an earlier execution (run from a node, run one node only)."""

    output: Any
    ports: tuple[str, ...] | None = None  # None: every output port but `error`


@dataclass(slots=True)
class RunOptions:
    trigger: str = "manual"
    payload: Any = None
    #: the trigger node that fired; other trigger roots are skipped. None: every root runs.
    trigger_node: str | None = None
    debugger: Debugger | None = None
    #: nodes allowed to run; the others take their output from ``reuse`` or are skipped
    run_set: frozenset[str] | None = None
    reuse: Mapping[str, Reused] = field(default_factory=dict)
    execution_id: str | None = None
    parent_execution_id: str | None = None
    #: the workflow file, for resolving relative paths (error workflow, sub-workflows)
    source_path: str | None = None
    depth: int = 0
    #: profile the run with cProfile (``Run.profiler``; the Profiling dock exports it as .prof)
    profile: bool = False
    #: trace memory per node with tracemalloc; nodes then run one at a time so each peak is its own
    trace_memory: bool = False


@dataclass(frozen=True, slots=True)
class RunResult:
    execution_id: str
    workflow_id: str
    status: RunStatus
    outputs: dict[str, Any]
    states: dict[str, NodeState]
    errors: dict[str, dict[str, Any]]
    error: str | None
    failed_node: str | None
    started_at: float
    finished_at: float
    #: nodes with no outgoing connection, in file order: where a run's result comes from
    sinks: tuple[str, ...] = ()

    @property
    def duration(self) -> float:
        return self.finished_at - self.started_at

    @property
    def ok(self) -> bool:
        return self.status is RunStatus.SUCCEEDED

    def output(self) -> Any:
        """The run's result: the output of its single last node, else {last node id: output}."""
        sinks = [n for n in self.sinks if self.states.get(n) in _HAS_OUTPUT and n in self.outputs]
        return self.outputs.get(sinks[-1]) if len(sinks) == 1 else {n: self.outputs[n] for n in sinks}


_HAS_OUTPUT = {NodeState.SUCCEEDED, NodeState.PINNED}


class _NodeLogger(logging.LoggerAdapter):  # type: ignore[type-arg]
    """A node's logger: lines go to Python logging and, as LogLine events, to the Logs dock and history."""

    def __init__(self, run: Run, node_id: str) -> None:
        super().__init__(_NODE_LOG, {})
        self._run = run
        self._node_id = node_id

    def log(self, level: int, msg: object, *args: Any, **kwargs: Any) -> None:
        text = str(msg) % args if args else str(msg)
        self._run.log(level, text, self._node_id)
        if self.logger.isEnabledFor(level):
            kwargs.pop("extra", None)
            self.logger.log(level, "[%s %s] %s", self._run.execution_id[:8], self._node_id, text, **kwargs)


class _Context:
    """The NodeContext a running node gets. Everything it may touch, nothing of the engine's insides."""

    __slots__ = (
        "_data",
        "_input",
        "_logger",
        "_meter",
        "_run",
        "execution_id",
        "node_id",
        "secrets",
        "trigger",
        "workflow_id",
    )

    def __init__(self, run: Run, node_id: str, meter: CpuMeter, input_value: Any, data: dict[str, Any] | None) -> None:
        self._run = run
        self._meter = meter
        self._input = input_value
        self._data = data
        self._logger: _NodeLogger | None = None
        self.node_id = node_id
        self.execution_id = run.execution_id
        self.workflow_id = run.snapshot.id
        self.secrets = run.engine.secrets
        self.trigger = run.options.payload

    @property
    def logger(self) -> logging.LoggerAdapter[Any]:
        if self._logger is None:
            self._logger = _NodeLogger(self._run, self.node_id)
        return self._logger

    @property
    def data(self) -> dict[str, Any]:
        if self._data is None:
            self._data = self._run.template_data(self._input)
        return self._data

    @property
    def http(self) -> httpx.AsyncClient:
        return self._run.engine.http

    @property
    def input(self) -> Any:
        return self._input

    async def to_thread(self, func: Callable[..., Any], /, *args: Any) -> Any:
        result, cpu = await self._run.engine.call_in_thread(func, *args)
        self._meter.cpu += cpu
        return result

    def render(self, template: str, **extra: Any) -> Any:
        from flowforge_desktop.engine.templates import render_value

        return render_value(template, {**self.data, **extra}, self.node_id, "template")

    async def run_workflow(self, path: str, input: Any) -> Any:
        return await self._run.run_child(path, input)


class Run:
    """The state of one execution. ``Engine.start`` makes it; the UI holds it as the run's handle."""

    def __init__(self, engine: Engine, snapshot: WorkflowSnapshot, options: RunOptions) -> None:
        self.engine = engine
        self.snapshot = snapshot
        self.options = options
        self.execution_id = options.execution_id or uuid.uuid4().hex
        self.debugger = options.debugger
        self.status = RunStatus.QUEUED
        self.states: dict[str, NodeState] = dict.fromkeys(snapshot.nodes, NodeState.PENDING)
        self.outputs: dict[str, Any] = {}
        self.inputs: dict[str, Any] = {}
        self.errors: dict[str, dict[str, Any]] = {}
        self.started_at = 0.0
        self.finished_at = 0.0
        self.error: str | None = None
        self.failed_node: str | None = None
        self._incoming: dict[str, list[Connection]] = {n: [] for n in snapshot.nodes}
        self._outgoing: dict[str, list[Connection]] = {n: [] for n in snapshot.nodes}
        for conn in snapshot.connections:
            self._incoming[conn.target].append(conn)
            self._outgoing[conn.source].append(conn)
        self._remaining = {n: len(c) for n, c in self._incoming.items()}
        self._arrived: dict[str, list[tuple[Connection, Any]]] = {}
        #: nodes that run with the first input to arrive (merge "first") and already started
        self._started_early: set[str] = set()
        self._ports: dict[str, tuple[str, ...]] = {}
        self._queued_at: dict[str, float] = {}
        self._ready: deque[str] = deque()
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._finished = 0
        self._stopping: RunStatus | None = None
        self._timeout_handle: asyncio.TimerHandle | None = None
        self._done: asyncio.Future[RunResult] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread = threading.get_ident()
        self._children: set[Run] = set()
        self._nodes_view: dict[str, dict[str, Any]] = {}
        tz = snapshot.settings.timezone
        self._tz = ZoneInfo(tz)
        self._max_parallel = 1 if options.trace_memory else snapshot.settings.max_parallel_nodes
        self.profiler: Any = None
        self._memory_peaks: dict[str, int] = {}
        self._started_tracing = False
        self._memory_base = 0
        self._trigger_data = {"type": options.trigger, "payload": options.payload, "node": options.trigger_node}
        self._base_data = {
            "nodes": self._nodes_view,
            "trigger": self._trigger_data,
            "secrets": SecretNames(engine.secrets),
            "execution": {"id": self.execution_id, "parent_id": options.parent_execution_id},
            "workflow": {"id": snapshot.id, "name": snapshot.name},
        }
        if self.debugger is not None:
            self.debugger.on_pause = self._on_pause

    # ================================================================== public handle ===
    @property
    def workflow_id(self) -> str:
        return self.snapshot.id

    @property
    def done(self) -> bool:
        return self._done is not None and self._done.done()

    async def wait(self) -> RunResult:
        assert self._done is not None, "the run was not started"
        return await asyncio.shield(self._done)

    def stop(self) -> None:
        """Stop the run: running nodes are cancelled and recorded as cancelled."""
        self._halt(RunStatus.CANCELLED, None)

    def result(self) -> RunResult:
        return RunResult(
            execution_id=self.execution_id,
            workflow_id=self.snapshot.id,
            status=self.status,
            outputs=dict(self.outputs),
            states=dict(self.states),
            errors=dict(self.errors),
            error=self.error,
            failed_node=self.failed_node,
            started_at=self.started_at,
            finished_at=self.finished_at,
            sinks=tuple(n for n, out in self._outgoing.items() if not out),
        )

    # ======================================================================= events ===
    def emit(self, event: Event) -> None:
        if threading.get_ident() != self._thread and self._loop is not None:
            # a node logging from its worker thread: subscribers (the UI among them) live on the loop
            self._loop.call_soon_threadsafe(self.engine.emit, event)
            return
        self.engine.emit(event)

    def log(self, level: int, message: str, node_id: str | None = None) -> None:
        self.emit(
            LogLine(
                self.execution_id,
                node_id,
                logging.getLevelName(level).lower(),
                message,
                time.time(),
                workflow_id=self.snapshot.id,
            )
        )

    # ======================================================================== start ===
    def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._loop = loop
        self._thread = threading.get_ident()
        self._done = loop.create_future()
        if self.options.profile:
            import cProfile

            self.profiler = cProfile.Profile()
            self.profiler.enable()
        if self.options.trace_memory:
            import tracemalloc

            if not tracemalloc.is_tracing():
                tracemalloc.start()
                self._started_tracing = True
        self.status = RunStatus.RUNNING
        self.started_at = time.time()
        opts = self.options
        self.emit(
            RunStarted(
                self.execution_id,
                self.snapshot.id,
                self.snapshot.name,
                opts.trigger,
                len(self.snapshot.nodes),
                self.started_at,
                opts.parent_execution_id,
                trigger_node=opts.trigger_node,
                payload=opts.payload,
                definition=self.snapshot,
            )
        )
        timeout = self.snapshot.settings.run_timeout
        if timeout:
            self._timeout_handle = loop.call_later(timeout, self._on_run_timeout, timeout)
        roots = [n for n, count in self._remaining.items() if count == 0]
        self._settle(roots)
        self._pump()
        self._maybe_finish()

    # ==================================================================== scheduling ===
    def _settle(self, nodes: list[str]) -> None:
        """Decide each node whose inputs are all resolved: queue it, or finish it at once (skip, reuse)."""
        work = deque(nodes)
        while work:
            node_id = work.popleft()
            if self._stopping is not None:
                return
            outcome = self._immediate_outcome(node_id)
            if outcome is None:
                self.states[node_id] = NodeState.QUEUED
                now = time.time()
                self._queued_at[node_id] = now
                if self.engine.listening:
                    self.emit(NodeQueued(self.execution_id, node_id, now))
                self._ready.append(node_id)
                continue
            state, output, ports, reused = outcome
            self._record(node_id, state, output, ports, reused=reused)
            work.extend(self._resolve_outgoing(node_id, ports))

    def _immediate_outcome(self, node_id: str) -> tuple[NodeState, Any, tuple[str, ...], bool] | None:
        opts = self.options
        spec = self.snapshot.nodes[node_id]
        if self._incoming[node_id] and not self._arrived.get(node_id):
            return NodeState.SKIPPED, None, (), False
        if opts.run_set is not None and node_id not in opts.run_set:
            reused = opts.reuse.get(node_id)
            if reused is None:
                return NodeState.SKIPPED, None, (), False
            return NodeState.SUCCEEDED, reused.output, reused.ports or self._normal_ports(node_id), True
        if (
            opts.trigger_node is not None
            and not self._incoming[node_id]
            and spec.type == "trigger"
            and node_id != opts.trigger_node
        ):
            return NodeState.SKIPPED, None, (), False
        return None

    def _resolve_outgoing(self, node_id: str, ports: tuple[str, ...]) -> list[str]:
        """Resolve the node's outgoing connections; return the targets that became ready."""
        ready: list[str] = []
        output = self.outputs.get(node_id)
        for conn in self._outgoing[node_id]:
            target = conn.target
            self._remaining[target] -= 1
            if target in self._started_early:
                continue  # a "first to arrive" node already ran with an earlier input
            if conn.from_port in ports:
                self._arrived.setdefault(target, []).append((conn, output))
                if self._remaining[target] > 0 and not self.engine.plan_for(self.snapshot.nodes[target]).waits_all:
                    self._started_early.add(target)
                    ready.append(target)
                    continue
            if self._remaining[target] == 0:
                ready.append(target)
        return ready

    def _pump(self) -> None:
        loop = asyncio.get_running_loop()
        while self._ready and len(self._tasks) < self._max_parallel and self._stopping is None:
            node_id = self._ready.popleft()
            task = loop.create_task(self._slot(node_id), name=f"node {node_id}")
            self._tasks[node_id] = task
            task.add_done_callback(self._task_done)

    async def _slot(self, node_id: str) -> None:
        """One parallel slot: run a node; after a node that waited (I/O), go straight on with the next
        ready node in this same task.

        For a waiting node the hand-off sits on the critical path of every wave: ending the task and
        starting a new one from its done callback costs a loop turn, which measured here kept the
        200 x 10 ms I/O case at 93 % of ideal (95.5 % with the hand-off in the task). Quick nodes
        that never wait end their task instead, so a long run of them still yields to the window
        between nodes.
        """
        task = asyncio.current_task()
        loop = asyncio.get_running_loop()
        while True:
            started = loop.time()
            await self._execute(node_id)
            if self._stopping is not None or not self._ready or loop.time() - started < SLOT_CONTINUE_AFTER:
                return
            next_id = self._ready.popleft()
            del self._tasks[node_id]
            node_id = next_id
            self._tasks[node_id] = task  # type: ignore[assignment]
            task.set_name(f"node {node_id}")  # type: ignore[union-attr]
            self._pump()  # more ready than this slot takes: fill the other free slots

    def _task_done(self, task: asyncio.Task[None]) -> None:
        node_id = task.get_name()[5:]
        if self._tasks.get(node_id) is task:
            del self._tasks[node_id]
        if not task.cancelled() and task.exception() is not None:  # a bug in the engine, never hidden
            exc = task.exception()
            log.error("engine error running node %s", node_id, exc_info=exc)
            if self.states.get(node_id) not in _FINAL:
                self._fail_run(node_id, f"internal error: {exc!r}")
        if task.cancelled() and self.states.get(node_id) not in _FINAL:
            self._record(node_id, NodeState.CANCELLED, None, ())
        self._pump()
        self._maybe_finish()

    def _maybe_finish(self) -> None:
        if self._done is None or self._done.done() or self._tasks:
            return
        if self._stopping is None and (self._ready or self._finished < len(self.states)):
            return
        if self._stopping is not None:
            for node_id in self._ready:
                self._record(node_id, NodeState.CANCELLED, None, ())
            self._ready.clear()
        self._finish()

    def _finish(self) -> None:
        assert self._done is not None
        if self._timeout_handle is not None:
            self._timeout_handle.cancel()
        if self.profiler is not None:
            self.profiler.disable()
        if self._started_tracing:
            import tracemalloc

            tracemalloc.stop()
        self.status = self._stopping or RunStatus.SUCCEEDED
        self.finished_at = time.time()
        self.emit(
            RunFinished(
                self.execution_id,
                self.snapshot.id,
                self.status,
                self.finished_at,
                self.finished_at - self.started_at,
                self.error,
                self.failed_node,
            )
        )
        result = self.result()
        self._done.set_result(result)
        self.engine.run_finished(self)

    def _halt(self, status: RunStatus, error: str | None) -> None:
        if self._stopping is not None or self.done:
            return
        self._stopping = status
        if error and not self.error:
            self.error = error
        if self.debugger is not None:
            self.debugger.stop()
        current = asyncio.current_task()
        for task in list(self._tasks.values()):
            if task is not current:
                task.cancel()
        for child in list(self._children):
            child.stop()
        if self._done is not None:
            self._maybe_finish()

    def _fail_run(self, node_id: str | None, message: str) -> None:
        self.failed_node = self.failed_node or node_id
        self._halt(RunStatus.FAILED, message)

    def _on_run_timeout(self, seconds: float) -> None:
        self.log(logging.ERROR, f"the run timed out after {seconds:g} s (settings.run_timeout)")
        self._fail_run(None, f"the run timed out after {seconds:g} s")

    def _on_pause(self, pause: Pause) -> None:
        self.states[pause.node_id] = NodeState.PAUSED
        self.emit(NodePaused(self.execution_id, pause.node_id, pause.input, pause.reason, time.time()))

    # ===================================================================== recording ===
    def _record(
        self,
        node_id: str,
        state: NodeState,
        output: Any,
        ports: tuple[str, ...],
        *,
        error: dict[str, Any] | None = None,
        attempts: int = 0,
        started_at: float | None = None,
        duration: float = 0.0,
        cpu: float = 0.0,
        reused: bool = False,
    ) -> None:
        self.states[node_id] = state
        self._finished += 1
        self._ports[node_id] = ports
        if ports or state in _HAS_OUTPUT:
            self.outputs[node_id] = output
            self._nodes_view[node_id] = {"output": output, "state": str(state)}
        if error is not None:
            self.errors[node_id] = error
        if not self.engine.listening:
            return
        self.emit(
            NodeFinished(
                self.execution_id,
                node_id,
                state,
                time.time(),
                input=self.inputs.get(node_id),
                output=output,
                error=error,
                attempts=attempts,
                queued_at=self._queued_at.get(node_id),
                started_at=started_at,
                duration=duration,
                cpu_time=cpu,
                ports=ports,
                reused=reused,
                memory_peak=self._memory_peak(),
            )
        )

    def _memory_peak(self) -> int | None:
        if not self.options.trace_memory:
            return None
        import tracemalloc

        if not tracemalloc.is_tracing():
            return None
        return max(0, tracemalloc.get_traced_memory()[1] - self._memory_base)

    def _normal_ports(self, node_id: str) -> tuple[str, ...]:
        return self.engine.plan_for(self.snapshot.nodes[node_id]).normal_ports

    # ===================================================================== execution ===
    def _gather_inputs(self, node_id: str) -> tuple[dict[str, Any], Any, tuple[tuple[str, str], ...]]:
        arrived = self._arrived.get(node_id, [])
        if len(arrived) == 1:  # the common case, kept cheap
            conn, value = arrived[0]
            return {conn.to_port: value}, value, ((conn.source, conn.target),)
        by_port: dict[str, list[Any]] = {}
        for conn, value in arrived:
            by_port.setdefault(conn.to_port, []).append(value)
        inputs = {port: values[0] if len(values) == 1 else values for port, values in by_port.items()}
        if not inputs:
            value: Any = None
        elif len(inputs) == 1:
            value = next(iter(inputs.values()))
        else:
            value = inputs
        via = tuple((conn.source, conn.target) for conn, _ in arrived)
        return inputs, value, via

    async def _execute(self, node_id: str) -> None:
        spec = self.snapshot.nodes[node_id]
        inputs, input_value, via = self._gather_inputs(node_id)
        if self.debugger is not None:
            try:
                edited = await self.debugger.gate(node_id, input_value, via)
            except StopRequested:
                self.states[node_id] = NodeState.CANCELLED
                self._record(node_id, NodeState.CANCELLED, None, ())
                self._halt(RunStatus.CANCELLED, None)
                return
            if edited is not input_value:
                input_value = edited
                ports = [p.name for p in self._input_ports(node_id)]
                if len(ports) == 1 or not isinstance(edited, dict):
                    inputs = {ports[0] if ports else "in": edited}
                else:
                    inputs = dict(edited)
        self.inputs[node_id] = input_value
        self.states[node_id] = NodeState.RUNNING

        pinned = self.snapshot.pinned.get(node_id, _MISSING)
        if pinned is not _MISSING:
            self._record(node_id, NodeState.PINNED, pinned, self._normal_ports(node_id))
            self._after(node_id)
            return
        if spec.disabled:  # a disabled node passes its input through untouched
            self._record(node_id, NodeState.SKIPPED, input_value, self._normal_ports(node_id))
            self._after(node_id)
            return
        if self.options.trace_memory:
            import tracemalloc

            tracemalloc.reset_peak()
            self._memory_base = tracemalloc.get_traced_memory()[0]
        await self._attempts(node_id, inputs, input_value)
        self._after(node_id)

    def _after(self, node_id: str) -> None:
        if self._stopping is None:
            self._settle(self._resolve_outgoing(node_id, self._ports.get(node_id, ())))

    def _input_ports(self, node_id: str) -> tuple[Any, ...]:
        spec = self.snapshot.nodes[node_id]
        kind = self.engine.registry.get(spec.kind)
        return kind.input_ports(spec.config) if kind else ()

    def template_data(self, input_value: Any) -> dict[str, Any]:
        return {**self._base_data, "input": input_value, "now": datetime.now(self._tz)}

    def _prepare(
        self, node_id: str, plan: SpecPlan, input_value: Any
    ) -> tuple[NodeKind, dict[str, Any], dict[str, Any] | None]:
        """Render the config, validate it, bind the kind. Errors here are the user's to fix: no retry.

        Returns the bound kind, the rendered config and the template data (None when nothing needed it).
        """
        spec = plan.spec
        kind = plan.kind
        if kind is None:
            raise NodeError(
                f"node kind '{spec.kind}' is not installed; install the plugin that provides it or remove the node"
            )
        if plan.config is not None:
            return kind(plan.config), spec.config, None
        data = self.template_data(input_value) if plan.has_template else None
        try:
            raw = (
                render_config(spec.config, data, node_id, kind.template_fields, plan.text_fields)
                if data is not None
                else spec.config
            )
        except TemplateRenderError as exc:
            raise NodeError(str(exc), details={"field": exc.field}) from None
        try:
            config = kind.Config.model_validate(raw)
        except ValidationError as exc:
            problems = "; ".join(format_pydantic_errors(exc, prefix="config"))
            raise NodeError(f"node '{node_id}' is misconfigured: {problems}") from None
        if not plan.has_template:
            plan.config = config
        return kind(config), raw, data

    def _retry_policy(self, node_id: str, raw: Mapping[str, Any]) -> RetryPolicy:
        spec = self.snapshot.nodes[node_id]
        if spec.retry is not None:
            return spec.retry
        count, delay = raw.get("retry_count"), raw.get("retry_delay")
        if isinstance(count, int) and count > 0:
            return RetryPolicy(retry_count=count, retry_delay=float(delay) if isinstance(delay, int | float) else 1.0)
        return _NO_RETRY

    async def _attempts(self, node_id: str, inputs: dict[str, Any], input_value: Any) -> None:
        spec = self.snapshot.nodes[node_id]
        settings = self.snapshot.settings
        meter = CpuMeter()
        started = time.time()
        t0 = time.perf_counter()
        attempt = 0
        plan = self.engine.plan_for(spec)
        try:
            instance, raw, data = self._prepare(node_id, plan, input_value)
        except NodeError as exc:
            self._node_failed(node_id, exc, 1, started, time.perf_counter() - t0, meter.cpu)
            return
        if plan.config is not None:  # no templates: policy and key are the same every run
            if plan.policy is None:
                plan.policy = self._retry_policy(node_id, raw)
                plan.key = key_for(raw, spec.rate_limit_key)
            policy, key = plan.policy, plan.key
        else:
            policy = self._retry_policy(node_id, raw)
            key = key_for(raw, spec.rate_limit_key)
        resilience = self.engine.resilience
        breaker = resilience.breaker(key, settings.circuit_breaker) if key else None
        limit = settings.rate_limits.get(key) if key else None
        limiter = resilience.limiter(key, limit) if key and limit else None
        ctx = _Context(self, node_id, meter, input_value, data)
        while True:
            attempt += 1
            if self.engine.listening:
                self.emit(NodeStarted(self.execution_id, node_id, attempt, input_value, time.time()))
            error: BaseException
            try:
                if breaker is not None:
                    breaker.before_call()
                if limiter is not None:
                    await limiter.acquire()
                work = instance.run(ctx, inputs)
                if self.engine.listening:  # CPU time goes out in events; with no one listening, skip the
                    work = metered(work, meter)  # per-step clock reads (a syscall each, ~14 µs a node)
                if spec.timeout:
                    try:
                        async with asyncio.timeout(spec.timeout):
                            result = await work
                    except TimeoutError:
                        raise NodeError(f"timed out after {spec.timeout:g} s (the node's timeout)") from None
                else:
                    result = await work
            except asyncio.CancelledError:
                if breaker is not None:
                    breaker.record_neutral()
                self._record(
                    node_id,
                    NodeState.CANCELLED,
                    None,
                    (),
                    attempts=attempt,
                    started_at=started,
                    duration=time.perf_counter() - t0,
                    cpu=meter.cpu,
                )
                raise
            except CircuitOpenError as exc:
                error = NodeError(str(exc), details={"circuit": exc.key})
                self._node_failed(node_id, error, attempt, started, time.perf_counter() - t0, meter.cpu)
                return
            except Exception as exc:
                error = exc
                retryable = _safe_is_retryable(instance, exc)
                if breaker is not None:
                    breaker.record_failure() if retryable else breaker.record_neutral()
                if retryable and attempt <= policy.retry_count:
                    retry_after = exc.retry_after if isinstance(exc, NodeError) else None
                    delay = backoff_delay(
                        attempt,
                        policy.retry_delay,
                        policy.max_delay,
                        jitter=policy.jitter,
                        retry_after=retry_after,
                        rng=self.engine.rng,
                    )
                    message = _message(exc)
                    self.emit(NodeRetrying(self.execution_id, node_id, attempt, message, delay, time.time()))
                    self.log(
                        logging.WARNING,
                        f"attempt {attempt} failed: {message}; retrying in {delay:.2f} s",
                        node_id,
                    )
                    await asyncio.sleep(delay)
                    continue
                self._node_failed(node_id, error, attempt, started, time.perf_counter() - t0, meter.cpu)
                return
            if breaker is not None:
                breaker.record_success()
            if isinstance(result, Emit):
                output, ports = result.value, tuple(result.ports)
            else:
                output, ports = result, plan.normal_ports
            self._record(
                node_id,
                NodeState.SUCCEEDED,
                output,
                ports,
                attempts=attempt,
                started_at=started,
                duration=time.perf_counter() - t0,
                cpu=meter.cpu,
            )
            return

    def _node_failed(
        self, node_id: str, exc: BaseException, attempts: int, started: float, duration: float, cpu: float
    ) -> None:
        spec = self.snapshot.nodes[node_id]
        message = _message(exc)
        error = {
            "message": message,
            "type": type(exc).__name__,
            "node_id": node_id,
            "kind": spec.kind,
            "input": self.inputs.get(node_id),
            "attempts": attempts,
            "retryable": bool(getattr(exc, "retryable", False)),
            "details": dict(getattr(exc, "details", {}) or {}),
        }
        if not isinstance(exc, NodeError):
            log.debug("node %s raised", node_id, exc_info=exc)
        self.log(logging.ERROR, f"failed after {attempts} attempt(s): {message}", node_id)
        if spec.on_error == "route":
            ports: tuple[str, ...] = (ERROR_PORT.name,)
            output: Any = error
        elif spec.on_error == "continue":
            ports, output = self._normal_ports(node_id), {"error": error}
        else:
            ports, output = (), None
        self._record(
            node_id,
            NodeState.FAILED,
            output,
            ports,
            error=error,
            attempts=attempts,
            started_at=started,
            duration=duration,
            cpu=cpu,
        )
        if spec.on_error == "stop":
            self._fail_run(node_id, f"node '{node_id}' failed: {message}")

    # ============================================================ child workflows ===
    def resolve_path(self, path: str) -> Path:
        candidate = Path(path).expanduser()
        if not candidate.is_absolute() and self.options.source_path:
            candidate = Path(self.options.source_path).parent / candidate
        return candidate

    async def run_child(self, path: str, payload: Any, trigger: str = "sub_workflow") -> Any:
        """Run another workflow file as a child execution and return its output (or raise NodeError)."""
        from flowforge_desktop.model.codec import load_path
        from flowforge_desktop.model.errors import WorkflowLoadError

        if self.options.depth >= MAX_CHILD_DEPTH:
            raise NodeError(f"sub-workflows nest deeper than {MAX_CHILD_DEPTH} levels; is a workflow calling itself?")
        file = self.resolve_path(path)
        try:
            loaded = await asyncio.to_thread(load_path, file, self.engine.registry)
        except WorkflowLoadError as exc:
            raise NodeError(f"cannot load sub-workflow: {exc}") from None
        child = self.engine.start(
            loaded.document.snapshot(),
            trigger=trigger,
            payload=payload,
            parent_execution_id=self.execution_id,
            source_path=str(file),
            depth=self.options.depth + 1,
        )
        self._children.add(child)
        try:
            result = await child.wait()
        finally:
            self._children.discard(child)
        if not result.ok:
            raise NodeError(f"sub-workflow '{file.name}' {result.status}: {result.error or ''}".strip())
        return result.output()


_FINAL = {
    NodeState.SUCCEEDED,
    NodeState.FAILED,
    NodeState.SKIPPED,
    NodeState.CANCELLED,
    NodeState.PINNED,
}
_MISSING = object()
_NO_RETRY = RetryPolicy(retry_count=0)


def _message(exc: BaseException) -> str:
    if isinstance(exc, NodeError):
        return exc.message
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _safe_is_retryable(instance: NodeKind, exc: BaseException) -> bool:
    try:
        return bool(instance.is_retryable(exc))
    except Exception:  # a plugin's bug must not break the run
        log.exception("is_retryable of kind %s raised", instance.kind)
        return False
