"""The base every node kind derives from, built-in or plugin.

A kind is a class: its class attributes describe it for the palette and the inspector (title,
category, icon, ports, a pydantic ``Config``), an instance is bound to one validated config and
does the work. A kind knows nothing of the engine: it receives a small ``NodeContext`` and its
inputs, and returns its output (or an ``Emit`` naming the output port it chose).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict

if TYPE_CHECKING:
    import httpx


class NodeCategory(StrEnum):
    TRIGGER = "trigger"
    ACTION = "action"
    OPERATION = "operation"


@dataclass(frozen=True, slots=True)
class Port:
    """A named input or output of a node."""

    name: str
    label: str = ""
    description: str = ""

    @property
    def title(self) -> str:
        return self.label or self.name


ERROR_PORT = Port("error", "error", "Receives the failure when the node's on_error is 'route'.")


class NodeConfig(BaseModel):
    """Base of every kind's Config. Unknown keys are refused so that typos surface."""

    model_config = ConfigDict(extra="forbid", validate_default=True)


class EmptyConfig(NodeConfig):
    """For kinds with nothing to configure."""


@dataclass(frozen=True, slots=True)
class Emit:
    """A node's output sent on chosen output ports only (branch, switch). Other ports are not taken."""

    value: Any
    ports: tuple[str, ...]

    @classmethod
    def on(cls, port: str, value: Any) -> Emit:
        return cls(value=value, ports=(port,))


class NodeError(Exception):
    """An error a node raises on purpose, with a message written for the user.

    ``retryable`` tells the engine whether trying again can help (connection refused, HTTP 5xx/429);
    ``retry_after`` is a server's Retry-After in seconds, which the engine honours.
    """

    def __init__(
        self,
        message: str,
        *,
        retryable: bool = False,
        retry_after: float | None = None,
        details: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.retryable = retryable
        self.retry_after = retry_after
        self.details = dict(details or {})


@runtime_checkable
class NodeContext(Protocol):
    """What a running node may use. The engine provides it; tests may provide their own."""

    node_id: str
    execution_id: str
    workflow_id: str
    logger: logging.Logger | logging.LoggerAdapter[Any]
    secrets: Mapping[str, str]
    trigger: Any

    @property
    def http(self) -> httpx.AsyncClient:
        """The process-wide pooled HTTP client."""
        ...

    async def to_thread(self, func: Callable[..., Any], /, *args: Any) -> Any:
        """Run blocking work off the event loop, in the engine's own pool."""
        ...

    def render(self, template: str, **extra: Any) -> Any:
        """Render a template string against the run's data (same rules as config templates)."""
        ...

    async def run_workflow(self, path: str, input: Any) -> Any:
        """Run another workflow file as a child execution and return its output."""
        ...


@dataclass(slots=True)
class TriggerContext:
    """What an armed trigger gets from the agent: where to report and how to fire a run."""

    workflow_id: str
    node_id: str
    logger: logging.Logger | logging.LoggerAdapter[Any]
    fire: Callable[[Any], Awaitable[Any]]
    services: dict[str, Any] = field(default_factory=dict)


class ArmedTrigger(Protocol):
    """What ``arm`` returns: something the agent can describe and stop."""

    def next_fire_times(self, count: int = 1) -> list[Any]: ...

    async def disarm(self) -> None: ...


class NodeKind:
    """A node kind. Subclasses set the class attributes and implement ``run`` (and ``arm`` for triggers)."""

    kind: ClassVar[str]
    category: ClassVar[NodeCategory]
    kind_version: ClassVar[int] = 1
    Config: ClassVar[type[NodeConfig]] = EmptyConfig
    title: ClassVar[str] = ""
    description: ClassVar[str] = ""
    icon: ClassVar[str] = "node.svg"
    inputs: ClassVar[tuple[Port, ...]] = (Port("in"),)
    outputs: ClassVar[tuple[Port, ...]] = (Port("out"),)
    #: Config field names whose strings the engine renders as templates before ``run``.
    #: ``None`` means every string field.
    template_fields: ClassVar[tuple[str, ...] | None] = None

    def __init__(self, config: NodeConfig) -> None:
        self.config = config

    # --- description -------------------------------------------------------------------------
    @classmethod
    def input_ports(cls, config: Mapping[str, Any] | None = None) -> tuple[Port, ...]:
        """Input ports; a kind whose ports depend on its config overrides this."""
        return cls.inputs

    @classmethod
    def waits_for_all(cls, config: Mapping[str, Any] | None = None) -> bool:
        """True (the default): the node runs once every input that is not skipped has arrived.
        False: it runs with the first input to arrive, and later arrivals are ignored (merge's "first")."""
        return True

    @classmethod
    def output_ports(cls, config: Mapping[str, Any] | None = None) -> tuple[Port, ...]:
        """Output ports; a kind whose ports depend on its config (switch) overrides this."""
        return cls.outputs

    @classmethod
    def display_title(cls) -> str:
        return cls.title or cls.kind.replace("_", " ").title()

    @classmethod
    def migrate_config(cls, config: dict[str, Any], from_version: int) -> dict[str, Any]:
        """Bring a config written for an older ``kind_version`` up to date. Default: unchanged."""
        return config

    # --- behaviour ---------------------------------------------------------------------------
    async def run(self, ctx: NodeContext, inputs: dict[str, Any]) -> Any:
        """Do the node's work. ``inputs`` maps input port -> value (a list when several edges feed it)."""
        raise NodeError(f"node kind '{self.kind}' cannot run yet: it has no behaviour in this version")

    def is_retryable(self, error: BaseException) -> bool:
        """Whether retrying can help. Kinds that talk to networks widen this."""
        return isinstance(error, NodeError) and error.retryable


class TriggerKind(NodeKind):
    """A node that starts runs. It has no inputs; in a run its output is the trigger's payload."""

    category: ClassVar[NodeCategory] = NodeCategory.TRIGGER
    inputs: ClassVar[tuple[Port, ...]] = ()

    async def run(self, ctx: NodeContext, inputs: dict[str, Any]) -> Any:
        return ctx.trigger

    async def arm(self, ctx: TriggerContext) -> ArmedTrigger | None:
        """Start listening; call ``ctx.fire(payload)`` for each event. ``None``: nothing to arm (manual)."""
        return None
