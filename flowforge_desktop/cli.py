"""`flowforge-desktop` entry point.

Each subcommand lives in its own module under ``flowforge_desktop.commands`` (NAME, HELP,
``add_arguments(parser)``, ``run(args) -> int``), found at start-up, so adding a command touches no
other file. Without a subcommand the designer opens (``flowforge-desktop [FILE]``). Errors a user
can cause are printed as one clear line on stderr with exit status 2, never as a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from collections.abc import Sequence
from types import ModuleType

from flowforge_desktop import __version__


class UserError(Exception):
    """A mistake in the command line or its files; its message is shown as is."""


def open_desktop(path: str | None = None, *, theme: str | None = None, minimized: bool = False) -> int:
    """The one door into the ui layer, opened lazily: headless commands never load Qt."""
    from flowforge_desktop.ui.desktop import run_desktop

    return run_desktop(path, theme=theme, minimized=minimized)


def _command_modules() -> dict[str, ModuleType]:
    from flowforge_desktop import commands

    found: dict[str, ModuleType] = {}
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"flowforge_desktop.commands.{info.name}")
        found[module.NAME] = module
    return found


def build_parser(modules: dict[str, ModuleType]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="flowforge-desktop",
        description="Design, debug and run workflows. Without a command, opens the designer.",
    )
    parser.add_argument("--version", action="version", version=f"flowforge-desktop {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, module in modules.items():
        command = sub.add_parser(name, help=module.HELP, description=module.HELP)
        module.add_arguments(command)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from flowforge_desktop.tuning import tune_gc

    tune_gc()
    args_list = list(sys.argv[1:] if argv is None else argv)
    modules = _command_modules()
    # `flowforge-desktop file.json` and bare `flowforge-desktop` open the designer.
    if "gui" in modules and (not args_list or (args_list[0] not in modules and not args_list[0].startswith("-"))):
        args_list.insert(0, "gui")
    parser = build_parser(modules)
    args = parser.parse_args(args_list)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        return int(modules[args.command].run(args) or 0)
    except UserError as exc:
        print(f"flowforge-desktop: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
