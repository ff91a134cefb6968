"""The agent's own arming of schedule and file-watch triggers, used only when a kind has no ``arm`` of its own.

The node library owns ``ScheduleTrigger.arm`` / ``FileWatchTrigger.arm``; until those land the
supervisor arms with these, so that active workflows fire either way. When the kind implements
``arm``, the supervisor calls it instead and nothing here runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import fnmatch
import logging
import os
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from flowforge_desktop.nodes.base import NodeKind, TriggerContext, TriggerKind

log = logging.getLogger(__name__)


def has_own_arm(kind: type[NodeKind]) -> bool:
    return getattr(kind, "arm", None) is not None and kind.arm is not TriggerKind.arm  # type: ignore[attr-defined]


def fallback_armer(kind_name: str) -> Any:
    return {"schedule": arm_schedule, "file_watch": arm_file_watch}.get(kind_name)


# --- schedule -------------------------------------------------------------------------------------


def next_fire_times(config: Any, count: int = 1, after: datetime | None = None) -> list[datetime]:
    """The next ``count`` fire instants (tz-aware, UTC) after ``after`` (default: now)."""
    after = after or datetime.now(UTC)
    if config.schedule_type == "interval":
        step = config.interval_seconds
        return [datetime.fromtimestamp(after.timestamp() + step * (i + 1), UTC) for i in range(count)]
    from croniter import croniter

    tz = ZoneInfo(config.timezone)
    it = croniter(config.cron_expression, after.astimezone(tz))
    out: list[datetime] = []
    seen_wall: set[tuple[int, int, int, int, int]] = set()
    while len(out) < count:
        nxt: datetime = it.get_next(datetime)
        wall = (nxt.year, nxt.month, nxt.day, nxt.hour, nxt.minute)
        if wall in seen_wall:  # fall-back day: the same wall-clock time twice fires once
            continue
        seen_wall.add(wall)
        out.append(nxt.astimezone(UTC))
    return out


class _ArmedSchedule:
    def __init__(self, config: Any, ctx: TriggerContext) -> None:
        self.config = config
        self.ctx = ctx
        self._next: datetime | None = None
        self._last_wall: tuple[int, ...] | None = None
        self._task = asyncio.get_running_loop().create_task(self._loop(), name=f"schedule:{ctx.node_id}")

    def next_fire_times(self, count: int = 1) -> list[datetime]:
        if self._next is None:
            return next_fire_times(self.config, count)
        return [self._next, *next_fire_times(self.config, count - 1, self._next)] if count > 1 else [self._next]

    async def _loop(self) -> None:
        after = datetime.now(UTC)
        while True:
            self._next = next_fire_times(self.config, 1, after)[0]
            await asyncio.sleep(max(0.0, self._next.timestamp() - time.time()))
            scheduled = self._next
            after = scheduled
            tz = ZoneInfo(self.config.timezone)
            payload = {
                "scheduled_for": scheduled.astimezone(tz).isoformat(),
                "fired_at": datetime.now(UTC).astimezone(tz).isoformat(),
            }
            try:
                await self.ctx.fire(payload)
            except Exception as exc:  # the next tick must still come
                self.ctx.logger.warning("schedule %s could not start a run: %s", self.ctx.node_id, exc)

    async def disarm(self) -> None:
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task


async def arm_schedule(config: Any, ctx: TriggerContext) -> _ArmedSchedule:
    return _ArmedSchedule(config, ctx)


# --- file watch -----------------------------------------------------------------------------------

_observer_lock = threading.Lock()
_observer: Any = None


def _shared_observer() -> Any:
    """One watchdog Observer for every watch (inotify instances are limited); polling if inotify fails."""
    global _observer
    with _observer_lock:
        if _observer is None or not _observer.is_alive():
            from watchdog.observers import Observer

            _observer = Observer()
            _observer.daemon = True
            _observer.start()
        return _observer


def check_watch_path(watch_path: str) -> str:
    """The absolute folder to watch, or an error that names it (same words as the node library's)."""
    path = os.path.abspath(os.path.expanduser(watch_path))
    if not os.path.exists(path):
        raise FileNotFoundError(f"watch_path '{path}' does not exist: create the folder or choose another one")
    if not os.path.isdir(path):
        raise NotADirectoryError(f"watch_path '{path}' is a file, not a folder: watch the folder that holds it")
    if not os.access(path, os.R_OK | os.X_OK):
        raise PermissionError(f"watch_path '{path}' cannot be read by this user: check its permissions")
    return path


class _ArmedFileWatch:
    def __init__(self, config: Any, ctx: TriggerContext) -> None:
        from watchdog.events import FileSystemEventHandler

        self.config = config
        self.ctx = ctx
        self.loop = asyncio.get_running_loop()
        self._pending: dict[str, asyncio.Task[None]] = {}
        path = Path(check_watch_path(config.watch_path))
        outer = self

        class Handler(FileSystemEventHandler):
            def on_any_event(self, event: Any) -> None:  # watchdog's thread
                if event.is_directory:
                    return
                kind = event.event_type
                target = event.src_path
                if kind == "moved":
                    target = event.dest_path
                    # an atomic save (temp file renamed onto the target) counts as a create/modify
                    if "moved" not in outer.config.watch_events:
                        kind = "created" if "created" in outer.config.watch_events else "modified"
                if kind not in ("created", "modified", "deleted", "moved") or kind not in outer.config.watch_events:
                    return
                name = os.path.basename(target)
                if outer.config.ignore_hidden and name.startswith("."):
                    return
                if not fnmatch.fnmatch(name, outer.config.file_pattern):
                    return
                outer.loop.call_soon_threadsafe(outer._changed, os.fsdecode(target), kind)

        observer = _shared_observer()
        try:
            self._watch = observer.schedule(Handler(), str(path), recursive=config.recursive)
        except OSError as exc:
            raise OSError(f"cannot watch '{path}': {exc} (inotify limits? raise fs.inotify.max_user_watches)") from exc
        self._observer = observer

    def _changed(self, path: str, kind: str) -> None:
        # many OS events for one change -> one run: restart the quiet-time wait, keep the first event's kind
        current = self._pending.pop(path, None)
        if current is not None and not current.done():
            current.cancel()
            previous = getattr(current, "ff_kind", kind)
            if kind == "modified" and previous in ("created", "moved"):
                kind = previous
        task = self.loop.create_task(self._settle_and_fire(path, kind))
        task.ff_kind = kind  # type: ignore[attr-defined]
        self._pending[path] = task

    async def _settle_and_fire(self, path: str, kind: str) -> None:
        quiet = self.config.quiet_time
        size = -1
        if kind != "deleted":
            while True:
                await asyncio.sleep(quiet)
                try:
                    now_size = os.stat(path).st_size
                except FileNotFoundError:
                    return
                if now_size == size or quiet == 0:
                    break
                size = now_size
        else:
            await asyncio.sleep(min(quiet, 0.05))
        self._pending.pop(path, None)
        payload = {
            "path": path,
            "name": os.path.basename(path),
            "event": kind,
            "size": max(size, 0),
            "node_id": self.ctx.node_id,
        }
        try:
            await self.ctx.fire(payload)
        except Exception as exc:
            self.ctx.logger.warning("file watch %s could not start a run: %s", self.ctx.node_id, exc)

    def next_fire_times(self, count: int = 1) -> list[Any]:
        return []

    async def disarm(self) -> None:
        with contextlib.suppress(Exception):
            self._observer.unschedule(self._watch)
        for task in self._pending.values():
            task.cancel()
        self._pending.clear()


async def arm_file_watch(config: Any, ctx: TriggerContext) -> _ArmedFileWatch:
    return _ArmedFileWatch(config, ctx)
