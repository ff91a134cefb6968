"""Shared fixtures. Tests never touch the user's real data or config dirs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from ff_keyring import memory_keyring  # noqa: F401 - the fixture, for every test that asks for it


@pytest.fixture(autouse=True)
def _isolated_user_dirs(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    base = tmp_path_factory.mktemp("userdirs")
    for var, sub in (
        ("XDG_DATA_HOME", "data"),
        ("XDG_CONFIG_HOME", "config"),
        ("XDG_STATE_HOME", "state"),
        ("XDG_CACHE_HOME", "cache"),
        ("FLOWFORGE_DATA_DIR", "ffdata"),
    ):
        path = base / sub
        path.mkdir()
        monkeypatch.setenv(var, str(path))


EXAMPLES = Path(__file__).resolve().parent.parent / "flowforge_desktop" / "resources" / "examples"


@pytest.fixture
def examples_dir() -> Path:
    return EXAMPLES


os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
