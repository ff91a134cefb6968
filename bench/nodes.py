"""What the built-in nodes cost: fire-time computation, transform throughput, file-watch latency,
the http node against a loopback server (shared client, sequential and concurrent).

Run: .venv/bin/python bench/nodes.py
"""

from __future__ import annotations

import asyncio
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from aiohttp import web

from flowforge_desktop.nodes.builtin.actions import HttpAction
from flowforge_desktop.nodes.builtin.operations import TransformConfig, apply_transform
from flowforge_desktop.nodes.builtin.schedule_times import next_fire_times
from flowforge_desktop.nodes.builtin.testing import FireRecorder, SimpleNodeContext, make
from flowforge_desktop.nodes.builtin.triggers import FileWatchTrigger

ROWS: list[tuple[str, str, str]] = []


def row(what: str, value: str, note: str = "") -> None:
    ROWS.append((what, value, note))


def bench_fire_times() -> None:
    after = datetime(2026, 10, 24, 12, tzinfo=UTC)
    for expr in ("30 2 * * *", "*/5 * * * *", "* * * * * *"):
        for count in (1, 10):
            n = 200
            start = time.perf_counter()
            for _ in range(n):
                next_fire_times("cron", cron_expression=expr, timezone="Europe/Berlin", after=after, count=count)
            per = (time.perf_counter() - start) / n
            row(f"next_fire_times '{expr}' count={count}", f"{per * 1e3:.3f} ms")


def bench_transform() -> None:
    rng = random.Random(1)
    customers = [f"c{i}" for i in range(200)]
    for size in (10_000, 100_000):
        records = [
            {
                "id": i,
                "customer": rng.choice(customers),
                "status": rng.choice(["paid", "open"]),
                "amount": rng.random() * 100,
            }
            for i in range(size)
        ]
        config = TransformConfig.model_validate(
            {
                "steps": [
                    {"op": "filter", "condition": "status == 'paid'"},
                    {
                        "op": "aggregate",
                        "group_by": "customer",
                        "aggregations": {"n": {"fn": "count"}, "total": {"fn": "sum", "field": "amount"}},
                    },
                    {"op": "sort", "by": "total", "descending": True},
                ]
            }
        )
        start = time.perf_counter()
        apply_transform(config, records)
        took = time.perf_counter() - start
        row(f"transform filter+aggregate+sort, {size:,} records", f"{took:.3f} s", f"{size / took:,.0f} records/s")


async def bench_file_watch() -> None:
    with tempfile.TemporaryDirectory() as folder:
        rec = FireRecorder()
        armed = await make(FileWatchTrigger, watch_path=folder, quiet_time=0.0).arm(rec.ctx)
        latencies = []
        for i in range(20):
            start = time.perf_counter()
            Path(folder, f"f{i}.csv").write_text("x" * 100)
            await rec.wait_for(i + 1)
            latencies.append(time.perf_counter() - start)
        await armed.disarm()
    row(
        "file_watch write -> fire (quiet_time 0, floor 0.05 s)",
        f"{statistics.median(latencies) * 1e3:.0f} ms median",
        f"max {max(latencies) * 1e3:.0f} ms, 20 files",
    )


async def bench_http() -> None:
    async def ok(request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_get("/ok", ok)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    node = make(HttpAction, url=f"http://127.0.0.1:{port}/ok")
    async with SimpleNodeContext() as ctx:
        await node.run(ctx, {})  # warm the pool
        n = 300
        start = time.perf_counter()
        for _ in range(n):
            await node.run(ctx, {})
        seq = time.perf_counter() - start
        start = time.perf_counter()
        await asyncio.gather(*(node.run(ctx, {}) for _ in range(n)))
        par = time.perf_counter() - start
    await runner.cleanup()
    row(f"http node GET loopback, {n} sequential", f"{seq / n * 1e3:.2f} ms/request", f"{n / seq:,.0f} requests/s")
    row(f"http node GET loopback, {n} concurrent", f"{par:.2f} s total", f"{n / par:,.0f} requests/s (pool of 100)")


def main() -> None:
    bench_fire_times()
    bench_transform()
    asyncio.run(bench_file_watch())
    asyncio.run(bench_http())
    width = max(len(r[0]) for r in ROWS)
    vwidth = max(len(r[1]) for r in ROWS)
    print(f"{'measure':<{width}}  {'value':<{vwidth}}  note")
    print("-" * (width + vwidth + 30))
    for what, value, note in ROWS:
        print(f"{what:<{width}}  {value:<{vwidth}}  {note}")


if __name__ == "__main__":
    main()
