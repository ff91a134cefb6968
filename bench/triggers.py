"""Trigger-to-run latency of the agent, and its idle memory. Prints a table; asserts nothing.

  webhook request -> run started   a client thread POSTs signed webhooks to the real aiohttp server
  file created -> run started      a real folder, watchdog, quiet_time 0
  schedule lateness                interval and 6-field (seconds) cron schedules: RunStarted - scheduled time
  idle RSS                         the agent process with 50 armed workflows (schedule + webhook + file watch)

Run: .venv/bin/python bench/triggers.py   (about 30 s)
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import psutil

TMP = Path(tempfile.mkdtemp(prefix="ff-bench-"))
for var, sub in (("XDG_CONFIG_HOME", "config"), ("XDG_DATA_HOME", "data"), ("XDG_STATE_HOME", "state")):
    os.environ[var] = str(TMP / sub)
os.environ["FLOWFORGE_DATA_DIR"] = str(TMP / "ffdata")
os.environ["FLOWFORGE_CONFIG_DIR"] = str(TMP / "ffconfig")
os.environ["FLOWFORGE_LOG_DIR"] = str(TMP / "fflog")

from flowforge_desktop.agent.config import AgentConfig  # noqa: E402
from flowforge_desktop.agent.runtime import Agent  # noqa: E402
from flowforge_desktop.engine.events import RunStarted  # noqa: E402
from flowforge_desktop.nodes.builtin.webhook_auth import sign  # noqa: E402


def workflow(path: Path, wf_id: str, nodes: list[dict[str, Any]]) -> Path:
    path.write_text(
        json.dumps(
            {
                "format": "flowforge.workflow",
                "version": 1,
                "id": wf_id,
                "name": wf_id,
                "settings": {},
                "nodes": nodes,
                "connections": [],
            }
        )
    )
    return path


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(q * (len(values) - 1)))]


class Starts:
    """RunStarted events by trigger, stamped with time.time() by the engine."""

    def __init__(self, agent: Agent) -> None:
        self.events: list[RunStarted] = []
        agent.engine.subscribe(lambda e: self.events.append(e) if isinstance(e, RunStarted) else None)

    async def wait_count(self, n: int, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while len(self.events) < n and time.monotonic() < deadline:
            await asyncio.sleep(0.005)


async def bench_webhook(agent: Agent, starts: Starts, n: int = 200) -> list[float]:
    await agent.supervisor.add(
        workflow(
            TMP / "hook.json",
            "hook",
            [{"id": "in", "type": "trigger", "kind": "webhook", "config": {"webhook_id": "bench", "secret": "s"}}],
        )
    )
    url = f"{agent.server.url}/webhooks/bench"
    sent: list[float] = []

    def client() -> None:  # a separate thread: the client does not share the agent's loop
        with httpx.Client() as c:
            for i in range(n):
                body = json.dumps({"i": i}).encode()
                headers = {"X-Signature": sign("s", body), "Content-Type": "application/json"}
                sent.append(time.time())
                c.post(url, content=body, headers=headers)

    base = len(starts.events)
    await asyncio.to_thread(client)
    await starts.wait_count(base + n)
    started = [e.at for e in starts.events[base : base + n]]
    return [(s - t) * 1000 for s, t in zip(started, sent, strict=True)]


async def bench_file(agent: Agent, starts: Starts, n: int = 40) -> list[float]:
    inbox = TMP / "inbox"
    inbox.mkdir()
    await agent.supervisor.add(
        workflow(
            TMP / "watch.json",
            "watch",
            [
                {
                    "id": "w",
                    "type": "trigger",
                    "kind": "file_watch",
                    "config": {"watch_path": str(inbox), "file_pattern": "*.csv", "quiet_time": 0},
                }
            ],
        )
    )
    out: list[float] = []
    for i in range(n):
        base = len(starts.events)
        t0 = time.time()
        (inbox / f"f{i}.csv").write_text("a,b\n1,2\n")
        await starts.wait_count(base + 1, timeout=10)
        if len(starts.events) > base:
            out.append((starts.events[base].at - t0) * 1000)
        await asyncio.sleep(0.05)
    return out


async def bench_schedule(agent: Agent, starts: Starts, kind: str, config: dict[str, Any], n: int) -> list[float]:
    base = len(starts.events)
    entry = await agent.supervisor.add(
        workflow(TMP / f"{kind}.json", kind, [{"id": "t", "type": "trigger", "kind": "schedule", "config": config}])
    )
    await starts.wait_count(base + n, timeout=n * 2 + 5)
    await agent.supervisor.set_active(str(entry.path), False)
    late = []
    for e in starts.events[base : base + n]:
        scheduled = (e.payload or {}).get("scheduled_for") if hasattr(e, "payload") else None
        if scheduled:
            late.append((e.at - datetime.fromisoformat(scheduled).timestamp()) * 1000)
    return late


async def bench_idle_rss(n: int = 50) -> tuple[float, float]:
    agent = Agent(AgentConfig(api_port=0, key_storage="file"), state_dir=TMP / "idle-state")
    before = psutil.Process().memory_info().rss / 2**20
    await agent.start()
    for i in range(n):
        folder = TMP / f"idle{i}"
        folder.mkdir()
        await agent.supervisor.add(
            workflow(
                TMP / f"idle{i}.json",
                f"idle{i}",
                [
                    {
                        "id": "s",
                        "type": "trigger",
                        "kind": "schedule",
                        "config": {
                            "schedule_type": "cron",
                            "cron_expression": "0 3 * * *",
                            "timezone": "Europe/Berlin",
                        },
                    },
                    {"id": "h", "type": "trigger", "kind": "webhook", "config": {"webhook_id": f"idle{i}"}},
                    {"id": "f", "type": "trigger", "kind": "file_watch", "config": {"watch_path": str(folder)}},
                ],
            )
        )
    armed = sum(1 for s in agent.supervisor.trigger_slots() if s.state == "armed")
    await asyncio.sleep(2)
    rss = psutil.Process().memory_info().rss / 2**20
    await agent.stop(grace=0)
    agent.close_store()
    print(f"  ({armed} triggers armed; RSS before the agent started: {before:.0f} MB)")
    return rss, before


async def main() -> None:
    agent = Agent(
        AgentConfig(api_port=0, key_storage="file", queue_size=1000, max_concurrent_runs=8), state_dir=TMP / "state"
    )
    await agent.start()
    starts = Starts(agent)
    rows: list[tuple[str, str, str, str]] = []
    hook = await bench_webhook(agent, starts)
    rows.append(
        ("webhook -> run started p50", f"{statistics.median(hook):.2f} ms", "≤ 5 ms", _ok(statistics.median(hook) <= 5))
    )
    rows.append(("webhook -> run started p95", f"{pct(hook, 0.95):.2f} ms", "≤ 200 ms", _ok(pct(hook, 0.95) <= 200)))
    files = await bench_file(agent, starts)
    rows.append(
        (
            "file created -> run started p95",
            f"{pct(files, 0.95):.1f} ms ({len(files)} files)",
            "≤ 200 ms",
            _ok(pct(files, 0.95) <= 200),
        )
    )
    interval = await bench_schedule(
        agent, starts, "interval", {"schedule_type": "interval", "interval_seconds": 0.25}, 20
    )
    rows.append(
        (
            "interval lateness p95 / max",
            f"{pct(interval, 0.95):.1f} / {max(interval):.1f} ms",
            "≤ 100 ms",
            _ok(max(interval) <= 100),
        )
    )
    cron = await bench_schedule(agent, starts, "cron", {"schedule_type": "cron", "cron_expression": "* * * * * *"}, 5)
    if cron:
        rows.append(
            (
                "cron (every second) lateness max",
                f"{max(cron):.1f} ms ({len(cron)} fires)",
                "≤ 100 ms",
                _ok(max(cron) <= 100),
            )
        )
    await agent.stop(grace=0)
    agent.close_store()
    rss, _before = await bench_idle_rss()
    rows.append(("idle RSS, 50 armed workflows", f"{rss:.0f} MB", "≤ 150 MB", _ok(rss <= 150)))

    width = max(len(r[0]) for r in rows)
    print(f"\n{'measure':<{width}}  {'value':<26} {'target':<10} ok")
    for name, value, target, ok in rows:
        print(f"{name:<{width}}  {value:<26} {target:<10} {ok}")
    print(f"\nPython {sys.version.split()[0]}, {os.cpu_count()} CPUs")


def _ok(flag: bool) -> str:
    return "yes" if flag else "NO"


if __name__ == "__main__":
    asyncio.run(main())
