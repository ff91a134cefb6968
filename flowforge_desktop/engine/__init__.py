"""The asyncio engine: scheduling, data passing, templates, retries, limits, the debugger gate, events."""

from flowforge_desktop.engine.debugger import Debugger, DebugMode, Pause
from flowforge_desktop.engine.engine import Engine, plan_from, plan_up_to, stale_nodes
from flowforge_desktop.engine.events import Event, NodeState, RunStatus
from flowforge_desktop.engine.run import Reused, Run, RunResult

__all__ = [
    "DebugMode",
    "Debugger",
    "Engine",
    "Event",
    "NodeState",
    "Pause",
    "Reused",
    "Run",
    "RunResult",
    "RunStatus",
    "plan_from",
    "plan_up_to",
    "stale_nodes",
]
