"""The log file: where it is, how it rotates, and LOG_LEVEL."""

from __future__ import annotations

import logging
import logging.handlers
from collections.abc import Iterator

import pytest

from flowforge_desktop.logsetup import BACKUPS, MAX_BYTES, LogLevelError, resolve_level, setup_logging


@pytest.fixture(autouse=True)
def _restore_root() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for h in list(root.handlers):
        if h not in handlers:
            root.removeHandler(h)
            h.close()
    root.setLevel(level)


def test_lines_go_to_a_rotating_file_in_the_user_log_dir(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("FLOWFORGE_LOG_DIR", str(tmp_path))
    monkeypatch.setenv("LOG_LEVEL", "warning")
    path = setup_logging()
    assert path == tmp_path / "flowforge-desktop.log"
    logging.getLogger("flowforge.test").info("not written at WARNING")
    logging.getLogger("flowforge.test").warning("written")
    handler = next(h for h in logging.getLogger().handlers if isinstance(h, logging.handlers.RotatingFileHandler))
    handler.flush()
    text = path.read_text()
    assert "written" in text and "not written" not in text
    assert (handler.maxBytes, handler.backupCount) == (MAX_BYTES, BACKUPS) == (10 * 1024 * 1024, 5)
    setup_logging("DEBUG")  # set up twice: still one file handler
    assert sum(isinstance(h, logging.handlers.RotatingFileHandler) for h in logging.getLogger().handlers) == 1


def test_a_wrong_log_level_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOG_LEVEL", "loud")
    with pytest.raises(LogLevelError, match="LOG_LEVEL 'LOUD' is not a log level; use one of DEBUG, INFO, WARNING"):
        resolve_level()
    assert resolve_level("error") == logging.ERROR


def test_every_entry_point_tunes_the_garbage_collector(capsys: pytest.CaptureFixture[str]) -> None:
    import gc

    from flowforge_desktop.cli import main
    from flowforge_desktop.tuning import GC_THRESHOLDS

    previous = gc.get_threshold()
    try:
        gc.set_threshold(700, 10, 10)
        assert main(["nodes"]) == 0
        assert gc.get_threshold() == GC_THRESHOLDS
    finally:
        gc.set_threshold(*previous)
    capsys.readouterr()
