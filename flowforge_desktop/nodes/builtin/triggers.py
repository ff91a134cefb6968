"""Trigger kinds: what starts a run. Their configs follow the seed's keys.

``arm`` starts listening and returns an object the agent can describe (``next_fire_times``) and
stop (``disarm``); each event becomes ``await ctx.fire(payload)``. In a run, a trigger's output is
its payload (``ctx.trigger``).
"""

from __future__ import annotations

import asyncio
import contextlib
import fnmatch
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar, Literal

from pydantic import Field, ValidationError, model_validator
from watchdog.events import FileSystemEvent

from flowforge_desktop.nodes.base import NodeConfig, NodeContext, NodeError, Port, TriggerContext, TriggerKind
from flowforge_desktop.nodes.builtin import schedule_times
from flowforge_desktop.nodes.builtin.watch_service import Subscription, WatchService, watch_service
from flowforge_desktop.nodes.validators import TimeZone


class ManualConfig(NodeConfig):
    input: Any = Field(None, description="JSON value the run starts with when you click Run.")


class ManualTrigger(TriggerKind):
    kind = "manual"
    title = "Manual"
    description = "Starts the workflow when you click Run; its output is the optional input JSON."
    icon = "manual.svg"
    Config = ManualConfig
    example: ClassVar[dict[str, Any]] = {"input": {"customer": "ada", "amount": 30}}
    outputs = (Port("out"),)

    async def run(self, ctx: NodeContext, inputs: dict[str, Any]) -> Any:
        # A payload given when the run was started (`run --input`, "run with input") wins over the default.
        payload = getattr(ctx, "trigger", None)
        return payload if payload is not None else self.config.input


class ScheduleConfig(NodeConfig):
    schedule_type: Literal["cron", "interval"] = Field("cron", description="cron expression or fixed interval.")
    cron_expression: str | None = Field(
        None,
        description="Five fields (minute hour day month weekday) or six with seconds last, e.g. '*/5 * * * *'. "
        "Day-of-month and day-of-week are ORed.",
    )
    interval_seconds: float | None = Field(None, gt=0, description="Seconds between fires (interval type).")
    timezone: TimeZone = Field("UTC", description="IANA time zone the cron expression is read in.")

    @model_validator(mode="after")
    def _fields_for_type(self) -> ScheduleConfig:
        if self.schedule_type == "cron":
            if not self.cron_expression:
                raise ValueError("cron_expression is required when schedule_type is 'cron'")
            from croniter import croniter

            if len(self.cron_expression.split()) not in (5, 6) or not croniter.is_valid(self.cron_expression):
                raise ValueError(f"invalid cron expression '{self.cron_expression}'")
            try:  # valid syntax that never fires ('0 0 31 2 *') is refused here too, not when armed
                schedule_times.next_cron_times(self.cron_expression, self.timezone, datetime.now(UTC), 1)
            except schedule_times.ScheduleError as exc:
                raise ValueError(str(exc)) from None
        elif self.interval_seconds is None:
            raise ValueError("interval_seconds is required when schedule_type is 'interval'")
        return self


