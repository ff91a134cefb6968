"""What a run looks like from outside: its events folded into per-node records.

The canvas badges, the status bar, the Data dock and the Profiling dock all read a ``RunView``; a
live run feeds it events, a past run is rebuilt from the history rows. No Qt here: it is the model
the docks draw.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

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
from flowforge_desktop.model.changes import Connection

_DONE = {NodeState.SUCCEEDED, NodeState.FAILED, NodeState.SKIPPED, NodeState.CANCELLED, NodeState.PINNED}


@dataclass(slots=True)
class NodeRecord:
    state: NodeState = NodeState.PENDING
    input: Any = None
    output: Any = None
    error: dict[str, Any] | None = None
    attempts: int = 0
    queued_at: float | None = None
    started_at: float | None = None
    finished_at: float | None = None
    duration: float = 0.0
    cpu_time: float = 0.0
    ports: tuple[str, ...] = ()
    reused: bool = False
    truncated: bool = False
    memory_peak: int | None = None
    pause_reason: str = ""
    _output_size: int | None = None

    @property
    def queue_wait(self) -> float:
        if self.queued_at is None or self.started_at is None:
            return 0.0
        return max(0.0, self.started_at - self.queued_at)

    @property
    def output_size(self) -> int:
        """Size of the output as JSON, in bytes (computed once, when first asked)."""
        if self._output_size is None:
            self._output_size = len(json.dumps(self.output, default=str).encode()) if self.output is not None else 0
        return self._output_size


@dataclass(slots=True)
class RunView:
    execution_id: str
    workflow_id: str = ""
    workflow_name: str = ""
    status: RunStatus = RunStatus.RUNNING
    trigger: str = ""
    started_at: float = 0.0
    finished_at: float | None = None
    error: str | None = None
    failed_node: str | None = None
    node_count: int = 0
    nodes: dict[str, NodeRecord] = field(default_factory=dict)
    paused: str | None = None
    logs: list[LogLine] = field(default_factory=list)
    #: (node id, attempt, error, delay) for each retry
    retries: list[tuple[str, int, str, float]] = field(default_factory=list)

    def node(self, node_id: str) -> NodeRecord:
        rec = self.nodes.get(node_id)
        if rec is None:
            rec = self.nodes[node_id] = NodeRecord()
        return rec

    # ------------------------------------------------------------------- folding ---
    def apply(self, event: Event) -> None:
        if isinstance(event, NodeFinished):
            rec = self.node(event.node_id)
            rec.state = event.state
            rec.input = event.input if event.input is not None else rec.input
            rec.output = event.output
            rec.error = event.error
            rec.attempts = event.attempts
            rec.queued_at = event.queued_at
            rec.started_at = event.started_at
            rec.finished_at = event.at
            rec.duration = event.duration
            rec.cpu_time = event.cpu_time
            rec.ports = event.ports
            rec.reused = event.reused
            rec.memory_peak = event.memory_peak
            rec._output_size = None
            if self.paused == event.node_id:
                self.paused = None
        elif isinstance(event, NodeStarted):
            rec = self.node(event.node_id)
            rec.state = NodeState.RUNNING
            rec.input = event.input
            rec.attempts = event.attempt
            if rec.started_at is None:
                rec.started_at = event.at
            if self.paused == event.node_id:
                self.paused = None
        elif isinstance(event, NodeQueued):
            rec = self.node(event.node_id)
            rec.state = NodeState.QUEUED
            rec.queued_at = event.at
        elif isinstance(event, NodePaused):
            rec = self.node(event.node_id)
            rec.state = NodeState.PAUSED
            rec.input = event.input
            rec.pause_reason = event.reason
            self.paused = event.node_id
        elif isinstance(event, NodeRetrying):
            self.retries.append((event.node_id, event.attempt, event.error, event.delay))
        elif isinstance(event, LogLine):
            self.logs.append(event)
        elif isinstance(event, RunStarted):
            self.workflow_id = event.workflow_id
            self.workflow_name = event.workflow_name
            self.trigger = event.trigger
            self.started_at = event.at
            self.node_count = event.node_count
            self.status = RunStatus.RUNNING
        elif isinstance(event, RunFinished):
            self.status = event.status
            self.finished_at = event.at
            self.error = event.error
            self.failed_node = event.failed_node
            self.paused = None

    @classmethod
    def from_history(cls, execution: Mapping[str, Any], node_runs: Iterable[Mapping[str, Any]]) -> RunView:
        """Rebuild a past run from the store's rows (Executions dock, "open a recent run")."""
        view = cls(
            execution_id=execution["id"],
            workflow_id=execution.get("workflow_id", ""),
            workflow_name=execution.get("workflow_name", ""),
            status=RunStatus(execution.get("status", "succeeded")),
            trigger=execution.get("trigger", ""),
            started_at=execution.get("started_at") or execution.get("created_at") or 0.0,
            finished_at=execution.get("finished_at"),
            error=execution.get("error"),
            failed_node=execution.get("failed_node"),
            node_count=execution.get("node_count", 0),
        )
        for row in node_runs:
            rec = view.node(row["node_id"])
            rec.state = NodeState(row["state"]) if row["state"] in NodeState.__members__.values() else NodeState.PENDING
            rec.input = row.get("input")
            rec.output = row.get("output")
            rec.error = row.get("error")
            rec.attempts = row.get("attempts") or 0
            rec.queued_at = row.get("queued_at")
            rec.started_at = row.get("started_at")
            rec.finished_at = row.get("finished_at")
            rec.duration = row.get("duration") or 0.0
            rec.cpu_time = row.get("cpu_time") or 0.0
            rec.ports = tuple(row.get("ports") or ())
            rec.reused = bool(row.get("reused"))
            rec.truncated = bool(row.get("truncated"))
        return view

    # ------------------------------------------------------------------- reading ---
    @property
    def running(self) -> bool:
        return self.status in (RunStatus.RUNNING, RunStatus.QUEUED)

    def progress(self) -> tuple[int, int, int]:
        """(finished nodes, all nodes, running nodes)."""
        done = sum(1 for r in self.nodes.values() if r.state in _DONE)
        running = sum(1 for r in self.nodes.values() if r.state is NodeState.RUNNING)
        return done, max(self.node_count, len(self.nodes)), running

    def elapsed(self, now: float) -> float:
        end = self.finished_at if self.finished_at is not None else now
        return max(0.0, end - self.started_at) if self.started_at else 0.0

    def items_on(self, conn: Connection) -> int | None:
        """How many items passed over a connection: a list counts its length, anything else 1."""
        rec = self.nodes.get(conn.source)
        if rec is None or conn.from_port not in rec.ports:
            return None
        out = rec.output
        return len(out) if isinstance(out, list) else 1

    def critical_path(self, graph: nx.DiGraph) -> list[str]:
        """The chain of nodes that decided the run's length: longest path weighted by duration + queue wait.

        One pass in topological order over the nodes that ran (Kahn's algorithm on plain dicts: a
        10,000-node run takes milliseconds, not the half second networkx subgraph views cost).
        """
        ran = {n for n, r in self.nodes.items() if r.started_at is not None and n in graph}
        if not ran:
            return []
        preds = {n: [p for p in graph.pred[n] if p in ran] for n in ran}
        succs: dict[str, list[str]] = {n: [] for n in ran}
        for n, ps in preds.items():
            for p in ps:
                succs[p].append(n)
        waiting = {n: len(ps) for n, ps in preds.items()}
        ready = [n for n, k in waiting.items() if k == 0]
        best: dict[str, tuple[float, str | None]] = {}
        while ready:
            node = ready.pop()
            rec = self.nodes[node]
            base, parent = max(((best[p][0], p) for p in preds[node]), default=(0.0, None))
            best[node] = (base + rec.duration + rec.queue_wait, parent)
            for nxt in succs[node]:
                waiting[nxt] -= 1
                if waiting[nxt] == 0:
                    ready.append(nxt)
        end = max(best, key=lambda n: best[n][0])
        path = [end]
        while (parent := best[path[-1]][1]) is not None:
            path.append(parent)
        return path[::-1]
