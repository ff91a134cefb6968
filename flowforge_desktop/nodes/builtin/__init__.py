"""Built-in node kinds, registered through the same entry point group plugins use."""

from __future__ import annotations

from flowforge_desktop.nodes.base import NodeKind
from flowforge_desktop.nodes.builtin.actions import EmailAction, HttpAction
from flowforge_desktop.nodes.builtin.operations import BranchOperation, TransformOperation
from flowforge_desktop.nodes.builtin.triggers import (
    FileWatchTrigger,
    ManualTrigger,
    ScheduleTrigger,
    WebhookTrigger,
)

KINDS: list[type[NodeKind]] = [
    ManualTrigger,
    ScheduleTrigger,
    FileWatchTrigger,
    WebhookTrigger,
    HttpAction,
    EmailAction,
    TransformOperation,
    BranchOperation,
]