class ScheduleTrigger(TriggerKind):
    kind = "schedule"
    title = "Schedule"
    description = "Starts the workflow on a cron schedule or at a fixed interval, in a chosen time zone."
    icon = "schedule.svg"
    Config = ScheduleConfig
    example: ClassVar[dict[str, Any]] = {
        "schedule_type": "cron",
        "cron_expression": "30 2 * * *",
        "timezone": "Europe/Berlin",
    }
    outputs = (Port("out"),)

    def next_fire_times(self, count: int = 5, after: datetime | None = None) -> list[datetime]:
        """The next fire times from now (or ``after``), aware, in the schedule's time zone."""
        c = self.config
        try:
            return schedule_times.next_fire_times(
                c.schedule_type,
                cron_expression=c.cron_expression,
                interval_seconds=c.interval_seconds,
                timezone=c.timezone,
                after=after,
                count=count,
            )
        except schedule_times.ScheduleError as exc:
            raise NodeError(str(exc)) from None

    @classmethod
    def preview(cls, config: Mapping[str, Any], count: int = 5) -> tuple[list[datetime], str | None]:
        """For the inspector: the next fire times of a config being edited, or why there are none."""
        try:
            node = cls(cls.Config.model_validate(dict(config)))
            return node.next_fire_times(count), None
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            message = first["msg"].removeprefix("Value error, ")
            return [], f"{where}: {message}" if where else message
        except NodeError as exc:
            return [], exc.message

    async def run(self, ctx: NodeContext, inputs: dict[str, Any]) -> Any:
        """A fired run outputs its payload; Run in the designer ticks the schedule now."""
        payload = getattr(ctx, "trigger", None)
        if payload is not None:
            return payload
        now = datetime.now(schedule_times.zone(self.config.timezone)).isoformat()
        return {"scheduled_for": now, "fired_at": now, "manual": True}

    async def arm(self, ctx: TriggerContext) -> ArmedSchedule:
        self.next_fire_times(1)  # a schedule that cannot fire fails here, on the node, not later
        return ArmedSchedule(self.config, ctx)


class ArmedSchedule:
    """Sleeps until each fire time and fires. Sleeps in short slices so that a suspended laptop or a
    changed system clock is noticed; fires missed while asleep are coalesced into one."""

    MAX_SLEEP = 30.0

    def __init__(self, config: ScheduleConfig, ctx: TriggerContext) -> None:
        self.config = config
        self.ctx = ctx
        self.anchor = datetime.now(UTC)
        self.last = self.anchor
        self.fired = 0
        self._task = asyncio.get_running_loop().create_task(self._loop(), name=f"schedule:{ctx.node_id}")

    def next_fire_times(self, count: int = 1) -> list[datetime]:
        c = self.config
        return schedule_times.next_fire_times(
            c.schedule_type,
            cron_expression=c.cron_expression,
            interval_seconds=c.interval_seconds,
            timezone=c.timezone,
            after=max(self.last, datetime.now(UTC)),
            anchor=self.anchor,
            count=count,
        )

    async def _loop(self) -> None:
        tz = schedule_times.zone(self.config.timezone)
        while True:
            target = schedule_times.next_fire_times(
                self.config.schedule_type,
                cron_expression=self.config.cron_expression,
                interval_seconds=self.config.interval_seconds,
                timezone=self.config.timezone,
                after=self.last,
                anchor=self.anchor,
                count=1,
            )[0]
            while (remaining := (target - datetime.now(UTC)).total_seconds()) > 0:
                await asyncio.sleep(min(remaining, self.MAX_SLEEP))
            woke = datetime.now(UTC)
            self.last = max(target, woke)  # fires that fell inside a long sleep are coalesced into this one
            payload = {"scheduled_for": target.astimezone(tz).isoformat(), "fired_at": woke.astimezone(tz).isoformat()}
            self.fired += 1
            try:
                await self.ctx.fire(payload)
            except asyncio.CancelledError:
                raise
            except Exception:
                self.ctx.logger.exception("schedule %s: starting the run failed", self.ctx.node_id)

    async def disarm(self) -> None:
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task


WatchEvent = Literal["created", "modified", "deleted", "moved"]


class FileWatchConfig(NodeConfig):
    watch_path: str = Field(..., min_length=1, description="Folder to watch.")
    file_pattern: str = Field(
        "*", description="Glob the file name must match, e.g. '*.csv'; several separated by ';': '*.csv;*.json'."
    )
    recursive: bool = Field(False, description="Watch sub-folders too.")
    watch_events: list[WatchEvent] = Field(["created"], min_length=1, description="Events that start a run.")
    quiet_time: float = Field(
        0.5, ge=0, le=600, description="Seconds a file's size must stay unchanged before the run starts."
    )
    ignore_hidden: bool = Field(True, description="Ignore files whose name starts with '.' (editor temp files).")


