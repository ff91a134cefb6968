"""`flowforge-desktop [gui] [FILE]`: the desktop app (designer, run/debug, tray agent). Qt is imported only here.

A second launch hands FILE to the running instance and raises it instead of starting another agent.
"""

from __future__ import annotations

import argparse

NAME = "gui"
HELP = "open the designer (the default command)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", nargs="?", metavar="FILE", help="workflow file to open")
    parser.add_argument(
        "--theme", choices=("auto", "light", "dark"), default=None, help="colour theme (default: follow the OS)"
    )
    parser.add_argument("--minimized", action="store_true", help="start in the system tray (used by start-at-login)")


def run(args: argparse.Namespace) -> int:
    from flowforge_desktop.cli import open_desktop

    return open_desktop(args.file, theme=args.theme, minimized=args.minimized)
