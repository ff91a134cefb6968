"""The execution history on a real SQLite file: what ran is kept, even through a SIGKILL."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest
from ff_testkinds import build, registry

from flowforge_desktop.engine import Engine, RunStatus
from flowforge_desktop.store.history import TRUNCATED_KEY, HistoryStore, StoreError

SUPPORT = Path(__file__).resolve().parent.parent / "support"


def _run(store: HistoryStore, doc: Any, **options: Any) -> Any:
    async def go() -> Any:
        engine = Engine(registry())
        store.attach(engine)
        result = await engine.run(doc.snapshot(), **options)
        await engine.aclose()
        return result

    result = asyncio.run(go())
    assert store.flush()
    return result


def test_a_run_is_recorded_with_its_nodes_logs_and_definition(tmp_path: Path) -> None:
    store = HistoryStore(tmp_path / "h.sqlite3")
    doc = build(
        [("start", "manual"), ("t", "t_text", {"text": "hi {{ input }}"}), ("bad", "t_fail")],
        [("start", "t"), ("t", "bad")],
    )
    result = _run(store, doc, payload="bob")
    row = store.get_execution(result.execution_id)
    assert row is not None
    assert row["status"] == "failed" and row["workflow_id"] == doc.id and row["trigger"] == "manual"
    assert row["error"] == "node 'bad' failed: this node always fails" and row["failed_node"] == "bad"
    assert row["payload"] == "bob"
    assert [n["id"] for n in row["definition"]["nodes"]] == ["start", "t", "bad"]
    nodes = {n["node_id"]: n for n in store.node_runs(result.execution_id)}
    assert nodes["t"]["input"] == "bob" and nodes["t"]["output"] == "hi bob"
    assert nodes["t"]["state"] == "succeeded" and nodes["t"]["ports"] == ["out"]
    assert nodes["bad"]["error"]["message"] == "this node always fails"
    logs = store.logs(execution_id=result.execution_id)
    assert [(entry["node_id"], entry["level"]) for entry in logs] == [("t", "info"), ("bad", "error")]
    assert store.logs(execution_id=result.execution_id, levels=["error"], text="always")[0]["node_id"] == "bad"
    store.close()


def test_the_database_uses_wal_and_does_not_sync_every_commit(tmp_path: Path) -> None:
    store = HistoryStore(tmp_path / "h.sqlite3")
    conn = sqlite3.connect(tmp_path / "h.sqlite3")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    indexes = {r[1] for r in conn.execute("PRAGMA index_list(executions)")}
    assert {"idx_executions_workflow_id", "idx_executions_status", "idx_executions_created_at"} <= indexes
    store.close()


def test_writes_are_batched_a_big_run_is_few_commits(tmp_path: Path) -> None:
    store = HistoryStore(tmp_path / "h.sqlite3")
    n = 2000
    doc = build(
        [("start", "manual")] + [(f"n{i}", "t_const", {"value": i}) for i in range(n)],
        [("start", "n0")] + [(f"n{i}", f"n{i + 1}") for i in range(n - 1)],
        max_parallel_nodes=8,
    )
    result = _run(store, doc)
    assert len(store.node_runs(result.execution_id)) == n + 1
    assert store.rows_written >= 2 * n  # started and finished for every node reach the writer
    assert store.commits < n  # ...but not one transaction each
    store.close()


def test_keyset_pagination_walks_every_execution_once(tmp_path: Path) -> None:
    store = HistoryStore(tmp_path / "h.sqlite3")
    conn = sqlite3.connect(tmp_path / "h.sqlite3")
    rows = [(f"e{i:04d}", "wf", "running" if i == 7 else "succeeded", 1000.0 + i // 3) for i in range(250)]
    conn.executemany("INSERT INTO executions (id, workflow_id, status, created_at) VALUES (?,?,?,?)", rows)
    conn.commit()
    seen: list[str] = []
    page = store.list_executions(workflow_id="wf", limit=40)
    while True:
        seen += [r["id"] for r in page.rows]
        if page.next is None:
            break
        page = store.list_executions(workflow_id="wf", after=page.next, limit=40)
    assert len(seen) == 250 and len(set(seen)) == 250
    created = [store.get_execution(i)["created_at"] for i in seen[:10]]  # type: ignore[index]
    assert created == sorted(created, reverse=True)
    assert store.count_executions(workflow_id="wf", status="running") == 1
    assert store.list_executions(status=["running"]).rows[0]["id"] == "e0007"
    store.close()


def test_retention_keeps_the_newest_runs_and_never_deletes_running_ones(tmp_path: Path) -> None:
    store = HistoryStore(tmp_path / "h.sqlite3")
    conn = sqlite3.connect(tmp_path / "h.sqlite3")
    now = time.time()
    rows = [(f"e{i}", "wf", "succeeded", now - i * 86400) for i in range(10)]
    rows.append(("live", "wf", "running", now - 50 * 86400))
    conn.executemany("INSERT INTO executions (id, workflow_id, status, created_at) VALUES (?,?,?,?)", rows)
    conn.execute("INSERT INTO node_runs (execution_id, node_id, state) VALUES ('e9', 'a', 'succeeded')")
    conn.commit()
    assert store.prune(keep_days=5.5) == 4  # e6..e9 are older than 5.5 days
    assert store.prune(keep_runs=3) == 3
    left = [r["id"] for r in store.list_executions().rows]
    assert left == ["e0", "e1", "e2", "live"]
    assert conn.execute("SELECT count(*) FROM node_runs").fetchone()[0] == 0  # cascaded
    store.close()


def test_outputs_above_the_cap_are_stored_truncated_with_a_marker(tmp_path: Path) -> None:
    store = HistoryStore(tmp_path / "h.sqlite3", max_value_bytes=1000)
    doc = build([("start", "manual"), ("big", "t_const", {"value": "x" * 5000})], [("start", "big")])
    result = _run(store, doc)
    big = {n["node_id"]: n for n in store.node_runs(result.execution_id)}["big"]
    assert big["truncated"] is True
    assert big["output"][TRUNCATED_KEY] is True and big["output"]["original_size"] == 5002
    assert len(big["output"]["preview"]) == 1000
    store.close()


def test_a_newer_schema_is_refused_with_a_message(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version=99")
    conn.close()
    with pytest.raises(StoreError) as info:
        HistoryStore(path)
    assert str(info.value) == (
        f"{path}: the history was written by a newer FlowForge Desktop (schema 99, this version knows 1); "
        "update the app"
    )


def test_a_corrupt_file_is_refused_with_what_to_do(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError, match=r"cannot open the history database .* move the file away"):
        HistoryStore(path)


KILL_SCRIPT = textwrap.dedent(
    """
    import asyncio, sys
    sys.path.insert(0, {support!r})
    from ff_testkinds import build, registry
    from flowforge_desktop.engine import Engine
    from flowforge_desktop.store.history import HistoryStore

    async def main():
        store = HistoryStore({db!r})
        engine = Engine(registry())
        store.attach(engine)
        doc = build(
            [("start", "manual"), ("a", "t_const", {{"value": {{"rows": [1, 2, 3]}}}}),
             ("b", "t_text", {{"text": "sum={{{{ input.rows | sum }}}}"}}), ("c", "t_sleep", {{"seconds": 60}})],
            [("start", "a"), ("a", "b"), ("b", "c")],
        )
        run = engine.start(doc.snapshot(), payload="go")
        print(run.execution_id, flush=True)
        await run.wait()

    asyncio.run(main())
    """
)


def test_sigkill_mid_run_keeps_finished_nodes_and_marks_the_run_interrupted(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite3"
    script = tmp_path / "victim.py"
    script.write_text(KILL_SCRIPT.format(support=str(SUPPORT), db=str(db)))
    proc = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    execution_id = proc.stdout.readline().strip()
    deadline = time.time() + 30
    while time.time() < deadline:  # wait until c is running, as seen in the database
        try:
            conn = sqlite3.connect(db)
            row = conn.execute(
                "SELECT state FROM node_runs WHERE execution_id=? AND node_id='c'", (execution_id,)
            ).fetchone()
            conn.close()
            if row and row[0] == "running":
                break
        except sqlite3.OperationalError:
            pass
        time.sleep(0.05)
    else:
        proc.kill()
        pytest.fail("node c never started")
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()

    store = HistoryStore(db)
    assert store.interrupted == [execution_id]
    row = store.get_execution(execution_id)
    assert row is not None and row["status"] == RunStatus.INTERRUPTED.value
    assert row["error"] == "the app stopped while this run was in progress"
    nodes = {n["node_id"]: n for n in store.node_runs(execution_id)}
    assert nodes["a"]["state"] == "succeeded" and nodes["a"]["output"] == {"rows": [1, 2, 3]}
    assert nodes["b"]["output"] == "sum=6"
    assert nodes["c"]["state"] == "cancelled"
    store.close()


def test_another_live_process_runs_are_not_marked_interrupted(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite3"
    script = tmp_path / "live.py"
    script.write_text(KILL_SCRIPT.format(support=str(SUPPORT), db=str(db)))
    proc = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        execution_id = proc.stdout.readline().strip()
        deadline = time.time() + 30
        row = None
        while time.time() < deadline and row is None:
            try:
                conn = sqlite3.connect(db)
                row = conn.execute("SELECT status FROM executions WHERE id=?", (execution_id,)).fetchone()
                conn.close()
            except sqlite3.OperationalError:
                pass
            time.sleep(0.05)
        store = HistoryStore(db)
        assert store.interrupted == []
        assert json.dumps(store.get_execution(execution_id)["status"]) == '"running"'  # type: ignore[index]
        store.close()
    finally:
        proc.kill()
        proc.wait()


def test_the_recorded_definition_is_the_workflow_as_exported(tmp_path: Path) -> None:
    from flowforge_desktop.model.codec import to_data

    store = HistoryStore(tmp_path / "h.sqlite3")
    doc = build(
        [("start", "manual"), ("t", "t_text", {"text": "{{ input }}"}), ("c", "t_const", {"value": [1, {"a": None}]})],
        [("start", "t"), ("t", "c")],
        max_parallel_nodes=3,
        run_timeout=9,
    )
    doc.pin("c", {"pinned": "yes"})
    first = _run(store, doc)
    doc.rename_node("t", "Renamed")  # an edit: the next run's definition shows it
    second = _run(store, doc)
    assert store.get_execution(first.execution_id)["definition"]["nodes"][1]["name"] != "Renamed"  # type: ignore[index]
    assert store.get_execution(second.execution_id)["definition"] == to_data(doc)  # type: ignore[index]
    store.close()
