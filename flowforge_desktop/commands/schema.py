"""`flowforge-desktop schema`: the JSON Schema of the workflow format, node configs included."""

from __future__ import annotations

import argparse
import json

from flowforge_desktop.model.json_schema import workflow_json_schema
from flowforge_desktop.nodes.registry import default_registry

NAME = "schema"
HELP = "print the JSON Schema of the workflow file format"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--no-kinds", action="store_true", help="leave out the per-kind config schemas")


def run(args: argparse.Namespace) -> int:
    registry = None if args.no_kinds else default_registry()
    print(json.dumps(workflow_json_schema(registry), indent=2))
    return 0