class FileWatchTrigger(TriggerKind):
    kind = "file_watch"
    title = "File watch"
    description = "Starts the workflow when a file matching the pattern is created, changed, moved or deleted."
    icon = "file_watch.svg"
    Config = FileWatchConfig
    example: ClassVar[dict[str, Any]] = {
        "watch_path": "~/FlowForge/inbox",
        "file_pattern": "*.csv",
        "watch_events": ["created", "moved"],
        "quiet_time": 1.0,
    }
    outputs = (Port("out"),)

    async def run(self, ctx: NodeContext, inputs: dict[str, Any]) -> Any:
        """A fired run outputs its file event. Run in the designer (no event) takes the newest file that
        matches, as if it had just arrived, so the rest of the workflow can be tried on real data."""
        payload = getattr(ctx, "trigger", None)
        if payload is not None:
            return payload
        path = check_watch_path(self.config.watch_path)
        patterns = [p.strip() for p in self.config.file_pattern.split(";") if p.strip()]
        newest: tuple[float, str] | None = None
        walker = os.walk(path) if self.config.recursive else [(path, [], os.listdir(path))]
        for folder, _dirs, names in walker:
            for name in names:
                full = os.path.join(folder, name)
                if self.config.ignore_hidden and name.startswith("."):
                    continue
                if not any(fnmatch.fnmatch(name, p) for p in patterns) or not os.path.isfile(full):
                    continue
                mtime = os.path.getmtime(full)
                if newest is None or mtime > newest[0]:
                    newest = (mtime, full)
        if newest is None:
            raise NodeError(
                f"no file matching '{self.config.file_pattern}' in {path} yet: put one there to try the workflow "
                "on it, or pin a sample event on this node (Data dock, Pin JSON)"
            )
        full = newest[1]
        return {
            "path": full,
            "name": os.path.basename(full),
            "event": "manual",
            "size": os.path.getsize(full),
            "moved_from": None,
            "fired_at": datetime.now(UTC).isoformat(),
        }

    async def arm(self, ctx: TriggerContext) -> ArmedFileWatch:
        path = check_watch_path(self.config.watch_path)
        service = ctx.services.get("watch_service") or watch_service()
        armed = ArmedFileWatch(self.config, ctx, path, service)
        await armed.start()
        return armed


def check_watch_path(watch_path: str) -> str:
    """The absolute folder to watch, or a NodeError that names it and says what to do."""
    path = os.path.abspath(os.path.expanduser(watch_path))
    if not os.path.exists(path):
        raise NodeError(f"watch_path '{path}' does not exist: create the folder or choose another one")
    if not os.path.isdir(path):
        raise NodeError(f"watch_path '{path}' is a file, not a folder: watch the folder that holds it")
    if not os.access(path, os.R_OK | os.X_OK):
        raise NodeError(f"watch_path '{path}' cannot be read by this user: check its permissions")
    return path


@dataclass
class _Pending:
    event: str
    moved_from: str | None
    snapshot: tuple[int, int] | None
    timer: asyncio.TimerHandle | None = None


