"""The debugger core driven as the designer drives it: breakpoints, step, continue, edit input, stop."""

from __future__ import annotations

import asyncio
from typing import Any

from ff_testkinds import Recorder, build, registry, run_sync

from flowforge_desktop.engine import Debugger, Engine, NodeState, Reused, RunStatus, plan_from, stale_nodes
from flowforge_desktop.engine.events import NodePaused, NodeStarted


async def _until_paused(dbg: Debugger, node_id: str | None = None) -> str:
    for _ in range(500):
        if dbg.paused is not None and (node_id is None or dbg.paused.node_id == node_id):
            return dbg.paused.node_id
        await asyncio.sleep(0.002)
    raise AssertionError(f"never paused at {node_id}; paused={dbg.paused}")


def _diamond() -> Any:
    return build(
        [
            ("start", "manual"),
            ("left", "t_text", {"text": "L{{ input }}"}),
            ("right", "t_text", {"text": "R{{ input }}"}),
            ("join", "t_echo"),
        ],
        [("start", "left"), ("start", "right"), ("left", "join"), ("right", "join")],
        max_parallel_nodes=4,
    )


def test_breakpoint_pauses_before_the_node_and_shows_its_input() -> None:
    async def scenario() -> tuple[Any, Any, Any]:
        engine = Engine(registry())
        rec = Recorder(engine)
        dbg = Debugger(breakpoints={"join"})
        run = engine.start(_diamond().snapshot(), payload=1, debugger=dbg)
        await _until_paused(dbg, "join")
        paused_state = run.states["join"]
        assert rec.of(NodeStarted, node_id="join") == []  # not started yet
        dbg.continue_()
        result = await run.wait()
        await engine.aclose()
        return result, rec.of(NodePaused), paused_state

    result, paused, state = asyncio.run(scenario())
    assert state is NodeState.PAUSED
    assert [(p.node_id, p.reason) for p in paused] == [("join", "breakpoint")]
    assert sorted(paused[0].input) == ["L1", "R1"]
    assert result.status is RunStatus.SUCCEEDED


def test_step_runs_one_node_at_a_time_in_a_deterministic_order() -> None:
    async def scenario() -> list[str]:
        engine = Engine(registry())
        rec = Recorder(engine)
        dbg = Debugger(breakpoints={"start"})
        run = engine.start(_diamond().snapshot(), payload=1, debugger=dbg)
        order = []
        while not run.done:
            if dbg.paused is not None:
                order.append(dbg.paused.node_id)
                started_before = len(rec.of(NodeStarted))
                dbg.step()
                await asyncio.sleep(0.01)
                assert len(rec.of(NodeStarted)) == started_before + 1  # exactly one node released
            await asyncio.sleep(0.002)
        await engine.aclose()
        return order

    orders = {tuple(asyncio.run(scenario())) for _ in range(3)}
    assert orders == {("start", "left", "right", "join")}


def test_edited_input_at_a_pause_changes_the_output() -> None:
    async def scenario() -> Any:
        engine = Engine(registry())
        dbg = Debugger(breakpoints={"left"})
        run = engine.start(_diamond().snapshot(), payload=1, debugger=dbg)
        await _until_paused(dbg, "left")
        assert dbg.paused is not None and dbg.paused.input == 1
        dbg.set_input(41)
        dbg.continue_()
        result = await run.wait()
        await engine.aclose()
        return result

    result = asyncio.run(scenario())
    assert result.outputs["left"] == "L41"
    assert result.outputs["right"] == "R1"


def test_edge_breakpoint_pauses_the_target_of_that_edge_only() -> None:
    async def scenario() -> list[tuple[str, str]]:
        engine = Engine(registry())
        rec = Recorder(engine)
        dbg = Debugger(edge_breakpoints={("start", "right")})
        run = engine.start(_diamond().snapshot(), payload=1, debugger=dbg)
        await _until_paused(dbg)
        dbg.continue_()
        await run.wait()
        await engine.aclose()
        return [(p.node_id, p.reason) for p in rec.of(NodePaused)]

    assert asyncio.run(scenario()) == [("right", "breakpoint on edge start -> right")]


