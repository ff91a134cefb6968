"""The debugger core: a gate the scheduler awaits before it starts a node.

On a parallel DAG several nodes can become ready at once. They line up at the gate in the order
they became ready (which is deterministic: the order their last input arrived, ties in file order),
and exactly one of them is *the paused node* at a time. Step releases that one node and pauses at the
next; Continue releases everything until the next breakpoint; Run to releases everything until a
chosen node. A pause holds only its own run: other runs never go through this gate.

Breakpoints sit on nodes (pause before the node runs) or on edges (pause before the edge's target
runs with the input that came over that edge).
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class StopRequested(Exception):
    """The user pressed Stop at a pause."""


class DebugMode(StrEnum):
    RUN = "run"  # only breakpoints pause
    STEP = "step"  # every node pauses
    RUN_TO = "run_to"  # pause at the target (and at breakpoints)


@dataclass(slots=True)
class Pause:
    """The node waiting at the gate: its input can be read and replaced before it runs."""

    node_id: str
    input: Any
    reason: str
    #: edges (source, target) over which its input arrived
    via: tuple[tuple[str, str], ...] = ()
    future: asyncio.Future[Any] | None = None
    edited: bool = False


@dataclass(slots=True)
class _Waiter:
    node_id: str
    input: Any
    via: tuple[tuple[str, str], ...]
    future: asyncio.Future[tuple[str, Any]]


@dataclass(slots=True)
class Debugger:
    """One per debug run. The UI (or the terminal debugger) calls step/continue_/run_to/stop."""

    breakpoints: set[str] = field(default_factory=set)
    edge_breakpoints: set[tuple[str, str]] = field(default_factory=set)
    mode: DebugMode = DebugMode.RUN
    run_to_target: str | None = None
    #: called with the Pause when a node pauses (the engine turns it into a NodePaused event)
    on_pause: Callable[[Pause], None] | None = None
    paused: Pause | None = None
    _line: deque[_Waiter] = field(default_factory=deque)
    _pause_requested: bool = False
    _stopped: bool = False

    # ------------------------------------------------------------------ configuration ---
    def toggle_breakpoint(self, node_id: str) -> bool:
        if node_id in self.breakpoints:
            self.breakpoints.discard(node_id)
            return False
        self.breakpoints.add(node_id)
        return True

    def toggle_edge_breakpoint(self, source: str, target: str) -> bool:
        edge = (source, target)
        if edge in self.edge_breakpoints:
            self.edge_breakpoints.discard(edge)
            return False
        self.edge_breakpoints.add(edge)
        return True

    # ------------------------------------------------------------------------ gate ------
    def _reason(self, node_id: str, via: Iterable[tuple[str, str]]) -> str | None:
        if self._pause_requested:
            return "pause"
        if self.mode is DebugMode.STEP:
            return "step"
        if node_id in self.breakpoints:
            return "breakpoint"
        for edge in via:
            if edge in self.edge_breakpoints:
                return f"breakpoint on edge {edge[0]} -> {edge[1]}"
        if self.mode is DebugMode.RUN_TO and node_id == self.run_to_target:
            return "run to here"
        return None

    async def gate(self, node_id: str, input: Any, via: tuple[tuple[str, str], ...] = ()) -> Any:
        """Await before running ``node_id``; returns the (possibly edited) input."""
        if self._stopped:
            raise StopRequested
        if self.paused is None and not self._line and self._reason(node_id, via) is None:
            return input
        loop = asyncio.get_running_loop()
        waiter = _Waiter(node_id, input, via, loop.create_future())
        self._line.append(waiter)
        self._advance()
        action, value = await waiter.future
        if action == "stop":
            raise StopRequested
        return value

    def _advance(self) -> None:
        """Release waiters that need no pause; make the first one that does the paused node."""
        while self.paused is None and self._line:
            waiter = self._line[0]
            reason = self._reason(waiter.node_id, waiter.via)
            self._line.popleft()
            if reason is None:
                waiter.future.set_result(("run", waiter.input))
                continue
            self._pause_requested = False
            if self.mode is DebugMode.RUN_TO and waiter.node_id == self.run_to_target:
                self.mode, self.run_to_target = DebugMode.RUN, None
            self.paused = Pause(waiter.node_id, waiter.input, reason, waiter.via, waiter.future)
            if self.on_pause is not None:
                self.on_pause(self.paused)

    def _release(self, action: str = "run") -> None:
        pause, self.paused = self.paused, None
        if pause is not None and pause.future is not None and not pause.future.done():
            pause.future.set_result((action, pause.input))

    # --------------------------------------------------------------------- commands -----
    def set_input(self, value: Any) -> None:
        """Replace the paused node's input; the node runs with it when released."""
        if self.paused is None:
            raise RuntimeError("no node is paused")
        self.paused.input = value
        self.paused.edited = True

    def step(self) -> None:
        """Run the paused node, then pause before the next node that starts."""
        self.mode = DebugMode.STEP
        self._release()
        self._advance()

    def continue_(self) -> None:
        """Run until the next breakpoint."""
        self.mode = DebugMode.RUN
        self._release()
        self._advance()

    def run_to(self, node_id: str) -> None:
        """Run until ``node_id`` is about to start (breakpoints still pause on the way)."""
        self.mode, self.run_to_target = DebugMode.RUN_TO, node_id
        self._release()
        self._advance()

    def pause(self) -> None:
        """Pause before the next node that starts."""
        self._pause_requested = True
        self._advance()

    def stop(self) -> None:
        """Stop the run at the gate: the paused node and everything waiting are not run."""
        self._stopped = True
        self._release("stop")
        while self._line:
            waiter = self._line.popleft()
            if not waiter.future.done():
                waiter.future.set_result(("stop", None))

    @property
    def waiting(self) -> list[str]:
        """Nodes lined up behind the paused one."""
        return [w.node_id for w in self._line]
