"""Logging for the whole app: a rotating file in the user log dir (10 MB x 5), LOG_LEVEL honoured.

The designer, the tray agent and the headless agent all call ``setup_logging`` once at start, so a
user reporting a problem always has the same file to attach.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import sys
from pathlib import Path

from flowforge_desktop.store.paths import log_dir

LOG_FILE_NAME = "flowforge-desktop.log"
MAX_BYTES = 10 * 1024 * 1024
BACKUPS = 5
FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"
_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class LogLevelError(ValueError):
    pass


def resolve_level(level: str | None = None) -> int:
    """The level asked for, else LOG_LEVEL, else INFO. A wrong name is an error that lists the right ones."""
    name = (level or os.environ.get("LOG_LEVEL") or "INFO").strip().upper()
    if name not in _LEVELS:
        raise LogLevelError(f"LOG_LEVEL '{name}' is not a log level; use one of {', '.join(_LEVELS)}")
    return int(getattr(logging, name))


def setup_logging(level: str | None = None, *, stdout: bool = False, file_name: str = LOG_FILE_NAME) -> Path:
    """Install the rotating file handler (and stdout when headless); returns the log file's path."""
    root = logging.getLogger()
    root.setLevel(resolve_level(level))
    for handler in list(root.handlers):
        if getattr(handler, "_flowforge", False):
            root.removeHandler(handler)
            handler.close()
    formatter = logging.Formatter(FORMAT)
    path = log_dir() / file_name
    file_handler = logging.handlers.RotatingFileHandler(path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8")
    file_handler.setFormatter(formatter)
    file_handler._flowforge = True  # type: ignore[attr-defined]
    root.addHandler(file_handler)
    if stdout:
        out = logging.StreamHandler(sys.stdout)
        out.setFormatter(formatter)
        out._flowforge = True  # type: ignore[attr-defined]
        root.addHandler(out)
    return path
