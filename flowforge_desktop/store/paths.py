"""Where the app keeps its files: platformdirs' user dirs, overridable for tests and portable installs.

FLOWFORGE_DATA_DIR / FLOWFORGE_CONFIG_DIR / FLOWFORGE_LOG_DIR win over the platform defaults, so a
test (or a user running two profiles) never touches the real ones.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "flowforge-desktop"


def _dir(env: str, default: str) -> Path:
    path = Path(os.environ.get(env) or default)
    path.mkdir(parents=True, exist_ok=True)
    return path


def data_dir() -> Path:
    return _dir("FLOWFORGE_DATA_DIR", platformdirs.user_data_dir(APP_NAME, appauthor=False))


def config_dir() -> Path:
    return _dir("FLOWFORGE_CONFIG_DIR", platformdirs.user_config_dir(APP_NAME, appauthor=False))


def log_dir() -> Path:
    return _dir("FLOWFORGE_LOG_DIR", platformdirs.user_log_dir(APP_NAME, appauthor=False))


def history_path() -> Path:
    return data_dir() / "history.sqlite3"
