"""`flowforge-desktop [gui] [FILE]`: open the designer. Qt is imported only here, lazily."""

from __future__ import annotations

import argparse
import importlib.util

from flowforge_desktop.commands._common import validate_file
from flowforge_desktop.nodes.registry import default_registry

NAME = "gui"
HELP = "open the designer (the default command)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", nargs="?", metavar="FILE", help="workflow file to open")


def run(args: argparse.Namespace) -> int:
    if importlib.util.find_spec("flowforge_desktop.ui.app") is not None:
        from flowforge_desktop.ui.app import run_designer

        return run_designer(args.file)
    print("The designer is not part of this build yet; checking the workflow headless instead.")
    if not args.file:
        return 0
    result = validate_file(args.file, default_registry())
    for problem in result.problems:
        print(f"{problem.severity}: {problem.message}")
    print(f"{args.file}: {'valid' if result.ok else 'has errors'}")
    return 0 if result.ok else 1
