"""`flowforge-desktop run`: live lines, the summary table, exit codes and the terminal debugger."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest
from ff_testkinds import build, registry

from flowforge_desktop.cli import main
from flowforge_desktop.commands import run as run_command
from flowforge_desktop.model.codec import save_path
from flowforge_desktop.store.history import HistoryStore


@pytest.fixture(autouse=True)
def _test_kinds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(run_command, "default_registry", registry)


def _file(tmp_path: Path, fail: bool = False) -> Path:
    doc = build(
        [("start", "manual"), ("greet", "t_text", {"text": "hello {{ input.name }}"})]
        + ([("bad", "t_fail")] if fail else []),
        [("start", "greet")] + ([("greet", "bad")] if fail else []),
    )
    path = tmp_path / "wf.json"
    save_path(doc, path)
    return path


def test_run_prints_a_line_per_node_and_a_summary_and_exits_0(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["run", str(_file(tmp_path)), "--input", '{"name": "Ada"}', "--output"])
    out = capsys.readouterr().out
    assert code == 0
    assert "  ok        greet" in out
    assert "run succeeded in" in out
    lines = out.splitlines()
    header = lines.index("node   status     attempts  duration")
    assert lines[header + 2].startswith("greet  succeeded  1")
    assert out.rstrip().endswith('"hello Ada"')
    store = HistoryStore()
    assert store.list_executions().rows[0]["trigger"] == "cli"  # recorded like any run
    store.close()


def test_a_failed_run_exits_1_with_the_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["run", str(_file(tmp_path, fail=True)), "--input", '{"name": "Ada"}', "--no-history"])
    out = capsys.readouterr().out
    assert code == 1
    assert "  FAILED    bad" in out and "this node always fails" in out
    assert "run failed in" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--input", "{nope"], "--input is not valid JSON: Expecting property name enclosed in double quotes"),
        (["--break", "ghost"], "no node 'ghost' in"),
    ],
)
def test_bad_arguments_are_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    code = main(["run", str(_file(tmp_path)), *args])
    assert code == 2
    assert message in capsys.readouterr().err


def test_terminal_debugger_steps_shows_and_replaces_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO('i\nset {"name": "Grace"}\no start\nc\n'))
    code = main(["run", str(_file(tmp_path)), "--input", '{"name": "Ada"}', "--break", "greet", "--output"])
    out = capsys.readouterr().out
    assert code == 0
    assert "  paused    greet                    (breakpoint)" in out
    assert '"name": "Ada"' in out  # shown by `i` and `o start`
    assert "input replaced" in out
    assert out.rstrip().endswith('"hello Grace"')  # Continue used the edited input


def test_quit_in_the_debugger_cancels_the_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("q\n"))
    code = main(["run", str(_file(tmp_path)), "--break", "greet", "--no-history"])
    out = capsys.readouterr().out
    assert code == 1
    assert "run cancelled" in out
