"""Trigger kinds: what starts a run. Their configs follow the seed's keys."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from flowforge_desktop.nodes.base import NodeConfig, Port, TriggerKind
from flowforge_desktop.nodes.validators import TimeZone


class ManualConfig(NodeConfig):
    input: Any = Field(None, description="JSON value the run starts with when you click Run.")


class ManualTrigger(TriggerKind):
    kind = "manual"
    title = "Manual"
    description = "Starts the workflow when you click Run; its output is the optional input JSON."
    icon = "manual.svg"
    Config = ManualConfig
    outputs = (Port("out"),)


class ScheduleConfig(NodeConfig):
    schedule_type: Literal["cron", "interval"] = Field("cron", description="cron expression or fixed interval.")
    cron_expression: str | None = Field(
        None, description="Five-field cron, e.g. '*/5 * * * *'. Day-of-month and day-of-week are ORed."
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
        elif self.interval_seconds is None:
            raise ValueError("interval_seconds is required when schedule_type is 'interval'")
        return self


class ScheduleTrigger(TriggerKind):
    kind = "schedule"
    title = "Schedule"
    description = "Starts the workflow on a cron schedule or at a fixed interval, in a chosen time zone."
    icon = "schedule.svg"
    Config = ScheduleConfig
    outputs = (Port("out"),)


WatchEvent = Literal["created", "modified", "deleted", "moved"]


class FileWatchConfig(NodeConfig):
    watch_path: str = Field(..., min_length=1, description="Folder to watch.")
    file_pattern: str = Field("*", description="Glob the file name must match, e.g. '*.csv'.")
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
    outputs = (Port("out"),)


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
    outputs = (Port("out"),)
