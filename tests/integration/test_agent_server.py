"""The local HTTP server over real HTTP on 127.0.0.1: webhooks, health and /api/v1."""

from __future__ import annotations

import asyncio
import socket
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from agent_support import node, rows_of, running_agent, wait_for, write_workflow
from ff_http import http_server

from flowforge_desktop.agent.server import LocalServer, ServerStartError
from flowforge_desktop.nodes.builtin.webhook_auth import sign


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def hook_workflow(tmp_path: Path, **hook: Any) -> Path:
    config = {"webhook_id": "orders", "secret": "{{ secrets.HOOK_SECRET }}", **hook}
    return write_workflow(
        tmp_path / "hook.json",
        "wf-hook",
        [node("incoming", "webhook", config), node("answer", "test_echo", {"prefix": "got"})],
        [("incoming", "answer")],
    )


async def executions(agent: Any) -> list[dict[str, Any]]:
    await asyncio.sleep(0.05)
    return rows_of(agent)


def test_webhook_good_bad_and_missing_signature(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with running_agent(tmp_path) as agent:
            await agent.supervisor.add(hook_workflow(tmp_path))
            body = b'{"event": "order.created", "id": 7}'
            async with httpx.AsyncClient(base_url=agent.server.url) as client:
                missing = await client.post("/webhooks/orders", content=body)
                assert missing.status_code == 401
                assert missing.json()["error"] == (
                    "invalid signature: missing X-Signature header (expected 'sha256=<hex HMAC of the body>')"
                )
                bad = await client.post("/webhooks/orders", content=body, headers={"X-Signature": sign("wrong", body)})
                assert bad.status_code == 401
                assert bad.json()["error"] == "invalid signature: signature does not match the body"
                malformed = await client.post("/webhooks/orders", content=body, headers={"X-Signature": "md5=abc"})
                assert malformed.json()["error"] == "invalid signature: X-Signature must look like 'sha256=<hex>'"
                assert await executions(agent) == []  # nothing started

                good = await client.post(
                    "/webhooks/orders",
                    content=body,
                    headers={"X-Signature": sign("from-secrets", body), "Content-Type": "application/json"},
                )
                assert good.status_code == 202
                execution_id = good.json()["execution_id"]
                row = await wait_for(
                    lambda: (r := agent.store.get_execution(execution_id)) and r["status"] == "succeeded" and r,
                    what="the webhook run to finish",
                )
                assert row["workflow_id"] == "wf-hook"
                assert [r["id"] for r in await executions(agent)] == [execution_id]

    run(scenario())


def test_webhook_wait_mode_answers_with_the_chosen_node_output(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with running_agent(tmp_path) as agent:
            await agent.supervisor.add(hook_workflow(tmp_path, response_mode="wait", response_node="answer", secret=""))
            async with httpx.AsyncClient(base_url=agent.server.url) as client:
                r = await client.post("/webhooks/orders", json={"id": 7})
            assert r.status_code == 200
            out = r.json()
            assert out["prefix"] == "got"
            assert out["input"]["body"] == {"id": 7}
            assert out["input"]["method"] == "POST"
            assert r.headers["X-Execution-Id"]

    run(scenario())


def test_webhook_replay_window_and_replayed_request(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with running_agent(tmp_path) as agent:
            await agent.supervisor.add(hook_workflow(tmp_path, timestamp_header="X-Timestamp", replay_window=60))
            body = b'{"n": 1}'
            signature = {"X-Signature": sign("from-secrets", body)}
            async with httpx.AsyncClient(base_url=agent.server.url) as client:
                old = str(time.time() - 600)
                stale = await client.post("/webhooks/orders", content=body, headers={"X-Timestamp": old, **signature})
                assert stale.status_code == 401
                assert stale.json()["error"] == (
                    "invalid signature: X-Timestamp: the request is 600 s old; the replay window is 60 s"
                )
                future_ms = str(int((time.time() + 3600) * 1000))  # milliseconds are understood too
                future = await client.post(
                    "/webhooks/orders", content=body, headers={"X-Timestamp": future_ms, **signature}
                )
                assert future.json()["error"] == (
                    "invalid signature: X-Timestamp: the request is 3600 s far in the future; the replay window is 60 s"
                )
                no_ts = await client.post("/webhooks/orders", content=body, headers=signature)
                assert no_ts.json()["error"] == "invalid signature: X-Timestamp: the timestamp header is missing"
                now = str(int(time.time()))
                wrong = await client.post(
                    "/webhooks/orders", content=body, headers={"X-Timestamp": now, "X-Signature": sign("x", body)}
                )
                assert wrong.json()["error"] == "invalid signature: signature does not match the body"
                first = await client.post("/webhooks/orders", content=body, headers={"X-Timestamp": now, **signature})
                assert first.status_code == 202
                later = str(int(time.time()) + 1)  # a fresh timestamp does not make a replayed body new
                again = await client.post("/webhooks/orders", content=body, headers={"X-Timestamp": later, **signature})
                assert again.status_code == 401
                assert again.json()["error"] == "invalid signature: this signed request was already received (replay)"
                other = b'{"n": 2}'
                second = await client.post(
                    "/webhooks/orders",
                    content=other,
                    headers={"X-Timestamp": later, "X-Signature": sign("from-secrets", other)},
                )
                assert second.status_code == 202
            assert len(await executions(agent)) == 2

    run(scenario())


def test_webhook_methods_size_limit_and_unknown_id(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with running_agent(tmp_path) as agent:
            await agent.supervisor.add(hook_workflow(tmp_path, secret="", methods=["POST", "PUT"], max_body_bytes=100))
            async with httpx.AsyncClient(base_url=agent.server.url) as client:
                get = await client.get("/webhooks/orders")
                assert get.status_code == 405
                assert get.headers["Allow"] == "POST, PUT"
                assert get.json()["error"] == "method GET not allowed; this webhook accepts POST, PUT"
                big = await client.post("/webhooks/orders", content=b"x" * 101)
                assert big.status_code == 413
                assert big.json()["error"] == "request body larger than this webhook's limit of 100 bytes"

                async def chunks():  # no Content-Length: the limit is enforced while reading
                    for _ in range(5):
                        yield b"y" * 40

                chunked = await client.post("/webhooks/orders", content=chunks())
                assert chunked.status_code == 413
                unknown = await client.post("/webhooks/nope", content=b"{}")
                assert unknown.status_code == 404
                assert unknown.json()["error"] == "no active workflow listens on webhook 'nope'"
                assert (await client.put("/webhooks/orders", content=b"{}")).status_code == 202
            assert len(await executions(agent)) == 1

    run(scenario())


def test_missing_secret_refuses_requests_clearly(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with running_agent(tmp_path) as agent:
            await agent.supervisor.add(hook_workflow(tmp_path, secret="{{ secrets.NOT_SET }}"))
            async with httpx.AsyncClient(base_url=agent.server.url) as client:
                r = await client.post("/webhooks/orders", content=b"{}", headers={"X-Signature": sign("", b"{}")})
            assert r.status_code == 503
            assert r.json()["error"] == "webhook 'orders' is misconfigured: its secret is not set in the agent"
            assert await executions(agent) == []

    run(scenario())


def test_health_and_detailed_health(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with running_agent(tmp_path) as agent:
            await agent.supervisor.add(hook_workflow(tmp_path))
            await asyncio.sleep(0.3)  # a few loop-lag samples
            async with httpx.AsyncClient(base_url=agent.server.url) as client:
                assert (await client.get("/health")).json() == {"status": "ok"}
                detail = (await client.get("/health/detailed")).json()
            assert detail["status"] == "ok"
            assert detail["process"]["memory_rss_mb"] > 0
            assert detail["event_loop"]["lag_ms"] is not None
            assert detail["executions"]["running"] == 0 and detail["executions"]["queued"] == 0
            assert detail["triggers"] == [
                {
                    "workflow_id": "wf-hook",
                    "workflow_name": "Wf Hook",
                    "node_id": "incoming",
                    "kind": "webhook",
                    "state": "armed",
                    "next_fire": None,
                    "fires": 0,
                    "error": None,
                }
            ]
            assert "circuit_breakers" in detail and "rate_limiters" in detail
            assert "size_bytes" in detail["store"]
            assert detail["server"]["webhooks"] == ["orders"]

    run(scenario())


def auth(agent: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {agent.api_key}"}


def test_api_needs_the_key(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with running_agent(tmp_path) as agent, httpx.AsyncClient(base_url=agent.server.url) as client:
            for headers in ({}, {"Authorization": "Bearer wrong-key"}, {"Authorization": agent.api_key}):
                r = await client.get("/api/v1/workflows", headers=headers)
                assert r.status_code == 401
                assert r.json()["error"] == "missing or invalid API key: send 'Authorization: Bearer <api key>'"
                assert r.headers["WWW-Authenticate"] == "Bearer"
            ok = await client.get("/api/v1/workflows", headers=auth(agent))
            assert ok.status_code == 200 and ok.json() == {"workflows": []}
            assert ok.headers["X-RateLimit-Limit"] == "120"

    run(scenario())


def test_api_rate_limit_answers_429_with_headers(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with running_agent(tmp_path, rate_limit=3, rate_limit_window=30) as agent:
            async with httpx.AsyncClient(base_url=agent.server.url, headers=auth(agent)) as client:
                remaining = [
                    int((await client.get("/api/v1/executions")).headers["X-RateLimit-Remaining"]) for _ in "abc"
                ]
                assert remaining == [2, 1, 0]
                over = await client.get("/api/v1/executions")
            assert over.status_code == 429
            assert over.headers["X-RateLimit-Limit"] == "3"
            assert over.headers["X-RateLimit-Remaining"] == "0"
            assert int(over.headers["X-RateLimit-Reset"]) >= int(time.time())
            assert 1 <= int(over.headers["Retry-After"]) <= 30
            assert over.json()["error"].startswith("rate limit exceeded: 3 requests per 30 s; retry after")

    run(scenario())


def test_api_bad_payloads_are_422_with_pydantic_errors(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with (
            running_agent(tmp_path) as agent,
            httpx.AsyncClient(base_url=agent.server.url, headers=auth(agent)) as client,
        ):
            r = await client.post("/api/v1/actions/execute", json={"config": {}})
            assert r.status_code == 422
            detail = r.json()["detail"]
            assert detail[0]["loc"] == ["action_type"] and detail[0]["type"] == "missing"
            r = await client.post("/api/v1/actions/execute", content=b"{not json")
            assert r.status_code == 422 and r.json()["error"].startswith("the body is not valid JSON")
            r = await client.post("/api/v1/actions/execute", json={"action_type": "test_echo", "config": {"prefix": 5}})
            assert r.status_code == 422
            assert r.json()["error"] == "config.prefix: Input should be a valid string, got 5"
            assert r.json()["detail"][0]["loc"] == ["prefix"]
            r = await client.post("/api/v1/actions/execute", json={"action_type": "test_ech", "config": {}})
            assert r.status_code == 422
            assert r.json()["error"] == "unknown node kind 'test_ech' — did you mean 'test_echo'?"
            r = await client.post("/api/v1/actions/execute", json={"action_type": "webhook", "config": {}})
            assert r.json()["error"] == "'webhook' is a trigger; only actions and operations can be executed"
            r = await client.get("/api/v1/executions", params={"limit": "0"})
            assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["limit"]

    run(scenario())


def test_api_execute_action_workflows_and_executions(tmp_path: Path) -> None:
    async def scenario() -> None:
        path = write_workflow(
            tmp_path / "manual.json", "wf-manual", [node("go", "manual"), node("echo", "test_echo")], [("go", "echo")]
        )
        async with (
            running_agent(tmp_path) as agent,
            httpx.AsyncClient(base_url=agent.server.url, headers=auth(agent)) as client,
        ):
            r = await client.post(
                "/api/v1/actions/execute",
                json={"action_type": "test_echo", "config": {"prefix": "p"}, "input_data": {"a": 1}},
            )
            assert r.status_code == 200, r.text
            assert r.json()["status"] == "succeeded"
            assert r.json()["output"] == {"prefix": "p", "input": {"a": 1}}
            failed = await client.post(
                "/api/v1/actions/execute", json={"action_type": "test_echo", "config": {"fail": True}}
            )
            assert failed.status_code == 500 and failed.json()["failed_node"] == "action"

            added = await client.post("/api/v1/workflows", json={"path": str(path)})
            assert added.status_code == 201 and added.json()["active"] is True
            broken = await client.post("/api/v1/workflows", json={"path": str(tmp_path / "nope.json")})
            assert broken.status_code == 422
            assert "cannot read the file" in broken.json()["error"]
            listed = (await client.get("/api/v1/workflows")).json()["workflows"]
            assert [(w["id"], w["active"]) for w in listed] == [("wf-manual", True)]
            off = await client.post("/api/v1/workflows/wf-manual/deactivate")
            assert off.json()["active"] is False
            on = await client.post("/api/v1/workflows/wf-manual/activate")
            assert on.json()["active"] is True
            missing = await client.post("/api/v1/workflows/nope/activate")
            assert missing.status_code == 404
            assert missing.json()["error"] == "no workflow with id 'nope'; add it with POST /api/v1/workflows"

            ran = await client.post("/api/v1/workflows/wf-manual/run", json={"payload": {"x": 2}, "wait": True})
            assert ran.status_code == 200
            assert ran.json()["outputs"]["echo"] == {"prefix": "", "input": {"x": 2}}
            execution_id = ran.json()["execution_id"]

            rows = (await client.get("/api/v1/executions", params={"workflow_id": "wf-manual"})).json()
            assert [r["id"] for r in rows["executions"]] == [execution_id]
            failed_rows = (await client.get("/api/v1/executions", params={"status": "failed"})).json()
            assert len(failed_rows["executions"]) == 1
            one = (await client.get(f"/api/v1/executions/{execution_id}")).json()
            assert one["status"] == "succeeded"
            assert {n["node_id"] for n in one["node_runs"]} >= {"go", "echo"}
            gone = await client.get("/api/v1/executions/unknown")
            assert gone.status_code == 404 and gone.json()["error"] == "no execution with id 'unknown'"

    run(scenario())


def test_port_in_use_names_the_port_and_the_setting() -> None:
    async def scenario() -> None:
        with socket.socket() as busy:
            busy.bind(("127.0.0.1", 0))
            busy.listen()
            port = busy.getsockname()[1]
            server = LocalServer(None, host="127.0.0.1", port=port)
            with pytest.raises(ServerStartError) as err:
                await server.start(setting_hint="api_port in /x/config.json or FLOWFORGE_API_PORT")
        assert str(err.value) == (
            f"port {port} on 127.0.0.1 is already in use by another program; stop it or choose another port "
            "(api_port in /x/config.json or FLOWFORGE_API_PORT)"
        )

    run(scenario())


def test_duplicate_webhook_id_is_a_trigger_error(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with running_agent(tmp_path) as agent:
            await agent.supervisor.add(hook_workflow(tmp_path))
            other = write_workflow(
                tmp_path / "other.json", "wf-other", [node("h", "webhook", {"webhook_id": "orders"})]
            )
            entry = await agent.supervisor.add(other)
            assert entry.slots[0].state == "error"
            assert entry.slots[0].error == (
                "webhook_id 'orders' is already used by workflow 'wf-hook' (node 'incoming'); "
                "give this webhook trigger another webhook_id"
            )

    run(scenario())


def test_execute_the_http_action_against_a_real_local_server(tmp_path: Path) -> None:
    from aiohttp import web

    async def scenario() -> None:
        async def hello(request: web.Request) -> web.Response:
            return web.json_response({"hello": request.query.get("who", "")})

        async with http_server(hello, "/hello") as base:
            port = int(base.rsplit(":", 1)[1])
            async with (
                running_agent(tmp_path) as agent,
                httpx.AsyncClient(base_url=agent.server.url, headers=auth(agent)) as client,
            ):
                r = await client.post(
                    "/api/v1/actions/execute",
                    json={
                        "action_type": "http",
                        "config": {"method": "GET", "url": f"http://127.0.0.1:{port}/hello", "query": {"who": "agent"}},
                    },
                )
                assert r.status_code == 200, r.text
                assert r.json()["output"]["status"] == 200
                assert r.json()["output"]["body"] == {"hello": "agent"}
                bad = await client.post("/api/v1/actions/execute", json={"action_type": "http", "config": {"url": 5}})
                assert bad.status_code == 422 and bad.json()["error"].startswith("config.url: ")

    run(scenario())


def test_detailed_health_needs_the_key_when_the_api_is_exposed(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with running_agent(tmp_path, api_host="0.0.0.0") as agent:
            url = f"http://127.0.0.1:{agent.server.port}"
            async with httpx.AsyncClient(base_url=url) as client:
                assert (await client.get("/health")).json() == {"status": "ok"}
                r = await client.get("/health/detailed")
                assert r.status_code == 401
                assert r.json()["error"] == (
                    "/health/detailed needs 'Authorization: Bearer <api key>' when the API is not on loopback"
                )
                ok = await client.get("/health/detailed", headers=auth(agent))
                assert ok.status_code == 200 and ok.json()["status"] == "ok"

    run(scenario())
