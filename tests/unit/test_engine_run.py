"""The engine as the UI drives it: start a snapshot, watch the events, read the result."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from ff_testkinds import Recorder, build, registry, run_sync

from flowforge_desktop.engine import Engine, NodeState, RunStatus
from flowforge_desktop.engine.events import NodeFinished, NodeQueued, NodeStarted, RunFinished, RunStarted


def test_chain_passes_each_output_to_the_next_node() -> None:
    doc = build(
        [("start", "manual"), ("a", "t_echo"), ("b", "t_text", {"text": "id={{ input.id }}"})],
        [("start", "a"), ("a", "b")],
    )
    result = run_sync(doc, payload={"id": 7})
    assert result.status is RunStatus.SUCCEEDED
    assert result.outputs == {"start": {"id": 7}, "a": {"id": 7}, "b": "id=7"}
    assert result.output() == "id=7"


def test_event_stream_for_one_run_is_complete_and_ordered() -> None:
    async def scenario() -> list[object]:
        engine = Engine(registry())
        rec = Recorder(engine)
        doc = build([("start", "manual"), ("a", "t_const", {"value": 1})], [("start", "a")])
        await engine.run(doc.snapshot())
        await engine.aclose()
        return rec.events

    events = asyncio.run(scenario())
    kinds = [(type(e).__name__, getattr(e, "node_id", None)) for e in events]
    assert kinds == [
        ("RunStarted", None),
        ("NodeQueued", "start"),
        ("NodeStarted", "start"),
        ("NodeFinished", "start"),
        ("NodeQueued", "a"),
        ("NodeStarted", "a"),
        ("NodeFinished", "a"),
        ("RunFinished", None),
    ]
    finished = [e for e in events if isinstance(e, NodeFinished)]
    assert all(e.started_at is not None and e.queued_at is not None and e.duration >= 0 for e in finished)
    assert isinstance(events[0], RunStarted) and events[0].node_count == 2
    assert isinstance(events[-1], RunFinished) and events[-1].status is RunStatus.SUCCEEDED


def test_ready_nodes_run_concurrently_up_to_max_parallel_nodes() -> None:
    leaves = [(f"s{i}", "t_sleep", {"seconds": 0.03}) for i in range(12)]
    doc = build([("start", "manual"), *leaves], [("start", f"s{i}") for i in range(12)], max_parallel_nodes=3)

    async def scenario() -> list[object]:
        engine = Engine(registry())
        rec = Recorder(engine)
        await engine.run(doc.snapshot())
        await engine.aclose()
        return rec.events

    running = peak = 0
    for event in asyncio.run(scenario()):
        if isinstance(event, NodeStarted):
            running += 1
            peak = max(peak, running)
        elif isinstance(event, NodeFinished):
            running -= 1
    assert peak == 3


def test_a_run_uses_its_snapshot_edits_during_the_run_affect_the_next_run() -> None:
    doc = build(
        [("start", "manual"), ("wait", "t_sleep", {"seconds": 0.1}), ("v", "t_const", {"value": "old"})],
        [("start", "wait"), ("wait", "v")],
    )

    async def scenario() -> tuple[object, object]:
        engine = Engine(registry())
        run = engine.start(doc.snapshot())
        await asyncio.sleep(0.02)
        doc.set_config("v", {"value": "new"})
        first = await run.wait()
        second = await engine.run(doc.snapshot())
        await engine.aclose()
        return first.outputs["v"], second.outputs["v"]

    assert asyncio.run(scenario()) == ("old", "new")


def test_stop_cancels_running_nodes_and_records_them_cancelled() -> None:
    doc = build(
        [("start", "manual"), ("slow", "t_sleep", {"seconds": 30}), ("after", "t_echo")],
        [("start", "slow"), ("slow", "after")],
    )

    async def scenario() -> tuple[object, Recorder]:
        engine = Engine(registry())
        rec = Recorder(engine)
        run = engine.start(doc.snapshot())
        while run.states["slow"] is not NodeState.RUNNING:
            await asyncio.sleep(0.005)
        run.stop()
        result = await run.wait()
        await engine.aclose()
        return result, rec

    result, rec = asyncio.run(scenario())
    assert result.status is RunStatus.CANCELLED
    assert result.states["slow"] is NodeState.CANCELLED
    assert result.states["after"] is NodeState.PENDING
    assert [e.state for e in rec.of(NodeFinished, node_id="slow")] == [NodeState.CANCELLED]


def test_run_timeout_fails_the_run_with_a_message() -> None:
    doc = build(
        [("start", "manual"), ("slow", "t_sleep", {"seconds": 30})],
        [("start", "slow")],
        run_timeout=0.1,
    )
    result = run_sync(doc)
    assert result.status is RunStatus.FAILED
    assert result.error == "the run timed out after 0.1 s"
    assert result.states["slow"] is NodeState.CANCELLED


def test_blocking_work_runs_in_a_thread_and_the_loop_keeps_ticking() -> None:
    doc = build([("start", "manual"), ("block", "t_block", {"seconds": 0.3})], [("start", "block")])

    async def scenario() -> int:
        engine = Engine(registry())
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.01)
                ticks += 1

        tick_task = asyncio.create_task(ticker())
        await engine.run(doc.snapshot())
        tick_task.cancel()
        await engine.aclose()
        return ticks

    assert asyncio.run(scenario()) >= 10  # a 0.3 s block on the loop would give 0 ticks


def test_cpu_time_of_a_node_is_its_own() -> None:
    doc = build(
        [("start", "manual"), ("burn", "t_burn", {"seconds": 0.05}), ("idle", "t_sleep", {"seconds": 0.05})],
        [("start", "burn"), ("start", "idle")],
    )

    async def scenario() -> Recorder:
        engine = Engine(registry())
        rec = Recorder(engine)
        await engine.run(doc.snapshot())
        await engine.aclose()
        return rec

    rec = asyncio.run(scenario())
    burn = rec.of(NodeFinished, node_id="burn")[0]
    idle = rec.of(NodeFinished, node_id="idle")[0]
    assert burn.cpu_time >= 0.04
    assert idle.cpu_time < 0.01  # sleeping beside a busy node costs it nothing


def test_a_subscriber_that_raises_cannot_break_a_run(caplog: pytest.LogCaptureFixture) -> None:
    async def scenario() -> object:
        engine = Engine(registry())

        def broken(event: object) -> None:
            raise RuntimeError("subscriber bug")

        engine.subscribe(broken)
        rec = Recorder(engine)
        doc = build([("start", "manual"), ("a", "t_const", {"value": 1})], [("start", "a")])
        result = await engine.run(doc.snapshot())
        await engine.aclose()
        assert len(rec.of(NodeFinished)) == 2
        return result

    result = asyncio.run(scenario())
    assert result.status is RunStatus.SUCCEEDED  # type: ignore[attr-defined]
    assert "an engine event subscriber raised" in caplog.text


def test_unknown_kind_fails_its_node_with_a_clear_message() -> None:
    from flowforge_desktop.model.codec import load_data

    data = {
        "format": "flowforge.workflow",
        "version": 1,
        "id": "w",
        "nodes": [
            {"id": "start", "type": "trigger", "kind": "manual"},
            {"id": "x", "type": "action", "kind": "salesforce_upsert", "config": {"a": 1}},
        ],
        "connections": [{"from": "start", "to": "x"}],
    }
    doc = load_data(data, registry()).document
    result = run_sync(doc)
    assert result.status is RunStatus.FAILED
    assert result.errors["x"]["message"] == (
        "node kind 'salesforce_upsert' is not installed; install the plugin that provides it or remove the node"
    )


def test_misconfigured_node_fails_with_the_field_named() -> None:
    doc = build([("start", "manual"), ("s", "t_sleep", {"seconds": "{{ input }}"})], [("start", "s")])
    result = run_sync(doc, payload=None)
    assert result.errors["s"]["message"].startswith("node 's' is misconfigured: config.seconds:")


def test_queued_then_started_for_each_node() -> None:
    doc = build([("start", "manual"), ("a", "t_echo")], [("start", "a")])

    async def scenario() -> Recorder:
        engine = Engine(registry())
        rec = Recorder(engine)
        await engine.run(doc.snapshot())
        await engine.aclose()
        return rec

    rec = asyncio.run(scenario())
    q = rec.of(NodeQueued, node_id="a")[0]
    s = rec.of(NodeStarted, node_id="a")[0]
    assert q.at <= s.at <= time.time()


def test_a_node_logging_from_its_worker_thread_reaches_subscribers_on_the_loop() -> None:
    import threading

    from ff_testkinds import Block

    from flowforge_desktop.engine.events import LogLine

    class ThreadLogger(Block):
        kind = "t_thread_log"

        async def run(self, ctx: Any, inputs: dict[str, Any]) -> Any:
            await ctx.to_thread(ctx.logger.info, "from the worker thread")
            return "ok"

    reg = registry()
    reg.register(ThreadLogger)

    async def scenario() -> list[tuple[str, bool]]:
        from flowforge_desktop.model.document import WorkflowDocument

        doc = WorkflowDocument("t", registry=reg)
        doc.add_node(doc.new_node("manual", node_id="start"))
        doc.add_node(doc.new_node("t_thread_log", node_id="log"))
        doc.connect("start", "log")
        engine = Engine(reg)
        loop_thread = threading.get_ident()
        seen: list[tuple[str, bool]] = []
        engine.subscribe(
            lambda e: isinstance(e, LogLine) and seen.append((e.message, threading.get_ident() == loop_thread))  # type: ignore[func-returns-value]
        )
        await engine.run(doc.snapshot())
        await asyncio.sleep(0.05)
        await engine.aclose()
        return seen

    assert asyncio.run(scenario()) == [("from the worker thread", True)]
