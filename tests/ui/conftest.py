"""Fixtures for the designer's tests."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from designer_helpers import make_window


@pytest.fixture
def win(qtbot, tmp_path):
    window, answers = make_window(qtbot, tmp_path)
    window.answers = answers
    yield window
    answers.save_changes = "discard"
