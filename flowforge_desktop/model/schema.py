"""Pydantic models of the workflow file format, version 1.

These models are the boundary between a JSON file and the in-memory document. They describe
the shape of a workflow; whether a node's ``config`` fits its kind is checked against the kind's
own Config model (see ``validation.py``), because kinds come from plugins the format cannot know.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

FORMAT_NAME = "flowforge.workflow"
FORMAT_VERSION = 1

NODE_ID_PATTERN = r"^[A-Za-z_][A-Za-z0-9_\-]{0,63}$"
_NODE_ID_RE = re.compile(NODE_ID_PATTERN)

NodeType = Literal["trigger", "action", "operation"]
NODE_TYPES: tuple[str, ...] = ("trigger", "action", "operation")
OnError = Literal["stop", "continue", "route"]

NodeId = Annotated[
    str,
    Field(
        pattern=NODE_ID_PATTERN,
        description="Stable id of the node; connections, templates and history key on it, never on the name.",
    ),
]


def is_valid_node_id(value: str) -> bool:
    return bool(_NODE_ID_RE.match(value))


class _Strict(BaseModel):
    """Unknown keys are refused so that a typo ("max_paralel_nodes") is reported, not ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class RetryPolicy(_Strict):
    """Retries for one node. Overrides a kind's own ``retry_count`` / ``retry_delay`` config keys."""

    retry_count: int = Field(0, ge=0, le=100, description="How many times to retry after the first attempt.")
    retry_delay: float = Field(1.0, ge=0, description="Base delay in seconds; doubles each attempt.")
    max_delay: float = Field(60.0, ge=0, description="Upper bound of one delay, in seconds.")
    jitter: bool = Field(True, description="Full jitter: each delay is drawn uniformly from 0..delay.")


class CircuitBreakerSettings(_Strict):
    failure_threshold: int = Field(5, ge=1, description="Consecutive failures that open the breaker.")
    recovery_timeout: float = Field(60.0, gt=0, description="Seconds open before one trial call.")


class RateLimit(_Strict):
    rate: float = Field(..., gt=0, description="Calls allowed per `per` seconds.")
    per: float = Field(1.0, gt=0, description="Window of `rate`, in seconds.")
    burst: int | None = Field(None, ge=1, description="Bucket size; defaults to ceil(rate).")


class WorkflowSettings(_Strict):
    max_parallel_nodes: int = Field(4, ge=1, le=1024, description="Nodes of one run that may run at once.")
    timezone: str = Field("UTC", description="IANA time zone for schedules and `{{ now }}`.")
    run_timeout: float | None = Field(None, gt=0, description="Seconds before a whole run is cancelled.")
    error_workflow: str | None = Field(
        None, description="Path of a workflow file run with the failure's details when a run fails."
    )
    missed_schedules: Literal["skip", "run_once"] = Field(
        "skip", description="After downtime: skip missed schedule fires, or run once to catch up."
    )
    priority: int = Field(0, ge=-100, le=100, description="Higher runs first when the agent's queue is busy.")
    circuit_breaker: CircuitBreakerSettings = Field(default_factory=CircuitBreakerSettings)
    rate_limits: dict[str, RateLimit] = Field(
        default_factory=dict, description="Token buckets by host name or by a node's `rate_limit_key`."
    )

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone '{value}' (use an IANA name such as 'Europe/Berlin')") from None
        return value


class NodeSpec(_Strict):
    """One node as written in the file."""

    id: NodeId
    type: NodeType = Field(..., description="The seed's category: trigger, action or operation.")
    kind: str = Field(..., min_length=1, description="Registered node kind, e.g. 'http'.")
    kind_version: int = Field(1, ge=1, description="Version of the kind's config layout.")
    name: str = Field("", description="Display name; free to change, nothing keys on it.")
    config: dict[str, Any] = Field(default_factory=dict, description="Settings checked by the kind's Config.")
    position: tuple[float, float] = Field((0.0, 0.0), description="Canvas position [x, y].")
    disabled: bool = Field(False, description="A disabled node passes its input through untouched.")
    notes: str = Field("", description="Free text shown in the inspector.")
    retry: RetryPolicy | None = None
    timeout: float | None = Field(None, gt=0, description="Seconds before one attempt is cancelled.")
    on_error: OnError = Field("stop", description="stop the run, continue past the node, or route to `error`.")
    rate_limit_key: str | None = Field(None, description="Share a breaker and rate limit under this key.")


class ConnectionSpec(BaseModel):
    """An edge. ``from``/``to`` are Python keywords, hence the aliases."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    source: NodeId = Field(..., alias="from")
    target: NodeId = Field(..., alias="to")
    from_port: str = Field("out", min_length=1)
    to_port: str = Field("in", min_length=1)


class StickyNote(_Strict):
    id: str = Field(..., min_length=1)
    text: str = ""
    position: tuple[float, float] = (0.0, 0.0)
    size: tuple[float, float] = (200.0, 120.0)
    color: str = "#fff59d"


class Group(_Strict):
    id: str = Field(..., min_length=1)
    title: str = ""
    nodes: tuple[NodeId, ...] = ()
    color: str = "#90caf9"


class WorkflowFile(_Strict):
    """The whole file. ``connections`` is required, like the seed's validator demands."""

    format: Literal["flowforge.workflow"] = FORMAT_NAME
    version: Literal[1] = FORMAT_VERSION
    id: str = Field(..., min_length=1)
    name: str = ""
    settings: WorkflowSettings = Field(default_factory=WorkflowSettings)
    nodes: list[NodeSpec]
    connections: list[ConnectionSpec]
    pinned: dict[NodeId, Any] = Field(default_factory=dict, description="node id -> output used instead.")
    groups: list[Group] = Field(default_factory=list)
    notes: list[StickyNote] = Field(default_factory=list)
