"""Run (F5) on a workflow whose trigger waits for an event: what the trigger hands on."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path
from typing import Any

from flowforge_desktop.engine import Engine, NodeState
from flowforge_desktop.model.document import WorkflowDocument


def _run(kind: str, config: dict[str, Any], payload: Any = None) -> Any:
    doc = WorkflowDocument("manual run")
    doc.add_node(doc.new_node(kind, config=config, node_id="trigger"))

    async def go() -> Any:
        engine = Engine(doc.registry)
        result = await engine.run(doc.snapshot(), payload=payload)
        await engine.aclose()
        return result

    return asyncio.run(go())


def test_file_watch_run_by_hand_takes_the_newest_matching_file(tmp_path: Path) -> None:
    (tmp_path / "old.csv").write_text("a\n1\n")
    (tmp_path / "notes.txt").write_text("not matched")
    newest = tmp_path / "new.json"
    newest.write_text("[]")
    past = time.time() - 60
    os.utime(tmp_path / "old.csv", (past, past))
    result = _run("file_watch", {"watch_path": str(tmp_path), "file_pattern": "*.csv;*.json"})
    out = result.outputs["trigger"]
    assert (out["path"], out["name"], out["event"], out["size"]) == (str(newest), "new.json", "manual", 2)


def test_file_watch_run_by_hand_with_no_file_says_what_to_do(tmp_path: Path) -> None:
    result = _run("file_watch", {"watch_path": str(tmp_path), "file_pattern": "*.csv"})
    assert result.states["trigger"] is NodeState.FAILED
    assert result.errors["trigger"]["message"] == (
        f"no file matching '*.csv' in {tmp_path} yet: put one there to try the workflow on it, "
        "or pin a sample event on this node (Data dock, Pin JSON)"
    )


def test_a_fired_file_event_is_passed_on_unchanged(tmp_path: Path) -> None:
    event = {"path": "/x/a.csv", "name": "a.csv", "event": "created", "size": 3}
    result = _run("file_watch", {"watch_path": str(tmp_path)}, payload=event)
    assert result.outputs["trigger"] == event


def test_schedule_run_by_hand_ticks_now_in_its_time_zone() -> None:
    result = _run("schedule", {"cron_expression": "0 9 * * 1", "timezone": "Asia/Tokyo"})
    out = result.outputs["trigger"]
    assert out["manual"] is True and out["scheduled_for"].endswith("+09:00")


def test_webhook_run_by_hand_asks_for_a_request_or_a_pinned_sample() -> None:
    result = _run("webhook", {"webhook_id": "orders"})
    assert result.errors["trigger"]["message"] == (
        "no request has come in: activate the workflow and POST to /webhooks/orders on the local server, "
        "or pin a sample request on this node (Data dock, Pin JSON)"
    )