def test_run_to_pauses_at_the_chosen_node() -> None:
    async def scenario() -> tuple[str, Any]:
        engine = Engine(registry())
        dbg = Debugger(breakpoints={"start"})
        run = engine.start(_diamond().snapshot(), payload=1, debugger=dbg)
        await _until_paused(dbg, "start")
        dbg.run_to("join")
        at = await _until_paused(dbg, "join")
        dbg.continue_()
        result = await run.wait()
        await engine.aclose()
        return at, result

    at, result = asyncio.run(scenario())
    assert at == "join" and result.status is RunStatus.SUCCEEDED


def test_stop_at_a_pause_cancels_the_run() -> None:
    async def scenario() -> Any:
        engine = Engine(registry())
        dbg = Debugger(breakpoints={"join"})
        run = engine.start(_diamond().snapshot(), payload=1, debugger=dbg)
        await _until_paused(dbg, "join")
        dbg.stop()
        result = await run.wait()
        await engine.aclose()
        return result

    result = asyncio.run(scenario())
    assert result.status is RunStatus.CANCELLED
    assert result.states["join"] is NodeState.CANCELLED


def test_a_pause_holds_only_its_own_run() -> None:
    async def scenario() -> tuple[Any, bool]:
        engine = Engine(registry())
        dbg = Debugger(breakpoints={"join"})
        debugged = engine.start(_diamond().snapshot(), payload=1, debugger=dbg)
        await _until_paused(dbg, "join")
        other = await engine.run(_diamond().snapshot(), payload=2)
        still_paused = not debugged.done
        dbg.continue_()
        await debugged.wait()
        await engine.aclose()
        return other, still_paused

    other, still_paused = asyncio.run(scenario())
    assert other.status is RunStatus.SUCCEEDED and still_paused


def test_pause_command_pauses_before_the_next_node() -> None:
    doc = build(
        [("start", "manual"), ("slow", "t_sleep", {"seconds": 0.05}), ("next", "t_echo")],
        [("start", "slow"), ("slow", "next")],
    )

    async def scenario() -> str:
        engine = Engine(registry())
        dbg = Debugger()
        run = engine.start(doc.snapshot(), payload=1, debugger=dbg)
        await asyncio.sleep(0.01)
        dbg.pause()
        at = await _until_paused(dbg)
        dbg.continue_()
        await run.wait()
        await engine.aclose()
        return at

    assert asyncio.run(scenario()) == "next"


def test_run_a_single_node_with_inputs_from_the_last_run() -> None:
    doc = _diamond()
    first = run_sync(doc, payload=1)
    reuse = {n: Reused(first.outputs[n]) for n in ("start", "left", "right")}
    result = run_sync(doc, run_set={"left"}, reuse=reuse)
    # only `left` ran; the rest took the earlier outputs or were not run
    assert result.outputs["left"] == "L1"
    assert result.states["start"] is NodeState.SUCCEEDED


def test_run_from_a_node_reuses_upstream_outputs_of_a_past_execution() -> None:
    doc = build(
        [("start", "manual"), ("f", "t_flaky", {"key": "from-node", "fail_times": 0}), ("after", "t_echo")],
        [("start", "f"), ("f", "after")],
    )
    reuse = {"start": Reused("old-trigger"), "f": Reused("old-f")}
    result = run_sync(doc, run_set=plan_from(doc.graph, "after"), reuse=reuse)
    assert result.outputs["after"] == "old-f"


def test_stale_nodes_are_the_edited_node_and_everything_downstream() -> None:
    doc = _diamond()
    assert stale_nodes(doc.graph, ["left"]) == {"left", "join"}
    assert stale_nodes(doc.graph, ["start"]) == {"start", "left", "right", "join"}
