"""Retries, backoff, Retry-After, on_error, circuit breakers, rate limits and the error workflow."""

from __future__ import annotations

import asyncio
import json
import random
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from ff_http import http_server
from ff_testkinds import ATTEMPTS, Recorder, build, registry, run_sync

from flowforge_desktop.engine import Engine, NodeState, RunStatus
from flowforge_desktop.engine.events import NodeRetrying, NodeStarted
from flowforge_desktop.engine.resilience import BreakerState, Resilience, TokenBucket, backoff_delay
from flowforge_desktop.model.codec import save_path


@pytest.fixture(autouse=True)
def _fresh_attempts() -> None:
    ATTEMPTS.clear()


def _events(doc: Any, engine: Engine | None = None, **options: Any) -> tuple[Any, Recorder]:
    async def go() -> tuple[Any, Recorder]:
        eng = engine or Engine(registry())
        rec = Recorder(eng)
        result = await eng.run(doc.snapshot(), **options)
        await eng.aclose()
        return result, rec

    return asyncio.run(go())


def test_retryable_errors_are_retried_up_to_retry_count_with_bounded_backoff() -> None:
    doc = build(
        [("start", "manual"), ("f", "t_flaky", {"key": "k", "fail_times": 3})],
        [("start", "f")],
        node_options={"f": {"retry": {"retry_count": 3, "retry_delay": 0.01, "max_delay": 0.03}}},
    )
    result, rec = _events(doc)
    assert result.status is RunStatus.SUCCEEDED
    assert result.outputs["f"] == 4
    retries = rec.of(NodeRetrying, node_id="f")
    assert [r.attempt for r in retries] == [1, 2, 3]
    caps = [0.01, 0.02, 0.03]  # base * 2^(n-1), capped at max_delay
    assert all(0 <= r.delay <= cap for r, cap in zip(retries, caps, strict=True))
    assert [e.attempt for e in rec.of(NodeStarted, node_id="f")] == [1, 2, 3, 4]


def test_retries_stop_after_retry_count_and_the_node_fails() -> None:
    doc = build(
        [("start", "manual"), ("f", "t_flaky", {"key": "k2", "fail_times": 10})],
        [("start", "f")],
        node_options={"f": {"retry": {"retry_count": 2, "retry_delay": 0.001}}},
    )
    result, _ = _events(doc)
    assert result.status is RunStatus.FAILED
    assert result.errors["f"]["attempts"] == 3
    assert result.error == "node 'f' failed: flaky failure 3"


def test_non_retryable_errors_are_not_retried() -> None:
    doc = build(
        [("start", "manual"), ("f", "t_flaky", {"key": "k3", "fail_times": 1, "retryable": False})],
        [("start", "f")],
        node_options={"f": {"retry": {"retry_count": 5, "retry_delay": 0.001}}},
    )
    result, rec = _events(doc)
    assert result.states["f"] is NodeState.FAILED
    assert rec.of(NodeRetrying) == []


def test_retry_after_is_a_floor_for_the_delay() -> None:
    doc = build(
        [("start", "manual"), ("f", "t_flaky", {"key": "k4", "fail_times": 1, "retry_after": 0.2})],
        [("start", "f")],
        node_options={"f": {"retry": {"retry_count": 1, "retry_delay": 0.001}}},
    )
    result, rec = _events(doc)
    assert result.status is RunStatus.SUCCEEDED
    assert rec.of(NodeRetrying)[0].delay >= 0.2


def test_backoff_is_exponential_with_full_jitter_and_capped() -> None:
    rng = random.Random(1)
    for attempt in range(1, 12):
        cap = min(30.0, 0.5 * 2 ** (attempt - 1))
        delays = [backoff_delay(attempt, 0.5, 30.0, rng=rng) for _ in range(200)]
        assert all(0 <= d <= cap for d in delays)
        assert max(delays) > cap * 0.8  # full jitter spans the range, not a fixed value
    assert backoff_delay(3, 1.0, 60.0, jitter=False) == 4.0
    assert backoff_delay(1, 1.0, 60.0, jitter=False, retry_after=7) == 7


