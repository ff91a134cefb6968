"""When a schedule fires: pure functions the schedule trigger, the inspector and the agent share.

Cron expressions are read on the local wall clock of an IANA time zone, and the two yearly
daylight-saving changes are handled the way Vixie cron handles them:

- A job at a fixed hour (``30 2 * * *``) fires once a day. On the fall-back day its wall-clock time
  happens twice; it fires on the first one only. On the spring-forward day its time does not exist;
  it fires once, at the moment the clock jumps (03:00 in Europe/Berlin).
- A job whose hour field is a wildcard (``*/5 * * * *``, ``0 * * * *``, ``15 */2 * * *``) runs by
  elapsed time: in the repeated hour it fires on both passes, and minutes that do not exist are
  skipped.

croniter walks naive wall-clock times here; this module maps each one to real instants itself, so
the rules above do not depend on croniter's own DST handling (which fires a daily job twice on the
fall-back day).
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import CroniterBadDateError, croniter

__all__ = [
    "ScheduleError",
    "cron_is_elapsed_time",
    "next_cron_times",
    "next_fire_times",
    "next_fire_times_for",
    "next_interval_times",
]

# Wider than any daylight-saving shift in the tz database (2 h at most), so that sorting candidates
# by instant inside this window is exact.
_WINDOW = timedelta(hours=3)


class ScheduleError(ValueError):
    """A schedule that cannot produce fire times, described for the user."""


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ScheduleError(f"unknown time zone '{name}' (use an IANA name such as 'Europe/Berlin')") from None


def cron_is_elapsed_time(expression: str) -> bool:
    """True when the hour field is a wildcard: the job then runs by elapsed time across DST changes."""
    fields = expression.split()
    return len(fields) >= 2 and fields[1].startswith("*")


def _check_cron(expression: str) -> None:
    if len(expression.split()) not in (5, 6) or not croniter.is_valid(expression):
        raise ScheduleError(f"invalid cron expression '{expression}'")


def _as_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ScheduleError("a schedule needs a time-zone-aware start time")
    return moment.astimezone(UTC)


def _instants_of(wall: datetime, tz: ZoneInfo) -> tuple[list[datetime], bool]:
    """The UTC instants a naive wall-clock time denotes in ``tz``, and whether it exists at all.

    Normal time: one instant. Fall-back overlap: two (first pass, second pass). Spring-forward gap:
    none exist; the instant returned is the moment the clock jumps.
    """
    found = []
    for fold in (0, 1):
        instant = wall.replace(tzinfo=tz, fold=fold).astimezone(UTC)
        if instant.astimezone(tz).replace(tzinfo=None) == wall and instant not in found:
            found.append(instant)
    if found:
        return sorted(found), True
    # In the gap: fold=1 reads it with the offset after the jump (an instant before the jump), fold=0
    # with the offset before it (an instant after). The jump lies between; find it to the second.
    low = wall.replace(tzinfo=tz, fold=1).astimezone(UTC)
    high = wall.replace(tzinfo=tz, fold=0).astimezone(UTC)
    if high < low:
        low, high = high, low
    before = low.astimezone(tz).utcoffset()
    while high - low > timedelta(seconds=1):
        mid = low + (high - low) / 2
        mid = mid.replace(microsecond=0)
        if mid <= low:
            break
        if mid.astimezone(tz).utcoffset() == before:
            low = mid
        else:
            high = mid
    return [high.replace(microsecond=0)], False


def _cron_candidates(expression: str, tz: ZoneInfo, after: datetime) -> Iterator[list[datetime]]:
    """The instants of each matching wall-clock time, in wall-clock order, from the earliest wall time
    that can still denote an instant after ``after`` (a DST shift earlier, near a fall-back)."""
    elapsed = cron_is_elapsed_time(expression)
    offsets = [(after + d).astimezone(tz).utcoffset() or timedelta(0) for d in (-_WINDOW, timedelta(0), _WINDOW)]
    start_wall = (after + min(offsets)).replace(tzinfo=None) - timedelta(seconds=1)
    it = croniter(expression, start_wall)
    while True:
        try:
            wall = it.get_next(datetime)
        except CroniterBadDateError:
            raise ScheduleError(f"cron expression '{expression}' never matches a real date") from None
        instants, exists = _instants_of(wall, tz)
        if not exists and elapsed:
            continue  # a minute that never happens, for a job that runs by elapsed time
        yield instants if elapsed else instants[:1]  # fixed time: the first pass of a repeated hour only


def next_cron_times(expression: str, timezone: str, after: datetime, count: int) -> list[datetime]:
    """The next ``count`` fire instants strictly after ``after``, as aware datetimes in ``timezone``."""
    _check_cron(expression)
    tz = zone(timezone)
    after_utc = _as_utc(after)
    result: list[datetime] = []
    pending: list[datetime] = []
    if count <= 0:
        return result
    for instants in _cron_candidates(expression, tz, after_utc):
        for instant in instants:
            if instant > after_utc:
                heapq.heappush(pending, instant)
        # The earliest instant of a wall time never decreases along wall-clock order, so nothing
        # generated later can come before it: everything up to it is final.
        floor = instants[0]
        while pending and pending[0] <= floor:
            instant = heapq.heappop(pending)
            if not result or instant > result[-1]:
                result.append(instant)
                if len(result) == count:
                    return [r.astimezone(tz) for r in result]
    return [r.astimezone(tz) for r in result]  # pragma: no cover - croniter iterates forever


def next_interval_times(interval_seconds: float, anchor: datetime, after: datetime, count: int) -> list[datetime]:
    """Fires at ``anchor + k * interval`` (elapsed time, unaffected by DST), strictly after ``after``."""
    if not interval_seconds or interval_seconds <= 0:
        raise ScheduleError("interval_seconds must be greater than 0")
    anchor_utc, after_utc = _as_utc(anchor), _as_utc(after)
    step = timedelta(seconds=interval_seconds)
    k = max(1, math.floor((after_utc - anchor_utc) / step) + 1)
    while anchor_utc + k * step <= after_utc:
        k += 1
    return [(anchor_utc + (k + i) * step).astimezone(after.tzinfo) for i in range(count)]


def next_fire_times(
    schedule_type: str,
    *,
    cron_expression: str | None = None,
    interval_seconds: float | None = None,
    timezone: str = "UTC",
    after: datetime | None = None,
    anchor: datetime | None = None,
    count: int = 5,
) -> list[datetime]:
    """The next ``count`` fire times of a schedule config, aware, in its time zone.

    ``after`` defaults to now. ``anchor`` is where an interval schedule counts from (default: ``after``).
    """
    after = after or datetime.now(UTC)
    if schedule_type == "cron":
        if not cron_expression:
            raise ScheduleError("cron_expression is required when schedule_type is 'cron'")
        return next_cron_times(cron_expression, timezone, after, count)
    if schedule_type == "interval":
        tz = zone(timezone)
        times = next_interval_times(interval_seconds or 0, anchor or after, after, count)
        return [t.astimezone(tz) for t in times]
    raise ScheduleError(f"unknown schedule_type '{schedule_type}' (use 'cron' or 'interval')")


def next_fire_times_for(config: Any, count: int = 1, after: datetime | None = None) -> list[datetime]:
    """``next_fire_times`` for a schedule Config (anything with its attributes), e.g. for the agent's catch-up."""
    return next_fire_times(
        config.schedule_type,
        cron_expression=config.cron_expression,
        interval_seconds=config.interval_seconds,
        timezone=config.timezone,
        after=after,
        count=count,
    )
