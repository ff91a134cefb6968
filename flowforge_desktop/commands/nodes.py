"""`flowforge-desktop nodes`: the installed node kinds with their config fields and defaults."""

from __future__ import annotations

import argparse
import json

from pydantic_core import PydanticUndefined

from flowforge_desktop.nodes.describe import type_name
from flowforge_desktop.nodes.registry import default_registry

NAME = "nodes"
HELP = "list the installed node kinds with their config fields and defaults"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("kinds", nargs="*", metavar="KIND", help="only these kinds")
    parser.add_argument("--json", action="store_true", help="machine-readable output")


def run(args: argparse.Namespace) -> int:
    registry = default_registry()
    kinds = [k for k in registry if not args.kinds or k.kind in args.kinds]
    rows = []
    for kind in kinds:
        fields = []
        for name, info in kind.Config.model_fields.items():
            required = info.default is PydanticUndefined and info.default_factory is None
            default = None if required else (info.default_factory() if info.default_factory else info.default)
            fields.append(
                {
                    "name": name,
                    "type": type_name(info.annotation),
                    "required": required,
                    "default": default,
                    "description": info.description or "",
                }
            )
        rows.append(
            {
                "kind": kind.kind,
                "category": kind.category.value,
                "version": kind.kind_version,
                "title": kind.display_title(),
                "description": kind.description,
                "inputs": [p.name for p in kind.input_ports()],
                "outputs": [p.name for p in kind.output_ports()],
                "fields": fields,
            }
        )
    if args.json:
        print(json.dumps(rows, indent=2, default=str))
    else:
        for row in rows:
            ports = f"in: {', '.join(row['inputs']) or '-'}  out: {', '.join(row['outputs']) or '-'}"
            print(f"{row['kind']}  ({row['category']}, v{row['version']})  {row['title']} — {ports}")
            if row["description"]:
                print(f"    {row['description']}")
            width = max((len(f["name"]) for f in row["fields"]), default=0)
            for f in row["fields"]:
                default = "required" if f["required"] else f"default {json.dumps(f['default'], default=str)}"
                print(f"    {f['name']:<{width}}  {f['type']:<22}  {default}")
            print()
    for problem in registry.problems:
        print(f"warning: {problem}")
    return 0
