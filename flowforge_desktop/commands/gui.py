"""`flowforge-desktop [gui] [FILE]`: open the designer. Qt is imported only here, lazily."""

from __future__ import annotations

import argparse

NAME = "gui"
HELP = "open the designer (the default command)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", nargs="?", metavar="FILE", help="workflow file to open")
    parser.add_argument(
        "--theme", choices=("auto", "light", "dark"), default=None, help="colour theme (default: follow the OS)"
    )


def run(args: argparse.Namespace) -> int:
    from flowforge_desktop.ui.app import run_designer

    return run_designer(args.file, theme=args.theme)
