"""Fire times across DST: the spring-forward and fall-back days of Europe/Berlin and America/New_York."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from flowforge_desktop.nodes.base import NodeError
from flowforge_desktop.nodes.builtin.schedule_times import ScheduleError, next_fire_times, next_fire_times_for
from flowforge_desktop.nodes.builtin.testing import make
from flowforge_desktop.nodes.builtin.triggers import ScheduleTrigger

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


def cron(expr: str, tz: str, after: datetime, count: int) -> list[str]:
    return [t.isoformat() for t in next_fire_times("cron", cron_expression=expr, timezone=tz, after=after, count=count)]


def fires_on_day(expr: str, tz: ZoneInfo, day: datetime) -> list[datetime]:
    start = day.replace(tzinfo=tz) - timedelta(seconds=1)
    end = (day + timedelta(days=1)).replace(tzinfo=tz)
    times = next_fire_times("cron", cron_expression=expr, timezone=str(tz), after=start, count=200)
    return [t for t in times if t < end]


@pytest.mark.parametrize(
    ("tz", "day", "expected"),
    [
        ("Europe/Berlin", datetime(2026, 3, 29), "2026-03-29T03:00:00+02:00"),
        ("America/New_York", datetime(2026, 3, 8), "2026-03-08T03:00:00-04:00"),
    ],
)
def test_spring_forward_a_fixed_time_in_the_gap_fires_once_when_the_clock_jumps(
    tz: str, day: datetime, expected: str
) -> None:
    times = fires_on_day("30 2 * * *", ZoneInfo(tz), day)
    assert [t.isoformat() for t in times] == [expected]


@pytest.mark.parametrize(
    ("tz", "day", "expected"),
    [
        ("Europe/Berlin", datetime(2026, 10, 25), "2026-10-25T02:30:00+02:00"),
        ("America/New_York", datetime(2026, 11, 1), "2026-11-01T01:30:00-04:00"),
    ],
)
def test_fall_back_a_fixed_time_in_the_repeated_hour_fires_once_on_its_first_pass(
    tz: str, day: datetime, expected: str
) -> None:
    expr = "30 2 * * *" if tz == "Europe/Berlin" else "30 1 * * *"
    times = fires_on_day(expr, ZoneInfo(tz), day)
    assert [t.isoformat() for t in times] == [expected]


def test_fall_back_started_between_the_two_passes_does_not_fire_the_second_pass() -> None:
    first_pass = datetime(2026, 10, 25, 2, 45, tzinfo=BERLIN, fold=0)
    assert cron("30 2 * * *", "Europe/Berlin", first_pass, 1) == ["2026-10-26T02:30:00+01:00"]


def test_hourly_job_runs_by_elapsed_time_25_fires_on_fall_back_23_on_spring_forward() -> None:
    assert len(fires_on_day("0 * * * *", BERLIN, datetime(2026, 10, 25))) == 25
    assert len(fires_on_day("0 * * * *", BERLIN, datetime(2026, 3, 29))) == 23
    ny = fires_on_day("0 * * * *", NEW_YORK, datetime(2026, 11, 1))
    assert [t.isoformat() for t in ny[1:4]] == [
        "2026-11-01T01:00:00-04:00",
        "2026-11-01T01:00:00-05:00",
        "2026-11-01T02:00:00-05:00",
    ]
    spring = fires_on_day("*/30 * * * *", NEW_YORK, datetime(2026, 3, 8))
    assert [t.strftime("%H:%M") for t in spring[2:6]] == ["01:00", "01:30", "03:00", "03:30"]


def test_fire_times_are_strictly_increasing_and_one_hour_apart_in_real_time_across_fall_back() -> None:
    times = next_fire_times(
        "cron",
        cron_expression="0 * * * *",
        timezone="America/New_York",
        after=datetime(2026, 10, 31, 22, tzinfo=NEW_YORK),
        count=10,
    )
    utc = [t.astimezone(UTC) for t in times]  # same-tzinfo subtraction would compare wall clocks
    gaps = {(b - a).total_seconds() for a, b in itertools.pairwise(utc)}
    assert gaps == {3600.0}


def test_daily_job_keeps_its_wall_clock_time_on_both_sides_of_the_change() -> None:
    after = datetime(2026, 3, 27, 12, tzinfo=BERLIN)
    assert cron("0 9 * * *", "Europe/Berlin", after, 4) == [
        "2026-03-28T09:00:00+01:00",
        "2026-03-29T09:00:00+02:00",
        "2026-03-30T09:00:00+02:00",
        "2026-03-31T09:00:00+02:00",
    ]


def test_day_of_month_and_day_of_week_are_ored_like_cron() -> None:
    times = cron("0 0 1 * mon", "UTC", datetime(2026, 6, 1, 0, 30, tzinfo=UTC), 3)
    assert times == ["2026-06-08T00:00:00+00:00", "2026-06-15T00:00:00+00:00", "2026-06-22T00:00:00+00:00"]


def test_six_field_cron_has_seconds_last() -> None:
    times = cron("* * * * * */20", "UTC", datetime(2026, 1, 1, tzinfo=UTC), 3)
    assert times == ["2026-01-01T00:00:20+00:00", "2026-01-01T00:00:40+00:00", "2026-01-01T00:01:00+00:00"]


def test_interval_counts_from_its_anchor_in_elapsed_time_and_reports_in_the_zone() -> None:
    anchor = datetime(2026, 10, 24, 23, 0, tzinfo=UTC)
    times = next_fire_times(
        "interval", interval_seconds=3600, timezone="Europe/Berlin", anchor=anchor, after=anchor, count=3
    )
    assert [t.isoformat() for t in times] == [
        "2026-10-25T02:00:00+02:00",
        "2026-10-25T02:00:00+01:00",
        "2026-10-25T03:00:00+01:00",
    ]


def test_bad_schedules_say_what_is_wrong() -> None:
    with pytest.raises(ScheduleError, match=r"^invalid cron expression '61 \* \* \* \*'$"):
        next_fire_times("cron", cron_expression="61 * * * *", after=datetime.now(UTC))
    with pytest.raises(ScheduleError, match=r"^unknown time zone 'Mars/Olympus' \(use an IANA name"):
        next_fire_times("cron", cron_expression="0 * * * *", timezone="Mars/Olympus")
    with pytest.raises(ScheduleError, match=r"^a schedule needs a time-zone-aware start time$"):
        next_fire_times("cron", cron_expression="0 * * * *", after=datetime(2026, 1, 1))
    with pytest.raises(ScheduleError, match=r"^interval_seconds must be greater than 0$"):
        next_fire_times("interval", interval_seconds=None)


def test_trigger_next_fire_times_for_the_inspector() -> None:
    trigger = make(ScheduleTrigger, schedule_type="cron", cron_expression="0 12 * * *", timezone="America/New_York")
    times = trigger.next_fire_times(3, after=datetime(2026, 1, 1, tzinfo=UTC))
    assert [t.isoformat() for t in times] == [
        "2026-01-01T12:00:00-05:00",
        "2026-01-02T12:00:00-05:00",
        "2026-01-03T12:00:00-05:00",
    ]
    with pytest.raises(NodeError, match=r"^cron expression '0 0 31 2 \*' never matches a real date$"):
        ScheduleTrigger(
            ScheduleTrigger.Config.model_construct(schedule_type="cron", cron_expression="0 0 31 2 *", timezone="UTC")
        ).next_fire_times(1)


def test_started_inside_the_repeated_hour_an_elapsed_time_job_still_gets_the_second_pass() -> None:
    first_pass = datetime(2026, 10, 25, 2, 25, tzinfo=BERLIN, fold=0)
    assert [t.strftime("%H:%M%z") for t in fires_after("*/20 * * * *", first_pass, 5)] == [
        "02:40+0200",
        "02:00+0100",
        "02:20+0100",
        "02:40+0100",
        "03:00+0100",
    ]


def fires_after(expr: str, after: datetime, count: int) -> list[datetime]:
    return next_fire_times("cron", cron_expression=expr, timezone=str(after.tzinfo), after=after, count=count)


def test_next_fire_times_for_a_config_object() -> None:
    config = make(ScheduleTrigger, cron_expression="30 2 * * *", timezone="Europe/Berlin").config
    after = datetime(2026, 10, 24, 12, tzinfo=UTC)
    assert [t.isoformat() for t in next_fire_times_for(config, 2, after)] == [
        "2026-10-25T02:30:00+02:00",
        "2026-10-26T02:30:00+01:00",
    ]
