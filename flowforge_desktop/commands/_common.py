"""Helpers shared by the subcommands: reading workflow files with user-facing errors."""

from __future__ import annotations

from pathlib import Path

from flowforge_desktop.cli import UserError
from flowforge_desktop.model.validation import ValidationResult, validate_text
from flowforge_desktop.nodes.registry import NodeRegistry


def read_text(path: str) -> str:
    if path == "-":
        import sys

        return sys.stdin.read()
    file = Path(path)
    if not file.exists():
        raise UserError(f"{path}: no such file")
    if file.is_dir():
        raise UserError(f"{path}: is a folder, not a workflow file")
    try:
        return file.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise UserError(f"{path}: not UTF-8 text") from None
    except OSError as exc:
        raise UserError(f"{path}: cannot read: {exc.strerror or exc}") from None


def validate_file(path: str, registry: NodeRegistry) -> ValidationResult:
    return validate_text(read_text(path), registry)
