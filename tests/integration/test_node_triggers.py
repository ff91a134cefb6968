"""Schedule and manual triggers in real time: arm, fire with the payload, disarm."""

from __future__ import annotations

import asyncio
import itertools
from datetime import datetime

import pytest

from flowforge_desktop.nodes.base import NodeError
from flowforge_desktop.nodes.builtin.testing import FireRecorder, SimpleNodeContext, make
from flowforge_desktop.nodes.builtin.triggers import ArmedSchedule, ManualTrigger, ScheduleTrigger


def test_interval_schedule_fires_with_its_payload_until_disarmed() -> None:
    async def main() -> tuple[list[dict[str, str]], int]:
        rec = FireRecorder("every_tick")
        armed = await make(
            ScheduleTrigger, schedule_type="interval", interval_seconds=0.05, timezone="Europe/Berlin"
        ).arm(rec.ctx)
        assert isinstance(armed, ArmedSchedule)
        upcoming = armed.next_fire_times(3)
        assert len(upcoming) == 3 and upcoming[0] < upcoming[1] < upcoming[2]
        await rec.wait_for(3)
        await armed.disarm()
        count = len(rec.payloads)
        await asyncio.sleep(0.15)  # nothing fires after disarm
        assert len(rec.payloads) == count
        return rec.payloads, armed.fired

    payloads, fired = asyncio.run(main())
    assert fired == len(payloads) >= 3
    scheduled = [datetime.fromisoformat(p["scheduled_for"]) for p in payloads]
    assert all(b > a for a, b in itertools.pairwise(scheduled))
    for p in payloads:
        assert datetime.fromisoformat(p["fired_at"]) >= datetime.fromisoformat(p["scheduled_for"])
        assert p["scheduled_for"][-6:] in ("+01:00", "+02:00")  # reported in the schedule's zone


def test_cron_schedule_with_seconds_fires_on_the_second() -> None:
    async def main() -> dict[str, str]:
        rec = FireRecorder()
        armed = await make(ScheduleTrigger, schedule_type="cron", cron_expression="* * * * * *").arm(rec.ctx)
        try:
            await rec.wait_for(1, timeout=3)
        finally:
            await armed.disarm()
        return rec.payloads[0]

    payload = asyncio.run(main())
    assert datetime.fromisoformat(payload["scheduled_for"]).microsecond == 0


def test_a_failing_fire_is_logged_and_the_schedule_keeps_going(caplog: pytest.LogCaptureFixture) -> None:
    async def main() -> int:
        calls = 0

        async def fire(payload: object) -> None:
            nonlocal calls
            calls += 1
            raise RuntimeError("queue is full")

        rec = FireRecorder("flaky")
        rec.ctx.fire = fire
        armed = await make(ScheduleTrigger, schedule_type="interval", interval_seconds=0.03).arm(rec.ctx)
        while calls < 2:
            await asyncio.sleep(0.01)
        await armed.disarm()
        return calls

    assert asyncio.run(main()) >= 2
    assert "schedule flaky: starting the run failed" in caplog.text


def test_a_schedule_that_never_fires_is_refused_by_validation_and_when_armed() -> None:
    with pytest.raises(ValueError, match=r"cron expression '0 0 30 2 \*' never matches a real date"):
        make(ScheduleTrigger, cron_expression="0 0 30 2 *")
    config = ScheduleTrigger.Config.model_construct(schedule_type="cron", cron_expression="0 0 30 2 *", timezone="UTC")
    with pytest.raises(NodeError, match=r"^cron expression '0 0 30 2 \*' never matches a real date$"):
        asyncio.run(ScheduleTrigger(config).arm(FireRecorder().ctx))


def test_inspector_preview_gives_fire_times_or_the_reason() -> None:
    times, error = ScheduleTrigger.preview({"cron_expression": "0 9 * * 1-5", "timezone": "Europe/Berlin"}, 3)
    assert error is None and len(times) == 3 and all(t.weekday() < 5 and t.hour == 9 for t in times)
    assert ScheduleTrigger.preview({"cron_expression": "0 9 * *"}) == ([], "invalid cron expression '0 9 * *'")
    assert ScheduleTrigger.preview({"cron_expression": "0 9 * * *", "timezone": "Berlin"}) == (
        [],
        "timezone: unknown time zone 'Berlin' (use an IANA name such as 'Europe/Berlin')",
    )


def test_bad_schedule_configs_are_refused_naming_the_field() -> None:
    with pytest.raises(ValueError, match="invalid cron expression 'every monday'"):
        make(ScheduleTrigger, cron_expression="every monday")
    with pytest.raises(ValueError, match="interval_seconds is required when schedule_type is 'interval'"):
        make(ScheduleTrigger, schedule_type="interval")
    with pytest.raises(ValueError, match="unknown time zone 'Berlin'"):
        make(ScheduleTrigger, cron_expression="0 * * * *", timezone="Berlin")


def test_manual_outputs_the_run_input_or_its_configured_input() -> None:
    async def run(config_input: object, trigger: object) -> object:
        async with SimpleNodeContext(trigger=trigger) as ctx:
            return await make(ManualTrigger, input=config_input).run(ctx, {})

    assert asyncio.run(run({"default": True}, None)) == {"default": True}
    assert asyncio.run(run({"default": True}, {"given": 1})) == {"given": 1}
    assert asyncio.run(make(ManualTrigger).arm(FireRecorder().ctx)) is None
