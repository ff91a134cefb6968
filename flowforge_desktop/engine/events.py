"""The engine's typed event stream. The store, the UI bridge, the log panel and the profiler subscribe.

Events are small frozen dataclasses with wall-clock timestamps (``time.time()``) so that they can
be written to history as they are, and monotonic durations where a duration is meant.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class NodeState(StrEnum):
    PENDING = "pending"
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    SKIPPED = "skipped"
    CANCELLED = "cancelled"
    PINNED = "pinned"
    PAUSED = "paused"


class RunStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    INTERRUPTED = "interrupted"


@dataclass(frozen=True, slots=True)
class RunStarted:
    execution_id: str
    workflow_id: str
    workflow_name: str
    trigger: str
    node_count: int
    at: float
    parent_execution_id: str | None = None
    #: the trigger node that started the run and its payload (None: every trigger / a manual click)
    trigger_node: str | None = None
    payload: Any = None
    #: the frozen WorkflowSnapshot the run executes; the store serialises it off the loop thread
    definition: Any = None


@dataclass(frozen=True, slots=True)
class RunFinished:
    execution_id: str
    workflow_id: str
    status: RunStatus
    at: float
    duration: float
    error: str | None = None
    failed_node: str | None = None


@dataclass(frozen=True, slots=True)
class NodeQueued:
    execution_id: str
    node_id: str
    at: float


@dataclass(frozen=True, slots=True)
class NodeStarted:
    execution_id: str
    node_id: str
    attempt: int
    input: Any
    at: float


@dataclass(frozen=True, slots=True)
class NodeRetrying:
    execution_id: str
    node_id: str
    attempt: int
    error: str
    delay: float
    at: float


@dataclass(frozen=True, slots=True)
class NodeFinished:
    execution_id: str
    node_id: str
    state: NodeState
    at: float
    input: Any = None
    output: Any = None
    error: dict[str, Any] | None = None
    attempts: int = 0
    queued_at: float | None = None
    started_at: float | None = None
    duration: float = 0.0
    cpu_time: float = 0.0
    #: output ports the node's output went out on (empty for failed/skipped nodes)
    ports: tuple[str, ...] = ()
    #: True when the output was taken from an earlier execution instead of running the node
    reused: bool = False
    #: peak bytes allocated while the node ran (only when the run traces memory)
    memory_peak: int | None = None


@dataclass(frozen=True, slots=True)
class NodePaused:
    execution_id: str
    node_id: str
    input: Any
    reason: str
    at: float


@dataclass(frozen=True, slots=True)
class LogLine:
    execution_id: str | None
    node_id: str | None
    level: str
    message: str
    at: float
    workflow_id: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


Event = RunStarted | RunFinished | NodeQueued | NodeStarted | NodeRetrying | NodeFinished | NodePaused | LogLine