class ArmedFileWatch:
    """Turns watchdog's raw events into one fire per settled change.

    Events arrive on watchdog's thread and are handed to the loop. Per path they are debounced: a
    run starts once the file's size and mtime stayed unchanged for ``quiet_time`` (a file still being
    written does not start a run). Several OS events for one change (created + modified, five
    ``modified`` for a chunked write) become one fire; a change that leaves the file as it was at the
    last fire is not fired again. An atomic save (a temp file renamed onto the target) counts as
    created or modified, whichever the node watches.
    """

    MIN_QUIET = 0.05

    def __init__(self, config: FileWatchConfig, ctx: TriggerContext, path: str, service: WatchService) -> None:
        self.config = config
        self.ctx = ctx
        self.path = os.path.realpath(path)
        self.loop = asyncio.get_running_loop()
        self._pending: dict[str, _Pending] = {}
        self._last_fired: dict[str, tuple[int, int] | None] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._service = service
        self._closed = False
        self.subscription: Subscription | None = None
        #: why the trigger stopped working, for the agent and the inspector; None while healthy
        self.error: str | None = None

    async def start(self) -> None:
        # Off the loop: a polling watch snapshots the whole folder when it starts.
        self.subscription = await asyncio.to_thread(
            self._service.subscribe, self.path, self.config.recursive, self._on_thread_event
        )
        if self.subscription.message:
            self.ctx.logger.warning("file watch %s: %s", self.ctx.node_id, self.subscription.message)

    # --- watchdog thread ----------------------------------------------------------------------
    def _on_thread_event(self, event: FileSystemEvent) -> None:
        src = os.fsdecode(event.src_path)
        try:
            if event.is_directory:
                if event.event_type in ("deleted", "moved") and src == self.path:
                    self.loop.call_soon_threadsafe(self._folder_gone)
                return
            if event.event_type not in ("created", "modified", "deleted", "moved"):
                return
            dest = os.fsdecode(event.dest_path) if event.event_type == "moved" else None
            self.loop.call_soon_threadsafe(self._on_event, event.event_type, src, dest)
        except RuntimeError:
            pass  # the loop is closed: the agent is shutting down

    def _folder_gone(self) -> None:
        self.error = f"watch_path '{self.path}' was deleted or moved: recreate it and re-activate the workflow"
        self.ctx.logger.error("file watch %s: %s", self.ctx.node_id, self.error)

    # --- loop thread --------------------------------------------------------------------------
    def _matches(self, path: str) -> bool:
        name = os.path.basename(path)
        if self.config.ignore_hidden and name.startswith("."):
            return False
        if not self.config.recursive and os.path.dirname(path) != self.path:
            return False
        return any(fnmatch.fnmatch(name, p.strip()) for p in self.config.file_pattern.split(";") if p.strip())

    def _on_event(self, kind: str, src: str, dest: str | None) -> None:
        if self._closed:
            return
        wanted = self.config.watch_events
        if kind == "moved" and dest is not None:
            into, out_of = self._matches(dest), self._matches(src)
            if into and out_of and "moved" in wanted:
                self._note(dest, "moved", src)
            elif into:
                # Renamed into the pattern: an atomic save or a file dropped in. It is new content at dest.
                event = next((e for e in ("created", "modified", "moved") if e in wanted), None)
                if event:
                    self._note(dest, event, src)
            elif out_of and "deleted" in wanted:
                self._note(src, "deleted", None)
            return
        if kind in wanted and self._matches(src):
            self._note(src, kind, None)
        elif kind == "deleted" and src in self._pending:
            self._drop(src)  # created and gone again before it settled

    def _note(self, path: str, event: str, moved_from: str | None) -> None:
        pending = self._pending.get(path)
        if pending is None:
            pending = _Pending(event, moved_from, _snapshot(path))
            self._pending[path] = pending
        else:
            if pending.timer:
                pending.timer.cancel()
            # The first event of a burst names it (created + modified = created), unless it ends in deletion.
            if event == "deleted" or pending.event == "deleted":
                pending.event = event
            pending.moved_from = pending.moved_from or moved_from
            pending.snapshot = _snapshot(path)
        pending.timer = self.loop.call_later(self._quiet(), self._settle, path)

    def _quiet(self) -> float:
        return max(self.config.quiet_time, self.MIN_QUIET)

    def _drop(self, path: str) -> None:
        pending = self._pending.pop(path, None)
        if pending and pending.timer:
            pending.timer.cancel()

    def _settle(self, path: str) -> None:
        pending = self._pending.get(path)
        if pending is None or self._closed:
            return
        if pending.event == "deleted":
            if os.path.exists(path):  # deleted and written again: report what is there now
                pending.event = "modified" if "modified" in self.config.watch_events else "created"
                pending.snapshot = _snapshot(path)
                pending.timer = self.loop.call_later(self._quiet(), self._settle, path)
                return
            self._fire(path, pending)
            return
        now = _snapshot(path)
        if now is None:
            self._drop(path)  # gone before it settled; a deleted event reports that if wanted
            return
        if now != pending.snapshot:
            pending.snapshot = now  # still being written: wait another quiet time
            pending.timer = self.loop.call_later(self._quiet(), self._settle, path)
            return
        if self._last_fired.get(path) == now and pending.event != "moved":
            self._pending.pop(path, None)  # a late duplicate of a change already fired
            return
        self._fire(path, pending)

    def _fire(self, path: str, pending: _Pending) -> None:
        self._pending.pop(path, None)
        self._last_fired[path] = pending.snapshot if pending.event != "deleted" else None
        payload = {
            "path": path,
            "name": os.path.basename(path),
            "event": pending.event,
            "size": pending.snapshot[0] if pending.snapshot and pending.event != "deleted" else None,
            "moved_from": pending.moved_from,
            "fired_at": datetime.now(UTC).isoformat(),
        }
        task = self.loop.create_task(self._send(payload))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _send(self, payload: dict[str, Any]) -> None:
        try:
            await self.ctx.fire(payload)
        except Exception:
            self.ctx.logger.exception("file watch %s: starting the run failed", self.ctx.node_id)

    def next_fire_times(self, count: int = 1) -> list[datetime]:
        return []  # fires on file events, not on a clock

    @property
    def polling(self) -> bool:
        return bool(self.subscription and self.subscription.polling)

    async def disarm(self) -> None:
        self._closed = True
        if self.subscription is not None:
            await asyncio.to_thread(self._service.unsubscribe, self.subscription)  # joins watchdog's thread
        for path in list(self._pending):
            self._drop(path)
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)