def test_on_error_continue_passes_the_error_downstream() -> None:
    doc = build(
        [("start", "manual"), ("bad", "t_fail"), ("after", "t_echo")],
        [("start", "bad"), ("bad", "after")],
        node_options={"bad": {"on_error": "continue"}},
    )
    result = run_sync(doc)
    assert result.status is RunStatus.SUCCEEDED
    assert result.states["bad"] is NodeState.FAILED
    assert result.outputs["after"]["error"]["message"] == "this node always fails"


def test_on_error_route_sends_the_error_to_the_error_port_only() -> None:
    doc = build(
        [("start", "manual"), ("bad", "t_fail"), ("ok_path", "t_echo"), ("handler", "t_echo")],
        [("start", "bad"), ("bad", "ok_path", "out"), ("bad", "handler", "error")],
        node_options={"bad": {"on_error": "route"}},
    )
    result = run_sync(doc)
    assert result.status is RunStatus.SUCCEEDED
    assert result.states["ok_path"] is NodeState.SKIPPED
    assert result.outputs["handler"] == {
        "message": "this node always fails",
        "type": "NodeError",
        "node_id": "bad",
        "kind": "t_fail",
        "input": None,
        "attempts": 1,
        "retryable": False,
        "details": {},
    }


def test_on_error_stop_fails_the_run_and_cancels_parallel_work() -> None:
    doc = build(
        [("start", "manual"), ("bad", "t_fail"), ("slow", "t_sleep", {"seconds": 30})],
        [("start", "bad"), ("start", "slow")],
    )
    result = run_sync(doc)
    assert result.status is RunStatus.FAILED
    assert result.failed_node == "bad"
    assert result.states["slow"] is NodeState.CANCELLED


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_circuit_breaker_opens_after_failures_then_half_opens_after_the_cooldown() -> None:
    calls: list[str] = []
    healthy = False

    async def handler(request: web.Request) -> web.Response:
        calls.append(request.path)
        if healthy:
            return web.json_response({"ok": True})
        return web.json_response({"error": "down"}, status=503)

    clock = FakeClock()

    async def scenario() -> list[Any]:
        nonlocal healthy
        engine = Engine(registry(), resilience=Resilience(clock=clock))
        results = []
        async with http_server(handler) as base:
            doc = build(
                [("start", "manual"), ("call", "t_call", {"url": f"{base}/api"})],
                [("start", "call")],
                circuit_breaker={"failure_threshold": 3, "recovery_timeout": 30},
            )
            for _ in range(3):
                results.append(await engine.run(doc.snapshot()))
            breaker = engine.resilience.breakers["127.0.0.1"]
            results.append(breaker.state)
            results.append(await engine.run(doc.snapshot()))  # open: fails fast, no request
            results.append(len(calls))
            clock.now += 31
            healthy = True
            results.append(await engine.run(doc.snapshot()))  # half-open trial succeeds
            results.append(breaker.state)
            results.append(engine.resilience.snapshot()["circuit_breakers"][0]["state"])
        await engine.aclose()
        return results

    r = asyncio.run(scenario())
    assert all(x.status is RunStatus.FAILED for x in r[:3])
    assert r[3] is BreakerState.OPEN
    assert r[4].errors["call"]["message"] == (
        "circuit breaker for '127.0.0.1' is open after 3 consecutive failures; next trial call in 30 s"
    )
    assert r[5] == 3  # the open breaker sent nothing
    assert r[6].status is RunStatus.SUCCEEDED
    assert r[7] is BreakerState.CLOSED
    assert r[8] == "closed"


