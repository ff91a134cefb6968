"""The trigger supervisor: active workflows, their armed triggers, the run queue and the runs.

- The list of known workflow files and which are active is persisted (``agent_state.json`` in the user
  data dir), with each schedule's last fire time, so that missed schedules can be caught up.
- Each active workflow's trigger nodes are armed (``TriggerKind.arm``; webhooks register with the local
  server). A trigger that fails to arm is logged, shown in health, and re-armed with backoff; the others
  are unaffected.
- Fired runs go to one bounded priority queue (``settings.priority``, higher first; FIFO within a
  priority). A run that does not fit is refused, logged, counted and written to ``overflow.jsonl`` —
  never dropped silently. ``max_concurrent_runs`` workers start queued runs on the engine.
- A changed workflow file is reloaded and its triggers re-armed; a broken save keeps the old triggers
  armed and reports the problem until the file is fixed.
- Shutdown disarms everything, waits ``shutdown_grace`` seconds for running executions, then stops
  them and records them as interrupted.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import json
import logging
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flowforge_desktop.agent.config import AgentConfig
from flowforge_desktop.agent.engine_runner import flush, start_run
from flowforge_desktop.agent.webhooks import WebhookEndpoint
from flowforge_desktop.model.codec import load_path
from flowforge_desktop.model.errors import WorkflowLoadError
from flowforge_desktop.nodes.base import NodeCategory, TriggerContext, TriggerKind
from flowforge_desktop.nodes.builtin.schedule_times import next_fire_times_for
from flowforge_desktop.nodes.registry import NodeRegistry, default_registry

log = logging.getLogger(__name__)

Listener = Callable[[str, dict[str, Any]], None]


class QueueFullError(Exception):
    """The run queue is full; the refused run has been recorded."""


class TriggersPaused(Exception):
    """All triggers are paused; a fire was ignored."""


class WorkflowRefused(Exception):
    """A workflow file that cannot be activated, with the reason."""


def data_dir() -> Path:
    from flowforge_desktop.store.paths import data_dir as store_data_dir

    return store_data_dir()


@dataclass(eq=False)
class QueuedRun:
    workflow_id: str
    workflow_name: str
    trigger: str
    payload: Any
    priority: int
    snapshot: Any
    enqueued_at: float
    started: asyncio.Future[Any]
    trigger_node: str | None = None


@dataclass(eq=False)
class TriggerSlot:
    workflow_id: str
    workflow_name: str
    node_id: str
    kind: str
    config: Any
    state: str = "disarmed"  # armed | error | disarmed
    error: str | None = None
    failures: int = 0
    fires: int = 0
    armed: Any = None
    endpoint: WebhookEndpoint | None = None
    retry_task: asyncio.Task[None] | None = None

    def next_fire_time(self) -> Any:
        if self.armed is None or self.state != "armed":
            return None
        try:
            times = self.armed.next_fire_times(1)
        except Exception:
            return None
        return times[0] if times else None


@dataclass(eq=False)
class WorkflowEntry:
    path: Path
    active: bool = False
    workflow_id: str | None = None
    name: str = ""
    priority: int = 0
    missed_schedules: str = "skip"
    snapshot: Any = None
    error: str | None = None
    stamp: tuple[int, int] | None = None
    slots: list[TriggerSlot] = field(default_factory=list)


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size)


class Supervisor:
    def __init__(
        self,
        engine: Any,
        *,
        store: Any = None,
        server: Any = None,
        config: AgentConfig | None = None,
        registry: NodeRegistry | None = None,
        secrets: Mapping[str, str] | None = None,
        state_dir: Path | None = None,
    ) -> None:
        self.engine = engine
        self.store = store
        self.server = server
        self.config = config or AgentConfig()
        self.registry = registry or default_registry()
        self.secrets: Mapping[str, str] = secrets if secrets is not None else {}
        self.state_dir = state_dir or data_dir()
        self.state_path = self.state_dir / "agent_state.json"
        self.overflow_path = self.state_dir / "overflow.jsonl"
        self.entries: dict[str, WorkflowEntry] = {}
        self.paused = False
        self.overflowed = 0
        self.started_runs = 0
        self.last_fires: dict[str, float] = {}
        self.listeners: list[Listener] = []
        self._heap: list[tuple[int, int, QueuedRun]] = []
        self._seq = itertools.count()
        self._queue_ready = asyncio.Event()
        self._running: dict[str, tuple[Any, QueuedRun]] = {}
        self._workers: list[asyncio.Task[None]] = []
        self._poller: asyncio.Task[None] | None = None
        self._state_dirty = False
        self._saver: asyncio.Task[None] | None = None
        self._stopping = False
        self._tasks: set[asyncio.Task[Any]] = set()

    # ========================================================================= lifecycle ===
    async def start(self) -> None:
        self._queue_ready = asyncio.Event()
        await asyncio.to_thread(self._load_state)
        for entry in list(self.entries.values()):
            try:
                await self._load_entry(entry)
            except WorkflowRefused as exc:
                entry.error = str(exc)
                if entry.active:
                    log.error("active workflow not armed: %s", exc)
                continue
            if entry.active:
                self._catch_up_missed(entry)
                await self._arm_entry(entry)
        self._workers = [
            asyncio.get_running_loop().create_task(self._worker(i), name=f"agent-worker-{i}")
            for i in range(self.config.max_concurrent_runs)
        ]
        self._poller = asyncio.get_running_loop().create_task(self._poll_files(), name="agent-file-poller")
        self._notify("changed", {})

    async def shutdown(self, grace: float | None = None) -> list[str]:
        """Stop arming and taking runs; wait ``grace`` s for running ones, then interrupt them. Returns their ids."""
        grace = self.config.shutdown_grace if grace is None else grace
        self._stopping = True
        if self._poller:
            self._poller.cancel()
        for entry in self.entries.values():
            await self._disarm_entry(entry)
        while self._heap:
            _, _, run = heapq.heappop(self._heap)
            self._record_overflow(run, "the agent shut down before the run could start")
            if not run.started.done():
                run.started.set_exception(QueueFullError("the agent is shutting down"))
        interrupted: list[str] = []
        if self._running:
            waits = {asyncio.ensure_future(h.wait()): eid for eid, (h, _) in self._running.items()}
            log.info("waiting up to %.1f s for %d running execution(s)", grace, len(waits))
            _done, pending = await asyncio.wait(waits, timeout=grace) if grace > 0 else (set(), set(waits))
            interrupted = [waits[w] for w in pending]
            for eid in interrupted:
                with contextlib.suppress(KeyError):
                    self._running[eid][0].stop()
            if pending:
                await asyncio.wait(pending, timeout=2.0)
            for w in waits:
                if w.done() and not w.cancelled():
                    w.exception()
        if interrupted and self.store is not None:
            await asyncio.to_thread(flush, self.store)  # the cancelled runs' own events land first
            await asyncio.to_thread(self.store.mark_interrupted, interrupted)
            log.warning("recorded %d execution(s) as interrupted: %s", len(interrupted), ", ".join(interrupted))
        for w in self._workers:
            w.cancel()
        for t in [*self._workers, *self._tasks]:
            t.cancel()
        await asyncio.gather(*self._workers, *self._tasks, return_exceptions=True)
        self._workers.clear()
        if self._saver:
            self._saver.cancel()
        await asyncio.to_thread(self._save_state)
        return interrupted

    # ========================================================================= listeners ===
    def add_listener(self, listener: Listener) -> Callable[[], None]:
        self.listeners.append(listener)
        return lambda: self.listeners.remove(listener) if listener in self.listeners else None

    def _notify(self, what: str, data: dict[str, Any]) -> None:
        for listener in list(self.listeners):
            try:
                listener(what, data)
            except Exception:
                log.exception("agent listener failed")

    # ========================================================================= workflows ===
    def find(self, workflow_id_or_path: str) -> WorkflowEntry:
        key = (
            str(Path(workflow_id_or_path).expanduser().resolve())
            if os.sep in workflow_id_or_path or workflow_id_or_path.endswith(".json")
            else None
        )
        if key and key in self.entries:
            return self.entries[key]
        for entry in self.entries.values():
            if entry.workflow_id == workflow_id_or_path:
                return entry
        raise KeyError(workflow_id_or_path)

    async def add(self, path: str | Path, active: bool = True) -> WorkflowEntry:
        """Add a workflow file (refused with the reason if it does not load) and activate it."""
        resolved = Path(path).expanduser().resolve()
        entry = self.entries.get(str(resolved)) or WorkflowEntry(resolved)
        await self._load_entry(entry)
        for other in self.entries.values():
            if other is not entry and other.workflow_id == entry.workflow_id:
                raise WorkflowRefused(
                    f"{resolved}: workflow id '{entry.workflow_id}' is already used by {other.path}; "
                    "two files cannot share an id"
                )
        self.entries[str(resolved)] = entry
        if entry.active and active:
            await self._arm_entry(entry)  # added again after an edit: arm what the file says now
        await self.set_active(str(resolved), active)
        return entry

    async def set_active(self, workflow_id_or_path: str, active: bool) -> WorkflowEntry:
        entry = self.find(workflow_id_or_path)
        if active and entry.snapshot is None:
            await self._load_entry(entry)
        if entry.active != active or (active and not entry.slots):
            entry.active = active
            if active:
                await self._arm_entry(entry)
            else:
                await self._disarm_entry(entry)
        self._mark_dirty()
        self._notify("changed", {"workflow_id": entry.workflow_id})
        return entry

    async def remove(self, workflow_id_or_path: str) -> None:
        entry = self.find(workflow_id_or_path)
        await self._disarm_entry(entry)
        self.entries.pop(str(entry.path), None)
        self._mark_dirty()
        self._notify("changed", {})

    async def _load_entry(self, entry: WorkflowEntry) -> None:
        try:
            result = await asyncio.to_thread(load_path, entry.path, self.registry)
        except WorkflowLoadError as exc:
            raise WorkflowRefused(str(exc)) from None
        errors = [p for p in result.problems if p.severity == "error"]
        if errors:
            raise WorkflowRefused(f"{entry.path}: " + "; ".join(p.message for p in errors))
        doc = result.document
        entry.stamp = _stamp(entry.path)
        entry.workflow_id, entry.name = doc.id, doc.name
        entry.priority = doc.settings.priority
        entry.missed_schedules = doc.settings.missed_schedules
        entry.snapshot = doc.snapshot()
        entry.error = None

    def describe(self, entry: WorkflowEntry) -> dict[str, Any]:
        return {
            "id": entry.workflow_id,
            "name": entry.name,
            "path": str(entry.path),
            "active": entry.active,
            "priority": entry.priority,
            "error": entry.error,
            "triggers": [
                {
                    "node_id": s.node_id,
                    "kind": s.kind,
                    "state": s.state,
                    "next_fire": _iso(s.next_fire_time()),
                    "fires": s.fires,
                    "error": s.error,
                }
                for s in entry.slots
            ],
        }

    def describe_workflows(self) -> list[dict[str, Any]]:
        return [self.describe(e) for e in sorted(self.entries.values(), key=lambda e: (e.name.lower(), str(e.path)))]

    def trigger_slots(self) -> list[TriggerSlot]:
        return [s for e in self.entries.values() for s in e.slots]

    # ========================================================================= arming ===
    async def _arm_entry(self, entry: WorkflowEntry) -> None:
        await self._disarm_entry(entry)
        snap = entry.snapshot
        for spec in snap.nodes.values():
            kind = self.registry.get(spec.kind)
            if kind is None or kind.category != NodeCategory.TRIGGER or spec.disabled or spec.kind == "manual":
                continue
            try:
                config = kind.Config.model_validate(spec.config)
            except Exception as exc:
                config = None
                error = f"invalid config: {exc}"
            slot = TriggerSlot(snap.id, snap.name, spec.id, spec.kind, config)
            entry.slots.append(slot)
            if config is None:
                slot.state, slot.error = "error", error
                continue
            await self._arm_slot(entry, slot)

    async def _arm_slot(self, entry: WorkflowEntry, slot: TriggerSlot) -> None:
        kind = self.registry.get(slot.kind)
        try:
            if slot.kind == "webhook":
                if self.server is None:
                    raise RuntimeError("the local HTTP server is not running, so webhooks cannot be received")
                endpoint = WebhookEndpoint.from_config(
                    slot.config,
                    workflow_id=slot.workflow_id,
                    node_id=slot.node_id,
                    fire=self._fire_fn(entry, slot, raise_full=True),
                    secrets=self.secrets,
                )
                self.server.register_webhook(endpoint)
                slot.endpoint = endpoint
                slot.armed = None
            else:
                ctx = TriggerContext(
                    workflow_id=slot.workflow_id,
                    node_id=slot.node_id,
                    logger=logging.getLogger(f"flowforge_desktop.trigger.{slot.kind}"),
                    fire=self._fire_fn(entry, slot, raise_full=False),
                    services={"supervisor": self, "server": self.server, "secrets": self.secrets},
                )
                if kind is None or not issubclass(kind, TriggerKind):
                    raise RuntimeError(f"trigger kind '{slot.kind}' is not installed; install its plugin")
                slot.armed = await kind(slot.config).arm(ctx)
            slot.state, slot.error, slot.failures = "armed", None, 0
            log.info("armed %s trigger %s/%s", slot.kind, entry.name, slot.node_id)
        except Exception as exc:
            slot.failures += 1
            slot.state, slot.error = "error", str(exc) or type(exc).__name__
            delay = min(self.config.trigger_backoff * 2 ** (slot.failures - 1), self.config.trigger_backoff_max)
            log.error(
                "trigger %s/%s (%s) failed to arm: %s; retrying in %.1f s",
                entry.name,
                slot.node_id,
                slot.kind,
                slot.error,
                delay,
            )
            slot.retry_task = self._spawn(self._rearm_later(entry, slot, delay))
        self._notify("changed", {"workflow_id": entry.workflow_id})

    async def _rearm_later(self, entry: WorkflowEntry, slot: TriggerSlot, delay: float) -> None:
        await asyncio.sleep(delay)
        if entry.active and slot in entry.slots and not self._stopping:
            slot.retry_task = None
            await self._arm_slot(entry, slot)

    async def _disarm_entry(self, entry: WorkflowEntry) -> None:
        slots, entry.slots = entry.slots, []
        for slot in slots:
            await self._disarm_slot(slot)

    async def _disarm_slot(self, slot: TriggerSlot) -> None:
        if slot.retry_task is not None:
            slot.retry_task.cancel()
        if slot.endpoint is not None and self.server is not None:
            self.server.unregister_webhook(slot.endpoint)
        if slot.armed is not None:
            try:
                await slot.armed.disarm()
            except Exception:
                log.exception("disarming %s/%s failed", slot.workflow_name, slot.node_id)
        slot.armed, slot.endpoint, slot.state = None, None, "disarmed"

    def _fire_fn(self, entry: WorkflowEntry, slot: TriggerSlot, *, raise_full: bool) -> Callable[[Any], Any]:
        async def fire(payload: Any) -> QueuedRun | None:
            if self.paused:
                if raise_full:
                    raise TriggersPaused("all triggers are paused in FlowForge")
                log.debug("triggers paused: %s/%s fire ignored", entry.name, slot.node_id)
                return None
            slot.fires += 1
            if slot.kind == "schedule":
                self.last_fires[f"{slot.workflow_id}/{slot.node_id}"] = time.time()
                self._mark_dirty()
            try:
                return self.enqueue(entry, slot.kind, _with_node(payload, slot.node_id), trigger_node=slot.node_id)
            except QueueFullError:
                if raise_full:
                    raise
                return None

        return fire

    async def pause(self, paused: bool) -> None:
        self.paused = paused
        self._mark_dirty()
        self._notify("changed", {"paused": paused})

    # ========================================================================= queue ===
    def enqueue(self, entry: WorkflowEntry, trigger: str, payload: Any, trigger_node: str | None = None) -> QueuedRun:
        run = QueuedRun(
            workflow_id=entry.workflow_id or "",
            workflow_name=entry.name,
            trigger=trigger,
            payload=payload,
            priority=entry.priority,
            snapshot=entry.snapshot,
            enqueued_at=time.time(),
            started=asyncio.get_running_loop().create_future(),
            trigger_node=trigger_node,
        )
        if self._stopping:
            self._record_overflow(run, "the agent is shutting down")
            raise QueueFullError("the agent is shutting down; the run was not started")
        if len(self._heap) >= self.config.queue_size:
            self._record_overflow(run, f"the run queue is full ({self.config.queue_size} waiting)")
            raise QueueFullError(
                f"the run queue is full ({self.config.queue_size} runs waiting); the {trigger} run of "
                f"'{entry.name}' was not started and was recorded in {self.overflow_path}"
            )
        heapq.heappush(self._heap, (-run.priority, next(self._seq), run))
        self._queue_ready.set()
        self._notify("queued", {"workflow_id": run.workflow_id, "queued": len(self._heap)})
        return run

    async def run_now(self, workflow_id_or_path: str, payload: Any = None, trigger: str = "manual") -> QueuedRun:
        entry = self.find(workflow_id_or_path)
        if entry.snapshot is None:
            await self._load_entry(entry)
        return self.enqueue(entry, trigger, payload)

    def _record_overflow(self, run: QueuedRun, reason: str) -> None:
        self.overflowed += 1
        log.warning("run of '%s' (%s) refused: %s", run.workflow_name, run.trigger, reason)
        line = json.dumps(
            {
                "at": datetime.now(UTC).isoformat(),
                "workflow_id": run.workflow_id,
                "workflow_name": run.workflow_name,
                "trigger": run.trigger,
                "reason": reason,
                "payload": run.payload,
            },
            default=str,
        )
        try:
            self.overflow_path.parent.mkdir(parents=True, exist_ok=True)
            with self.overflow_path.open("a", encoding="utf-8") as f:  # one short line: cheap enough on the loop
                f.write(line + "\n")
        except OSError as exc:
            log.error("could not record the refused run in %s: %s", self.overflow_path, exc)
        self._notify("overflow", {"workflow_id": run.workflow_id, "reason": reason, "total": self.overflowed})

    def queue_figures(self) -> dict[str, Any]:
        return {
            "running": len(self._running),
            "queued": len(self._heap),
            "queue_size": self.config.queue_size,
            "overflowed": self.overflowed,
            "started": self.started_runs,
            "running_list": [
                {
                    "execution_id": eid,
                    "workflow_id": run.workflow_id,
                    "workflow_name": run.workflow_name,
                    "trigger": run.trigger,
                }
                for eid, (_h, run) in self._running.items()
            ],
        }

    async def _next_run(self) -> QueuedRun:
        while not self._heap:
            self._queue_ready.clear()
            await self._queue_ready.wait()
        _, _, run = heapq.heappop(self._heap)
        return run

    async def _worker(self, index: int) -> None:
        while True:
            run = await self._next_run()
            if run.started.done():  # the caller gave up
                continue
            try:
                handle = start_run(
                    self.engine, run.snapshot, trigger=run.trigger, payload=run.payload, trigger_node=run.trigger_node
                )
            except Exception as exc:
                log.exception("engine refused the run of '%s'", run.workflow_name)
                run.started.set_exception(exc)
                self._notify("run_finished", {"workflow_id": run.workflow_id, "status": "failed", "error": str(exc)})
                continue
            self.started_runs += 1
            self._running[handle.execution_id] = (handle, run)
            run.started.set_result(handle)
            info = {
                "execution_id": handle.execution_id,
                "workflow_id": run.workflow_id,
                "workflow_name": run.workflow_name,
                "trigger": run.trigger,
            }
            self._notify("run_started", info)
            status, error = "failed", None
            try:
                result = await handle.wait()
                status, error = str(result.status), result.error
            except asyncio.CancelledError:
                status = "interrupted"
                raise
            except Exception as exc:
                error = str(exc)
                log.exception("run %s of '%s' failed inside the engine", handle.execution_id, run.workflow_name)
            finally:
                self._running.pop(handle.execution_id, None)
                if status == "failed":
                    log.warning("run %s of '%s' failed: %s", handle.execution_id, run.workflow_name, error)
                self._notify("run_finished", {**info, "status": status, "error": error})

    def running(self) -> list[Any]:
        return [h for h, _ in self._running.values()]

    # ========================================================================= files & state ===
    async def _poll_files(self) -> None:
        while True:
            await asyncio.sleep(self.config.poll_interval)
            for entry in list(self.entries.values()):
                if not entry.active:
                    continue
                stamp = await asyncio.to_thread(_stamp, entry.path)
                if stamp == entry.stamp:
                    continue
                await self._reload(entry, stamp)

    async def _reload(self, entry: WorkflowEntry, stamp: tuple[int, int] | None) -> None:
        if stamp is None:
            entry.stamp, entry.error = None, f"{entry.path}: the file is gone; its triggers stay armed until it is back"
            log.error("%s", entry.error)
            self._notify("changed", {"workflow_id": entry.workflow_id})
            return
        old_id = entry.workflow_id
        try:
            await self._load_entry(entry)
        except WorkflowRefused as exc:
            entry.stamp, entry.error = stamp, f"{exc} (the previous version stays armed)"
            log.error("changed workflow not re-armed: %s", exc)
            self._notify("changed", {"workflow_id": entry.workflow_id})
            return
        log.info("%s changed; re-arming %s", entry.path, entry.name)
        if old_id != entry.workflow_id:
            log.info("workflow id changed from %s to %s", old_id, entry.workflow_id)
        await self._arm_entry(entry)
        self._notify("changed", {"workflow_id": entry.workflow_id})

    def _catch_up_missed(self, entry: WorkflowEntry) -> None:
        snap = entry.snapshot
        now = datetime.now(UTC)
        for spec in snap.nodes.values():
            if spec.kind != "schedule" or spec.disabled:
                continue
            last = self.last_fires.get(f"{snap.id}/{spec.id}")
            if last is None:
                continue
            kind = self.registry.get("schedule")
            try:
                config = kind.Config.model_validate(spec.config)  # type: ignore[union-attr]
                missed = next_fire_times_for(config, 1, datetime.fromtimestamp(last, UTC))[0]
            except Exception:
                continue
            if missed >= now:
                continue
            if entry.missed_schedules == "run_once":
                log.info("%s/%s missed its schedule since %s; running once to catch up", entry.name, spec.id, missed)
                with contextlib.suppress(QueueFullError):
                    payload = {"node_id": spec.id, "missed": True, "scheduled_for": missed.isoformat()}
                    self.enqueue(entry, "schedule", payload, trigger_node=spec.id)
                self.last_fires[f"{snap.id}/{spec.id}"] = time.time()
            else:
                log.info(
                    "%s/%s missed its schedule since %s; skipped (missed_schedules=skip)", entry.name, spec.id, missed
                )

    def _load_state(self) -> None:
        try:
            data = json.loads(self.state_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return
        except (OSError, ValueError) as exc:
            log.error("%s is unreadable (%s); starting with no active workflows", self.state_path, exc)
            return
        for item in data.get("workflows", []):
            path = Path(item["path"])
            self.entries[str(path)] = WorkflowEntry(path, active=bool(item.get("active")))
        self.last_fires = {k: float(v) for k, v in data.get("last_fires", {}).items()}
        self.paused = bool(data.get("paused", False))

    def _save_state(self) -> None:
        data = {
            "workflows": [{"path": str(e.path), "active": e.active} for e in self.entries.values()],
            "last_fires": self.last_fires,
            "paused": self.paused,
        }
        self.state_path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.state_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, indent=1), encoding="utf-8")
        os.replace(tmp, self.state_path)
        self._state_dirty = False

    def _mark_dirty(self) -> None:
        self._state_dirty = True
        if self._saver is None or self._saver.done():
            self._saver = self._spawn(self._save_soon())

    async def _save_soon(self) -> None:
        await asyncio.sleep(0.2)
        if self._state_dirty:
            await asyncio.to_thread(self._save_state)

    def _spawn(self, coro: Any) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task


def _with_node(payload: Any, node_id: str) -> Any:
    if isinstance(payload, dict) and "node_id" not in payload:
        return {**payload, "node_id": node_id}
    return payload


def _iso(ts: Any) -> str | None:
    if ts is None:
        return None
    if isinstance(ts, datetime):
        return ts.astimezone(UTC).isoformat()
    return str(ts)