def _snapshot(path: str) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_size, st.st_mtime_ns


HttpMethod = Literal["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]


class WebhookConfig(NodeConfig):
    webhook_id: str = Field(
        ..., pattern=r"^[A-Za-z0-9_\-]{1,128}$", description="Path part: POST /webhooks/{webhook_id}."
    )
    secret: str = Field(
        "",
        description="HMAC-SHA256 key checked against 'X-Signature: sha256=<hex>'. "
        "Refer to a secret: '{{ secrets.WEBHOOK_SECRET }}'.",
    )
    methods: list[HttpMethod] = Field(["POST"], min_length=1, description="HTTP methods accepted.")
    timestamp_header: str = Field("", description="Header holding a UNIX timestamp; empty: no replay check.")
    replay_window: float = Field(300, gt=0, description="Seconds a timestamped request stays valid.")
    max_body_bytes: int = Field(1_048_576, ge=1, description="Larger requests are refused with 413.")
    response_mode: Literal["immediate", "wait"] = Field(
        "immediate", description="immediate: 202 with the execution id; wait: answer with a node's output."
    )
    response_node: str | None = Field(None, description="Node whose output answers the request (wait mode).")
    response_timeout: float = Field(30, gt=0, description="Seconds to wait for the run in wait mode.")


class WebhookTrigger(TriggerKind):
    kind = "webhook"
    title = "Webhook"
    description = "Starts the workflow when an HTTP request reaches /webhooks/{webhook_id} on the local server."
    icon = "webhook.svg"
    Config = WebhookConfig
    #: Nothing is rendered for a run: its output is the request, and the secret is resolved by the
    #: local server when it arms the webhook. A test run therefore needs no webhook secret.
    template_fields: ClassVar[tuple[str, ...] | None] = ()
    example: ClassVar[dict[str, Any]] = {
        "webhook_id": "orders",
        "secret": "{{ secrets.WEBHOOK_SECRET }}",
        "timestamp_header": "X-Timestamp",
    }
    outputs = (Port("out"),)

    async def run(self, ctx: NodeContext, inputs: dict[str, Any]) -> Any:
        payload = getattr(ctx, "trigger", None)
        if payload is None:
            raise NodeError(
                f"no request has come in: activate the workflow and POST to /webhooks/{self.config.webhook_id} "
                "on the local server, or pin a sample request on this node (Data dock, Pin JSON)"
            )
        return payload
