"""The supervisor with real time, real folders and real files: schedules, file watches, the queue, reloads."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import pytest
from agent_support import agent_config, make_registry, node, rows_of, running_agent, wait_for, write_workflow

from flowforge_desktop.agent.runtime import Agent
from flowforge_desktop.agent.supervisor import QueueFullError, WorkflowRefused


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def finished(agent: Any, workflow_id: str | None = None, status: str = "succeeded") -> list[dict[str, Any]]:
    return rows_of(agent, workflow_id=workflow_id, status=status)


def test_interval_schedule_fires_and_runs_are_recorded(tmp_path: Path) -> None:
    wf = write_workflow(
        tmp_path / "tick.json",
        "wf-tick",
        [node("tick", "schedule", {"schedule_type": "interval", "interval_seconds": 0.2}), node("echo", "test_echo")],
        [("tick", "echo")],
    )

    async def scenario() -> None:
        async with running_agent(tmp_path) as agent:
            entry = await agent.supervisor.add(wf)
            slot = entry.slots[0]
            assert slot.state == "armed" and slot.next_fire_time() is not None
            rows = await wait_for(
                lambda: len(finished(agent, "wf-tick")) >= 3 and finished(agent, "wf-tick"), what="three scheduled runs"
            )
            assert {r["trigger"] for r in rows} == {"schedule"}
            assert slot.fires >= 3
            # the payload reached the run: the echo node saw the schedule's fire record
            nodes = agent.store.node_runs(rows[-1]["id"])
            echo = next(n for n in nodes if n["node_id"] == "echo")
            assert echo["output"]["input"]["node_id"] == "tick" and "scheduled_for" in echo["output"]["input"]

    run(scenario())


def test_file_watch_on_a_real_folder_starts_one_run_per_file(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    wf = write_workflow(
        tmp_path / "watch.json",
        "wf-watch",
        [
            node("new", "file_watch", {"watch_path": str(inbox), "file_pattern": "*.csv", "quiet_time": 0.1}),
            node("echo", "test_echo"),
        ],
        [("new", "echo")],
    )

    async def scenario() -> None:
        async with running_agent(tmp_path) as agent:
            entry = await agent.supervisor.add(wf)
            assert entry.slots[0].state == "armed", entry.slots[0].error
            with (inbox / "orders.csv").open("w") as f:  # written in several chunks
                for i in range(5):
                    f.write(f"{i},x\n")
                    f.flush()
                    await asyncio.sleep(0.01)
            (inbox / "ignored.txt").write_text("no")
            rows = await wait_for(lambda: finished(agent, "wf-watch"), what="the file-watch run")
            await asyncio.sleep(0.5)
            rows = finished(agent, "wf-watch")
            assert len(rows) == 1
            echo = next(n for n in agent.store.node_runs(rows[0]["id"]) if n["node_id"] == "echo")
            payload = echo["output"]["input"]
            assert payload["path"] == str(inbox / "orders.csv") and payload["event"] == "created"
            assert payload["size"] == 20

    run(scenario())


def test_queue_overflow_is_recorded_never_silent(tmp_path: Path) -> None:
    wf = write_workflow(
        tmp_path / "slow.json",
        "wf-slow",
        [node("go", "manual"), node("wait", "test_slow", {"seconds": 0.5})],
        [("go", "wait")],
    )

    async def scenario() -> None:
        async with running_agent(tmp_path, queue_size=2, max_concurrent_runs=1) as agent:
            sup = agent.supervisor
            await sup.add(wf)
            events: list[str] = []
            sup.add_listener(lambda what, data: events.append(what))
            first = await sup.run_now("wf-slow")
            await asyncio.wait_for(first.started, 2)  # running, not queued
            await sup.run_now("wf-slow")
            await sup.run_now("wf-slow")
            with pytest.raises(QueueFullError) as err:
                await sup.run_now("wf-slow")
            assert str(err.value) == (
                "the run queue is full (2 runs waiting); the manual run of 'Wf Slow' was not started and was "
                f"recorded in {sup.overflow_path}"
            )
            lines = [json.loads(line) for line in sup.overflow_path.read_text().splitlines()]
            assert len(lines) == 1
            assert lines[0]["workflow_id"] == "wf-slow" and lines[0]["reason"] == "the run queue is full (2 waiting)"
            assert "overflow" in events
            health = agent.health()
            assert health["executions"]["overflowed"] == 1 and health["status"] == "degraded"
            assert health["problems"] == ["1 fired run(s) were refused because the queue was full"]
            await wait_for(lambda: len(finished(agent, "wf-slow")) == 3, timeout=10, what="the three accepted runs")

    run(scenario())


def test_priority_runs_first_when_the_queue_is_busy(tmp_path: Path) -> None:
    low = write_workflow(tmp_path / "low.json", "wf-low", [node("go", "manual"), node("e", "test_echo")], [("go", "e")])
    high = write_workflow(
        tmp_path / "high.json", "wf-high", [node("go", "manual"), node("e", "test_echo")], [("go", "e")], priority=10
    )
    blocker = write_workflow(
        tmp_path / "block.json",
        "wf-block",
        [node("go", "manual"), node("w", "test_slow", {"seconds": 0.3})],
        [("go", "w")],
    )

    async def scenario() -> None:
        async with running_agent(tmp_path, max_concurrent_runs=1) as agent:
            sup = agent.supervisor
            for wf in (low, high, blocker):
                await sup.add(wf)
            order: list[str] = []
            sup.add_listener(lambda what, data: what == "run_started" and order.append(data["workflow_id"]))
            b = await sup.run_now("wf-block")
            await asyncio.wait_for(b.started, 2)
            await sup.run_now("wf-low")
            await sup.run_now("wf-low")
            await sup.run_now("wf-high")
            await wait_for(lambda: len(order) == 4, what="all runs to start")
            assert order == ["wf-block", "wf-high", "wf-low", "wf-low"]

    run(scenario())


def test_failing_trigger_is_rearmed_with_backoff_and_others_keep_firing(tmp_path: Path) -> None:
    later = tmp_path / "later"
    wf = write_workflow(
        tmp_path / "mixed.json",
        "wf-mixed",
        [
            node("watch", "file_watch", {"watch_path": str(later), "quiet_time": 0}),
            node("tick", "schedule", {"schedule_type": "interval", "interval_seconds": 0.2}),
        ],
    )

    async def scenario() -> None:
        async with running_agent(tmp_path, trigger_backoff=0.1) as agent:
            entry = await agent.supervisor.add(wf)
            watch, tick = entry.slots
            assert watch.state == "error"
            assert watch.error == f"watch_path '{later}' does not exist: create the folder or choose another one"
            assert tick.state == "armed"
            await wait_for(lambda: watch.failures >= 2, what="a second arming attempt")
            health = agent.health()
            assert health["status"] == "degraded"
            assert f"trigger Wf Mixed/watch: {watch.error}" in health["problems"]
            await wait_for(lambda: len(finished(agent, "wf-mixed")) >= 2, what="the schedule to keep firing")
            later.mkdir()
            await wait_for(lambda: watch.state == "armed", timeout=10, what="the watch to re-arm")
            assert watch.error is None

    run(scenario())


def test_changed_workflow_file_rearms_and_a_broken_save_keeps_the_old_triggers(tmp_path: Path) -> None:
    path = tmp_path / "hook.json"
    write_workflow(path, "wf-h", [node("in", "webhook", {"webhook_id": "first"})])

    async def scenario() -> None:
        async with running_agent(tmp_path) as agent:
            entry = await agent.supervisor.add(path)
            assert set(agent.server.webhooks) == {"first"}
            write_workflow(path, "wf-h", [node("in", "webhook", {"webhook_id": "second"})])
            await wait_for(lambda: set(agent.server.webhooks) == {"second"}, what="the re-arm after the edit")
            path.write_text('{"format": "flowforge.workflow", "version": 1, "nodes": [', encoding="utf-8")
            await wait_for(lambda: entry.error, what="the broken save to be noticed")
            assert entry.error.startswith(f"{path}: ") and entry.error.endswith("(the previous version stays armed)")
            assert set(agent.server.webhooks) == {"second"}

    run(scenario())


def test_activation_refuses_a_broken_file_with_the_reason(tmp_path: Path) -> None:
    bad = write_workflow(
        tmp_path / "bad.json",
        "wf-bad",
        [node("t", "schedule", {"schedule_type": "cron", "cron_expression": "61 * * * *"})],
    )

    async def scenario() -> None:
        async with running_agent(tmp_path) as agent:
            with pytest.raises(WorkflowRefused) as err:
                await agent.supervisor.add(bad)
            assert str(err.value).startswith(f"{bad}: ")
            assert "invalid cron expression '61 * * * *'" in str(err.value)
            assert agent.supervisor.entries == {}

    run(scenario())


def test_shutdown_waits_then_records_running_executions_as_interrupted(tmp_path: Path) -> None:
    wf = write_workflow(
        tmp_path / "slow.json",
        "wf-slow",
        [node("go", "manual"), node("w", "test_slow", {"seconds": 30})],
        [("go", "w")],
    )
    quick = write_workflow(
        tmp_path / "quick.json",
        "wf-quick",
        [node("go", "manual"), node("w", "test_slow", {"seconds": 0.2})],
        [("go", "w")],
    )

    async def scenario() -> None:
        agent = Agent(agent_config(), registry=make_registry(), state_dir=tmp_path / "state")
        await agent.start()
        await agent.supervisor.add(wf)
        await agent.supervisor.add(quick)
        slow_run = await agent.supervisor.run_now("wf-slow")
        quick_run = await agent.supervisor.run_now("wf-quick")
        slow_handle = await asyncio.wait_for(slow_run.started, 2)
        quick_handle = await asyncio.wait_for(quick_run.started, 2)
        interrupted = await agent.stop(grace=0.6)
        assert interrupted == [slow_handle.execution_id]
        assert agent.store.get_execution(slow_handle.execution_id)["status"] == "interrupted"
        assert agent.store.get_execution(quick_handle.execution_id)["status"] == "succeeded"

    run(scenario())


def test_active_list_and_paused_state_survive_a_restart(tmp_path: Path) -> None:
    wf = write_workflow(tmp_path / "hook.json", "wf-h", [node("in", "webhook", {"webhook_id": "h1"})])
    other = write_workflow(tmp_path / "other.json", "wf-o", [node("in", "webhook", {"webhook_id": "h2"})])

    async def scenario() -> None:
        async with running_agent(tmp_path) as agent:
            await agent.supervisor.add(wf)
            await agent.supervisor.add(other)
            await agent.supervisor.set_active("wf-o", False)
            await agent.supervisor.pause(True)
        async with running_agent(tmp_path) as agent:
            listed = {w["id"]: w["active"] for w in agent.supervisor.describe_workflows()}
            assert listed == {"wf-h": True, "wf-o": False}
            assert set(agent.server.webhooks) == {"h1"}
            assert agent.supervisor.paused is True

    run(scenario())


@pytest.mark.parametrize("policy", ["skip", "run_once"])
def test_missed_schedules_after_downtime_follow_the_setting(tmp_path: Path, policy: str) -> None:
    wf = write_workflow(
        tmp_path / "daily.json",
        "wf-daily",
        [node("tick", "schedule", {"schedule_type": "interval", "interval_seconds": 3600}), node("e", "test_echo")],
        [("tick", "e")],
        missed_schedules=policy,
    )
    state = tmp_path / "state"
    state.mkdir()
    # the agent was last running three hours ago, when the schedule last fired
    (state / "agent_state.json").write_text(
        json.dumps(
            {
                "workflows": [{"path": str(wf), "active": True}],
                "last_fires": {"wf-daily/tick": time.time() - 3 * 3600},
            }
        )
    )

    async def scenario() -> None:
        async with running_agent(tmp_path) as agent:
            await asyncio.sleep(0.4)
            rows = rows_of(agent, workflow_id="wf-daily")
            if policy == "skip":
                assert rows == []
            else:
                assert len(rows) == 1 and rows[0]["trigger"] == "schedule"
                echo = next(n for n in agent.store.node_runs(rows[0]["id"]) if n["node_id"] == "e")
                assert echo["output"]["input"]["missed"] is True

    run(scenario())


def test_adding_an_active_workflow_again_rearms_what_the_file_now_says(tmp_path: Path) -> None:
    path = tmp_path / "hook.json"
    write_workflow(path, "wf-h", [node("in", "webhook", {"webhook_id": "before"})])

    async def scenario() -> None:
        async with running_agent(tmp_path, poll_interval=3600) as agent:  # no polling: only add() may re-arm
            await agent.supervisor.add(path)
            write_workflow(path, "wf-h", [node("in", "webhook", {"webhook_id": "after"})])
            await agent.supervisor.add(path)
            assert set(agent.server.webhooks) == {"after"}

    run(scenario())


def test_an_agent_given_the_designers_engine_and_store_does_not_record_twice(tmp_path: Path) -> None:
    from flowforge_desktop.agent.engine_runner import make_engine, make_store

    async def scenario() -> None:
        engine, store = make_engine(make_registry()), make_store(tmp_path / "h.sqlite3")
        store.attach(engine)
        agent = Agent(agent_config(), engine=engine, store=store, registry=make_registry(), state_dir=tmp_path / "s")
        assert len(engine._subscribers) == 1
        await agent.start()
        await agent.stop(grace=0)
        agent.close_store()
        assert store.list_executions().rows == []  # still open: it belongs to the designer
        store.close()

    run(scenario())


def test_port_in_use_can_leave_the_agent_running_without_its_server(tmp_path: Path) -> None:
    import socket

    wf = write_workflow(
        tmp_path / "mixed.json",
        "wf-m",
        [
            node("hook", "webhook", {"webhook_id": "h"}),
            node("tick", "schedule", {"schedule_type": "interval", "interval_seconds": 0.2}),
        ],
    )

    async def scenario() -> None:
        with socket.socket() as busy:
            busy.bind(("127.0.0.1", 0))
            busy.listen()
            port = busy.getsockname()[1]
            agent = Agent(agent_config(api_port=port), registry=make_registry(), state_dir=tmp_path / "state")
            await agent.start(require_server=False)
            try:
                assert agent.server is None
                assert agent.server_error.startswith(f"port {port} on 127.0.0.1 is already in use by another program")
                entry = await agent.supervisor.add(wf)
                hook, tick = entry.slots
                assert hook.state == "error"
                assert hook.error == "the local HTTP server is not running, so webhooks cannot be received"
                assert tick.state == "armed"
                await wait_for(lambda: rows_of(agent, workflow_id="wf-m"), what="the schedule to run anyway")
            finally:
                await agent.stop(grace=0)
                agent.close_store()

    run(scenario())