def test_half_open_failure_opens_the_breaker_again() -> None:
    clock = FakeClock()
    res = Resilience(clock=clock)
    from flowforge_desktop.model.schema import CircuitBreakerSettings

    breaker = res.breaker("api", CircuitBreakerSettings(failure_threshold=2, recovery_timeout=10))
    breaker.record_failure()
    breaker.record_failure()
    assert breaker.state is BreakerState.OPEN
    clock.now += 10
    breaker.before_call()
    assert breaker.state is BreakerState.HALF_OPEN
    with pytest.raises(Exception, match="is open"):
        breaker.before_call()  # only one trial at a time
    breaker.record_failure()
    assert breaker.state is BreakerState.OPEN


def test_token_bucket_spaces_calls() -> None:
    clock = FakeClock()
    bucket = TokenBucket("api", rate=2, per=1.0, capacity=2, clock=clock)
    assert bucket.try_take() == 0
    assert bucket.try_take() == 0
    assert bucket.try_take() == pytest.approx(0.5)
    clock.now += 0.5
    assert bucket.try_take() == 0
    assert bucket.snapshot()["tokens"] == 0


def test_rate_limit_shared_by_runs_spaces_node_starts() -> None:
    # The token bucket is shared by all five runs: with 10/s and burst 1 the fifth call cannot
    # happen before 0.4 s after the first. Measured from the server's side.
    arrivals: list[float] = []

    async def timed_handler(request: web.Request) -> web.Response:
        arrivals.append(asyncio.get_running_loop().time())
        return web.json_response({"ok": True})

    async def measured() -> list[Any]:
        engine = Engine(registry())
        async with http_server(timed_handler) as base:
            doc = build(
                [("start", "manual"), ("call", "t_call", {"url": f"{base}/x"})],
                [("start", "call")],
                node_options={"call": {"rate_limit_key": "partner_api"}},
                rate_limits={"partner_api": {"rate": 10, "per": 1, "burst": 1}},
            )
            results = await asyncio.gather(*(engine.run(doc.snapshot()) for _ in range(5)))
            snap = engine.resilience.snapshot()["rate_limiters"]
        await engine.aclose()
        return [results, snap]

    results, snap = asyncio.run(measured())
    assert all(r.status is RunStatus.SUCCEEDED for r in results)
    assert len(arrivals) == 5
    # 10 per second with no burst: five calls span at least 0.4 s of tokens; the first request
    # also pays for opening the connection, so only the whole span is a fair measure.
    assert arrivals[-1] - arrivals[0] >= 0.3, arrivals
    assert snap[0]["key"] == "partner_api"


def test_error_workflow_runs_with_the_failures_details(tmp_path: Path) -> None:
    handler = build([("start", "manual"), ("report", "t_text", {"text": "{{ trigger.payload | tojson }}"})], [])
    handler.connect("start", "report")
    save_path(handler, tmp_path / "on_error.json")
    main = build(
        [("start", "manual"), ("bad", "t_fail")],
        [("start", "bad")],
        error_workflow="on_error.json",
    )

    async def scenario() -> tuple[Any, list[Any]]:
        engine = Engine(registry())
        rec = Recorder(engine)
        result = await engine.run(main.snapshot(), source_path=str(tmp_path / "main.json"))
        for _ in range(200):  # the error workflow runs after the failed run finished
            if len([e for e in rec.events if type(e).__name__ == "RunFinished"]) == 2:
                break
            await asyncio.sleep(0.01)
        await engine.aclose()
        return result, rec.events

    result, events = asyncio.run(scenario())
    from flowforge_desktop.engine.events import NodeFinished, RunStarted

    child = [e for e in events if isinstance(e, RunStarted) and e.trigger == "error_workflow"]
    assert len(child) == 1 and child[0].parent_execution_id == result.execution_id
    report = next(e for e in events if isinstance(e, NodeFinished) and e.node_id == "report")
    payload = json.loads(report.output)
    assert payload["failed_node"] == "bad"
    assert payload["error"] == "node 'bad' failed: this node always fails"
    assert payload["node_error"]["message"] == "this node always fails"
