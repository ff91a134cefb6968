"""Built-in kinds wired together and run by the real engine through `flowforge-desktop run`:
switch ports, a skipped branch into merge, set, log, delay, a sub-workflow by relative path, file write."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from flowforge_desktop.cli import main


def workflow(
    wid: str, nodes: list[tuple[str, str, str, dict[str, Any]]], edges: list[tuple[str, str, str, str]]
) -> str:
    return json.dumps(
        {
            "format": "flowforge.workflow",
            "version": 1,
            "id": wid,
            "name": wid,
            "nodes": [{"id": i, "type": t, "kind": k, "config": c} for i, t, k, c in nodes],
            "connections": [{"from": a, "to": b, "from_port": fp, "to_port": tp} for a, b, fp, tp in edges],
        }
    )


ORDERS = [{"id": 1, "amount": 30}, {"id": 2, "amount": 5}, {"id": 3, "amount": 12}]


@pytest.mark.parametrize(("route", "expected_route"), [("paid", "paid"), ("refund", "refund"), ("other", "default")])
def test_switch_merge_set_log_delay_sub_workflow_and_file_write(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], route: str, expected_route: str
) -> None:
    (tmp_path / "child.json").write_text(
        workflow(
            "child",
            [
                ("start", "trigger", "manual", {}),
                (
                    "big",
                    "operation",
                    "transform",
                    {"source": "[0].orders", "steps": [{"op": "filter", "condition": "amount > `10`"}]},
                ),
            ],
            [("start", "big", "out", "in")],
        )
    )
    out_file = tmp_path / "out" / "result.json"
    (tmp_path / "parent.json").write_text(
        workflow(
            "parent",
            [
                ("start", "trigger", "manual", {}),
                (
                    "route",
                    "operation",
                    "switch",
                    {
                        "value": "kind",
                        "cases": [{"port": "paid", "equals": "paid"}, {"port": "refund", "equals": "refund"}],
                    },
                ),
                ("paid", "operation", "set", {"value": {"route": "paid"}, "merge_with_input": True}),
                ("refund", "operation", "set", {"value": {"route": "refund"}, "merge_with_input": True}),
                ("other", "operation", "set", {"value": {"route": "default"}, "merge_with_input": True}),
                ("join", "operation", "merge", {"input_count": 3, "mode": "list"}),
                ("note", "operation", "log", {"message": "{{ input | length }} branch arrived", "level": "info"}),
                ("wait", "action", "delay", {"seconds": 0.01}),
                ("child", "action", "sub_workflow", {"workflow_path": "child.json"}),
                (
                    "save",
                    "action",
                    "file_write",
                    {
                        "path": str(out_file),
                        "content": {"route": "{{ nodes.join.output[0].route }}", "big": "{{ input }}"},
                    },
                ),
            ],
            [
                ("start", "route", "out", "in"),
                ("route", "paid", "paid", "in"),
                ("route", "refund", "refund", "in"),
                ("route", "other", "default", "in"),
                ("paid", "join", "out", "in1"),
                ("refund", "join", "out", "in2"),
                ("other", "join", "out", "in3"),
                ("join", "note", "out", "in"),
                ("note", "wait", "out", "in"),
                ("wait", "child", "out", "in"),
                ("child", "save", "out", "in"),
            ],
        )
    )
    payload = {"kind": route, "orders": ORDERS}
    code = main(["run", str(tmp_path / "parent.json"), "--no-history", "--input", json.dumps(payload)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert json.loads(out_file.read_text()) == {
        "route": expected_route,
        "big": [{"id": 1, "amount": 30}, {"id": 3, "amount": 12}],
    }


def test_stop_with_error_fails_the_run_with_its_message(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "stop.json"
    path.write_text(
        workflow(
            "stop",
            [
                ("start", "trigger", "manual", {}),
                ("check", "operation", "branch", {"condition": "length(@) > `0`"}),
                ("empty", "operation", "stop_error", {"message": "No orders arrived today"}),
            ],
            [("start", "check", "out", "in"), ("check", "empty", "false", "in")],
        )
    )
    assert main(["run", str(path), "--no-history", "--input", "[]"]) == 1
    out = capsys.readouterr().out
    assert "node 'empty' failed: No orders arrived today" in out
    assert main(["run", str(path), "--no-history", "--input", "[1]"]) == 0


def test_http_5xx_is_retried_by_the_engine_and_4xx_is_not(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import asyncio
    import threading

    from aiohttp import web

    calls = {"flaky": 0, "missing": 0}

    async def flaky(request: web.Request) -> web.Response:
        calls["flaky"] += 1
        if calls["flaky"] < 3:
            return web.Response(status=503, headers={"Retry-After": "0"})
        return web.json_response({"ok": True})

    async def missing(request: web.Request) -> web.Response:
        calls["missing"] += 1
        return web.Response(status=404)

    loop = asyncio.new_event_loop()
    app = web.Application()
    app.router.add_get("/flaky", flaky)
    app.router.add_get("/missing", missing)
    runner = web.AppRunner(app)
    loop.run_until_complete(runner.setup())
    site = web.TCPSite(runner, "127.0.0.1", 0)
    loop.run_until_complete(site.start())
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        for name in ("flaky", "missing"):
            (tmp_path / f"{name}.json").write_text(
                workflow(
                    name,
                    [
                        ("start", "trigger", "manual", {}),
                        (
                            "call",
                            "action",
                            "http",
                            {"url": f"http://127.0.0.1:{port}/{name}", "retry_count": 3, "retry_delay": 0.01},
                        ),
                    ],
                    [("start", "call", "out", "in")],
                )
            )
        assert main(["run", str(tmp_path / "flaky.json"), "--no-history", "--output"]) == 0
        out = capsys.readouterr().out
        assert '"ok": true' in out
        assert main(["run", str(tmp_path / "missing.json"), "--no-history"]) == 1
        out = capsys.readouterr().out
        assert f"GET http://127.0.0.1:{port}/missing answered 404 Not Found" in out
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(5)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        loop.close()
    assert calls == {"flaky": 3, "missing": 1}
