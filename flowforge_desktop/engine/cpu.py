"""Per-node CPU time on a shared event loop.

Coroutines of many nodes interleave on one thread, so ``thread_time()`` before and after a node says
nothing about that node. Instead the node's coroutine is stepped by a thin driver that reads the
thread's CPU clock around each step: exactly the CPU the node used on the loop. Work a node sends
to a thread is measured in that thread and added by ``Run.to_thread``.
"""

from __future__ import annotations

import time
import types
from collections.abc import Coroutine, Generator
from typing import Any


class CpuMeter:
    __slots__ = ("cpu",)

    def __init__(self) -> None:
        self.cpu = 0.0


@types.coroutine
def metered(coro: Coroutine[Any, Any, Any], meter: CpuMeter) -> Generator[Any, Any, Any]:
    """Await ``coro`` while adding the CPU time of each of its steps to ``meter``."""
    clock = time.thread_time
    send, throw = coro.send, coro.throw
    value: Any = None
    error: BaseException | None = None
    while True:
        started = clock()
        try:
            yielded = send(value) if error is None else throw(error)
        except StopIteration as stop:
            meter.cpu += clock() - started
            return stop.value
        except BaseException:
            meter.cpu += clock() - started
            raise
        meter.cpu += clock() - started
        value, error = None, None
        try:
            value = yield yielded
        except GeneratorExit:
            coro.close()
            raise
        except BaseException as exc:  # cancellation and errors thrown in by the task
            error = exc
