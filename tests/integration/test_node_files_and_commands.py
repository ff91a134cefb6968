"""file_read / file_write on real files, run_command with real processes, delay and sub-workflow."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest

from flowforge_desktop.nodes.base import NodeError
from flowforge_desktop.nodes.builtin.actions import DelayAction, SubWorkflowAction
from flowforge_desktop.nodes.builtin.command import RunCommandAction
from flowforge_desktop.nodes.builtin.files import FileReadAction, FileWriteAction
from flowforge_desktop.nodes.builtin.testing import SimpleNodeContext, make, run_node


def run(kind: Any, config: dict[str, Any], value: Any = None, **ctx: Any) -> Any:
    return asyncio.run(run_node(kind, config, value, **ctx))


def test_csv_read_parses_numbers_and_names_fields(tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    path.write_text("id,customer,amount,note\n1,ada,30,first\n2,bob,12.50,\n3,cy,n/a\n")
    out = run(FileReadAction, {"path": str(path)})
    assert out["format"] == "csv" and out["name"] == "orders.csv" and out["size"] == path.stat().st_size
    assert out["content"] == [
        {"id": 1, "customer": "ada", "amount": 30, "note": "first"},
        {"id": 2, "customer": "bob", "amount": 12.5, "note": ""},
        {"id": 3, "customer": "cy", "amount": "n/a", "note": None},
    ]
    raw = run(FileReadAction, {"path": str(path), "csv_header": False, "parse_numbers": False})
    assert raw["content"][1] == ["1", "ada", "30", "first"]


def test_json_and_text_round_trip_through_atomic_writes(tmp_path: Path) -> None:
    data = {"orders": [{"id": 1, "name": "Zoë"}], "total": 1}
    out = run(FileWriteAction, {"path": str(tmp_path / "out" / "summary.json")}, data)
    assert out == {
        "path": str(tmp_path / "out" / "summary.json"),
        "name": "summary.json",
        "size": out["size"],
        "format": "json",
    }
    assert run(FileReadAction, {"path": out["path"]})["content"] == data
    assert not [p for p in (tmp_path / "out").iterdir() if p.name.endswith(".tmp")]  # no temp file left behind
    run(FileWriteAction, {"path": str(tmp_path / "note.txt"), "content": "line 1\n"})
    run(FileWriteAction, {"path": str(tmp_path / "note.txt"), "content": "line 2\n", "if_exists": "append"})
    assert run(FileReadAction, {"path": str(tmp_path / "note.txt")})["content"] == "line 1\nline 2\n"


def test_overwrite_is_atomic_and_keeps_the_file_mode(tmp_path: Path) -> None:
    target = tmp_path / "report.csv"
    target.write_text("old\n")
    target.chmod(0o640)
    inode_before = target.stat().st_ino
    rows = [{"a": 1, "b": "x"}, {"a": 2, "c": True}]
    run(FileWriteAction, {"path": str(target)}, rows)
    assert target.read_text() == "a,b,c\n1,x,\n2,,True\n"
    assert target.stat().st_mode & 0o777 == 0o640
    assert target.stat().st_ino != inode_before  # replaced by rename, never truncated in place


def test_file_errors_name_the_field_and_the_path(tmp_path: Path) -> None:
    missing = tmp_path / "nope.json"
    with pytest.raises(NodeError, match=rf"^path: file '{missing}' does not exist$"):
        run(FileReadAction, {"path": str(missing)})
    bad = tmp_path / "bad.json"
    bad.write_text("{oops")
    with pytest.raises(NodeError) as err:
        run(FileReadAction, {"path": str(bad)})
    assert (
        err.value.message
        == f"path: '{bad}' is not valid JSON: Expecting property name enclosed in double quotes at line 1"
    )
    with pytest.raises(NodeError, match=rf"^path: '{tmp_path}' is a folder, not a file$"):
        run(FileReadAction, {"path": str(tmp_path)})
    (tmp_path / "x.txt").write_text("x")
    with pytest.raises(NodeError, match=r"already exists and if_exists is 'fail'$"):
        run(FileWriteAction, {"path": str(tmp_path / "x.txt"), "content": "y", "if_exists": "fail"})
    with pytest.raises(NodeError, match=r"^content: CSV needs a list of rows \(objects or lists\), got dict$"):
        run(FileWriteAction, {"path": str(tmp_path / "y.csv")}, {"a": 1})
    with pytest.raises(NodeError, match=r"^path: '\{\{ input.path \}\}' still holds a template after rendering"):
        run(FileReadAction, {"path": "{{ input.path }}"})
    with pytest.raises(NodeError, match=r"^encoding: unknown text encoding 'klingon'$"):
        run(FileReadAction, {"path": str(tmp_path / "x.txt"), "encoding": "klingon"})


def test_run_command_captures_output_and_exit_code_without_a_shell(tmp_path: Path) -> None:
    script = "import sys, os; print(sys.argv[1]); print(os.environ['GREETING'], file=sys.stderr); print(os.getcwd())"
    out = run(
        RunCommandAction,
        {"argv": [sys.executable, "-c", script, "$HOME; rm -rf /"], "env": {"GREETING": "hi"}, "cwd": str(tmp_path)},
    )
    assert out["exit_code"] == 0
    assert out["stdout"].splitlines() == ["$HOME; rm -rf /", str(tmp_path)]  # the argument was never shell-expanded
    assert out["stderr"] == "hi\n"
    piped = run(RunCommandAction, {"argv": ["tr a-z A-Z"], "shell": True, "stdin": "loud"})
    assert piped["stdout"] == "LOUD"


def test_run_command_failures_are_clear() -> None:
    with pytest.raises(NodeError) as err:
        run(RunCommandAction, {"argv": [sys.executable, "-c", "import sys; sys.exit('disk full')"]})
    assert err.value.message == f"'{sys.executable}' exited with code 1: disk full"
    assert err.value.details["exit_code"] == 1
    ok = run(RunCommandAction, {"argv": [sys.executable, "-c", "raise SystemExit(3)"], "fail_on_exit_code": False})
    assert ok["exit_code"] == 3
    with pytest.raises(
        NodeError, match=r"^argv\[0\]: program 'no-such-program-ff' not found \(give a full path or fix PATH\)$"
    ):
        run(RunCommandAction, {"argv": ["no-such-program-ff"]})
    with pytest.raises(NodeError, match=rf"^'{sys.executable}' did not finish within 0.2 s and was killed$"):
        run(RunCommandAction, {"argv": [sys.executable, "-c", "import time; time.sleep(30)"], "timeout": 0.2})
    with pytest.raises(NodeError, match=r"^cwd: folder '/no/such/dir' does not exist$"):
        run(RunCommandAction, {"argv": ["true"], "cwd": "/no/such/dir"})
    with pytest.raises(ValueError, match="with shell true, argv must hold exactly one command line"):
        make(RunCommandAction, argv=["ls", "-l"], shell=True)


def test_delay_waits_then_passes_its_input_and_can_be_cancelled() -> None:
    assert run(DelayAction, {"seconds": 0.02}, {"x": 1}) == {"x": 1}

    async def cancelled() -> bool:
        async with SimpleNodeContext() as ctx:
            task = asyncio.create_task(make(DelayAction, seconds=60).run(ctx, {"in": 1}))
            await asyncio.sleep(0.01)
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                return True
            return False

    assert asyncio.run(cancelled())


def test_sub_workflow_runs_the_file_with_the_input(tmp_path: Path) -> None:
    child = tmp_path / "child.json"
    child.write_text(json.dumps({"format": "flowforge.workflow"}))
    calls: list[tuple[str, Any]] = []

    async def run_workflow(path: str, value: Any) -> Any:
        calls.append((path, value))
        if value == "boom":
            raise RuntimeError("node 'x' failed")
        return {"child_output": value}

    assert run(SubWorkflowAction, {"workflow_path": str(child)}, 5, run_workflow=run_workflow) == {"child_output": 5}
    assert run(SubWorkflowAction, {"workflow_path": str(child), "input": {"a": 1}}, 5, run_workflow=run_workflow) == {
        "child_output": {"a": 1}
    }
    assert calls[0] == (str(child), 5)
    with pytest.raises(NodeError, match=r"^sub-workflow 'child.json' failed: node 'x' failed$"):
        run(SubWorkflowAction, {"workflow_path": str(child)}, "boom", run_workflow=run_workflow)
    with pytest.raises(NodeError, match=r"^workflow_path: workflow file '.*missing.json' does not exist$"):
        run(SubWorkflowAction, {"workflow_path": str(tmp_path / "missing.json")}, 1, run_workflow=run_workflow)
    assert os.path.exists(child)
