"""`flowforge-desktop export FILE [-o OUT]`: the workflow as normalized, pretty JSON."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from flowforge_desktop.cli import UserError
from flowforge_desktop.commands._common import read_text
from flowforge_desktop.model.codec import atomic_write_text, dumps, loads
from flowforge_desktop.model.errors import WorkflowLoadError
from flowforge_desktop.nodes.registry import default_registry

NAME = "export"
HELP = "write a workflow as normalized JSON (older format versions are migrated)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE", help="workflow JSON file ('-' reads stdin)")
    parser.add_argument("-o", "--output", metavar="OUT", help="write here (atomically) instead of stdout")


def run(args: argparse.Namespace) -> int:
    try:
        result = loads(read_text(args.file), default_registry(), source=args.file)
    except WorkflowLoadError as exc:
        lines = "\n".join(f"  {p.message}" for p in exc.problems if p.severity == "error")
        raise UserError(f"{args.file}: cannot export, the file has errors:\n{lines}") from None
    text = dumps(result.document)
    if args.output:
        atomic_write_text(Path(args.output), text)
    else:
        sys.stdout.write(text)
    return 0
