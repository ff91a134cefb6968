"""`flowforge-desktop validate FILE...`: every problem of every file, exit 1 if any is an error."""

from __future__ import annotations

import argparse

from flowforge_desktop.commands._common import validate_file
from flowforge_desktop.nodes.registry import default_registry

NAME = "validate"
HELP = "check workflow files and list every problem (exit 0 when all are valid, 1 otherwise)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="+", metavar="FILE", help="workflow JSON files ('-' reads stdin)")
    parser.add_argument("-q", "--quiet", action="store_true", help="print problems only")


def run(args: argparse.Namespace) -> int:
    registry = default_registry()
    for problem in registry.problems:
        print(f"warning: {problem}")
    failed = False
    for path in args.files:
        result = validate_file(path, registry)
        for problem in result.problems:
            print(f"{path}: {problem.severity}: {problem.message}")
        if result.ok:
            if not args.quiet:
                suffix = f" ({len(result.warnings)} warning(s))" if result.warnings else ""
                print(f"{path}: valid{suffix}")
        else:
            failed = True
            print(f"{path}: {len(result.errors)} error(s)")
    return 1 if failed else 0
