"""The agent's health figures, from one function: GET /health/detailed and the UI's Health dock both call it."""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections import deque
from datetime import UTC, datetime
from typing import Any

import psutil

from flowforge_desktop import __version__

_PROCESS = psutil.Process(os.getpid())
_STARTED = time.time()


class LoopLagMonitor:
    """How late the event loop wakes a sleeper: the lag every other coroutine suffers too."""

    def __init__(self, interval: float = 0.25, keep: int = 240) -> None:
        self.interval = interval
        self.samples: deque[float] = deque(maxlen=keep)
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._tick(), name="loop-lag-monitor")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _tick(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            before = loop.time()
            await asyncio.sleep(self.interval)
            self.samples.append(max(0.0, loop.time() - before - self.interval))

    def figures(self) -> dict[str, float | None]:
        if not self.samples:
            return {"lag_ms": None, "max_lag_ms": None}
        return {"lag_ms": round(self.samples[-1] * 1000, 2), "max_lag_ms": round(max(self.samples) * 1000, 2)}


def _iso(ts: Any) -> str | None:
    if ts is None:
        return None
    if isinstance(ts, datetime):
        return ts.astimezone(UTC).isoformat()
    try:
        return datetime.fromtimestamp(float(ts), UTC).isoformat()
    except (TypeError, ValueError):
        return str(ts)


def process_figures() -> dict[str, Any]:
    with _PROCESS.oneshot():
        mem = _PROCESS.memory_info()
        return {
            "pid": _PROCESS.pid,
            "cpu_percent": _PROCESS.cpu_percent(interval=None),
            "memory_rss_mb": round(mem.rss / 1024 / 1024, 1),
            "threads": _PROCESS.num_threads(),
            "uptime_s": round(time.time() - _STARTED, 1),
        }


def health_snapshot(
    *,
    supervisor: Any = None,
    engine: Any = None,
    store: Any = None,
    lag: LoopLagMonitor | None = None,
    server: Any = None,
) -> dict[str, Any]:
    """Everything the Health dock and /health/detailed show. Any part may be missing (None)."""
    problems: list[str] = []
    data: dict[str, Any] = {
        "status": "ok",
        "version": __version__,
        "time": datetime.now(UTC).isoformat(),
        "process": process_figures(),
        "event_loop": lag.figures() if lag else {"lag_ms": None, "max_lag_ms": None},
    }
    if supervisor is not None:
        queue = supervisor.queue_figures()
        data["executions"] = queue
        triggers = []
        for slot in supervisor.trigger_slots():
            nxt = slot.next_fire_time()
            triggers.append(
                {
                    "workflow_id": slot.workflow_id,
                    "workflow_name": slot.workflow_name,
                    "node_id": slot.node_id,
                    "kind": slot.kind,
                    "state": slot.state,
                    "next_fire": _iso(nxt),
                    "fires": slot.fires,
                    "error": slot.error,
                }
            )
            if slot.state == "error":
                problems.append(f"trigger {slot.workflow_name}/{slot.node_id}: {slot.error}")
        data["triggers"] = triggers
        data["triggers_paused"] = supervisor.paused
        data["workflows"] = {
            "known": len(supervisor.entries),
            "active": sum(1 for e in supervisor.entries.values() if e.active),
        }
        if queue.get("overflowed"):
            problems.append(f"{queue['overflowed']} fired run(s) were refused because the queue was full")
    elif engine is not None:
        data["executions"] = {"running": len(engine.running()), "queued": 0}
    if engine is not None:
        try:
            data.update(engine.resilience.snapshot())
        except Exception as exc:  # a dock must still show the rest
            data["resilience_error"] = str(exc)
    if store is not None:
        try:
            data["store"] = {"size_bytes": store.size_bytes(), "path": str(getattr(store, "path", "") or "")}
        except Exception as exc:
            data["store"] = {"error": str(exc)}
            problems.append(f"history store: {exc}")
    if server is not None:
        data["server"] = {"url": server.url, "webhooks": sorted(server.webhooks), "requests": server.requests_served}
    lag_now = data["event_loop"].get("lag_ms")
    if lag_now is not None and lag_now > 500:
        problems.append(f"event loop lag {lag_now} ms")
    if problems:
        data["status"] = "degraded"
        data["problems"] = problems
    return data
