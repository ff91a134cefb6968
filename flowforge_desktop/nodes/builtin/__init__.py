"""Built-in node kinds, registered through the same entry point group plugins use."""

from __future__ import annotations

from flowforge_desktop.nodes.base import NodeKind
from flowforge_desktop.nodes.builtin.actions import DelayAction, EmailAction, HttpAction, SubWorkflowAction
from flowforge_desktop.nodes.builtin.command import RunCommandAction
from flowforge_desktop.nodes.builtin.files import FileReadAction, FileWriteAction
from flowforge_desktop.nodes.builtin.operations import (
    BranchOperation,
    LogOperation,
    MergeOperation,
    SetOperation,
    StopErrorOperation,
    SwitchOperation,
    TransformOperation,
)
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
    FileReadAction,
    FileWriteAction,
    RunCommandAction,
    DelayAction,
    SubWorkflowAction,
    TransformOperation,
    BranchOperation,
    SwitchOperation,
    MergeOperation,
    SetOperation,
    LogOperation,
    StopErrorOperation,
]
