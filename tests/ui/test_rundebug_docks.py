"""The run/debug docks with real widgets (offscreen), a real engine on qasync and a real SQLite history."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import qasync
from ff_testkinds import build, registry
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication

from flowforge_desktop.engine import Debugger, Engine, NodeState
from flowforge_desktop.engine.events import LogLine
from flowforge_desktop.engine.run_view import RunView
from flowforge_desktop.store.history import HistoryStore
from flowforge_desktop.ui.rundebug.bridge import RunBridge, Update
from flowforge_desktop.ui.rundebug.data_dock import DataDock
from flowforge_desktop.ui.rundebug.executions_dock import ExecutionsDock
from flowforge_desktop.ui.rundebug.health_dock import HealthDock
from flowforge_desktop.ui.rundebug.logs_dock import LogsDock
from flowforge_desktop.ui.rundebug.profiling_dock import ProfilingDock


@pytest.fixture
def loop(qapp: QApplication) -> Iterator[asyncio.AbstractEventLoop]:
    event_loop = qasync.QEventLoop(qapp)
    asyncio.set_event_loop(event_loop)
    yield event_loop
    event_loop.close()
    asyncio.set_event_loop(None)


def _chain(n: int) -> Any:
    return build(
        [("start", "manual")] + [(f"n{i}", "t_text", {"text": f"step {i} {{{{ input }}}}"}) for i in range(n)],
        [("start", "n0")] + [(f"n{i}", f"n{i + 1}") for i in range(n - 1)],
    )


def test_bridge_coalesces_thousands_of_events_into_a_few_repaints(loop: asyncio.AbstractEventLoop) -> None:
    engine = Engine(registry())
    bridge = RunBridge(engine, interval_ms=50)
    updates: list[Update] = []
    bridge.updated.connect(updates.append)

    async def scenario() -> Any:
        result = await engine.run(_chain(800).snapshot(), payload="x")
        await asyncio.sleep(0.12)
        await engine.aclose()
        return result

    result = loop.run_until_complete(scenario())
    events = sum(u.events for u in updates)
    assert events >= 800 * 3
    assert len(updates) < events / 50  # many events per repaint, not one repaint each
    view = bridge.views[result.execution_id]
    assert view.progress() == (801, 801, 0)
    assert view.nodes["n799"].output.startswith("step 799 step 798")
    bridge.close()


def test_data_dock_shows_input_and_output_and_copies_a_template_path(qtbot: Any) -> None:
    dock = DataDock()
    qtbot.addWidget(dock)
    view = RunView("e1")
    rec = view.node("fetch")
    rec.state = NodeState.SUCCEEDED
    rec.input = {"q": 1}
    rec.output = {"body": {"items": [{"id": 7, "first name": "Ada"}]}}
    dock.show_node("fetch", rec)
    assert dock.title.text() == "fetch: succeeded"
    out = dock.output_view
    hits = out.model.find("Ada")
    assert len(hits) == 1
    out.tree.setCurrentIndex(hits[0])
    assert out.copy_path() == "{{ nodes.fetch.output.body.items[0]['first name'] }}"
    assert QGuiApplication.clipboard().text() == "{{ nodes.fetch.output.body.items[0]['first name'] }}"
    assert out.copy_value() == "Ada"
    out.search.setText("id")
    out.find_next()
    assert out.found.text() == "1/1"
    pins: list[tuple[str, object]] = []
    dock.pinRequested.connect(lambda node, value: pins.append((node, value)))
    dock.pin_editor.setPlainText('{"status": 200')
    assert dock.pin_typed() is False
    assert dock.pin_status.text() == "not pinned: line 1, column 15: Expecting ',' delimiter"
    dock.pin_editor.setPlainText('{"status": 200}')
    assert dock.pin_typed() is True
    dock.pin_button.click()
    assert pins == [("fetch", {"status": 200}), ("fetch", rec.output)]
    dock.show_node("nothing", None)
    assert dock.title.text().startswith("nothing: no data yet.")


def test_paused_input_is_editable_validated_and_used_by_continue(loop: asyncio.AbstractEventLoop, qtbot: Any) -> None:
    engine = Engine(registry())
    bridge = RunBridge(engine, interval_ms=10)
    dock = DataDock()
    qtbot.addWidget(dock)
    doc = build([("start", "manual"), ("greet", "t_text", {"text": "hello {{ input.name }}"})], [("start", "greet")])
    debugger = Debugger(breakpoints={"greet"})
    dock.inputEdited.connect(debugger.set_input)

    async def scenario() -> Any:
        run = engine.start(doc.snapshot(), payload={"name": "Ada"}, debugger=debugger)
        while debugger.paused is None:
            await asyncio.sleep(0.005)
        await asyncio.sleep(0.05)
        view = bridge.views[run.execution_id]
        dock.show_node("greet", view.nodes["greet"], paused=True)
        assert dock.tabs.isTabEnabled(2)
        dock.edit_input_text('{"name": "Grace",}')
        assert dock.editor_status.text() == "line 1, column 18: Expecting property name enclosed in double quotes"
        assert debugger.paused.input == {"name": "Ada"}  # an invalid edit changes nothing
        dock.edit_input_text('{"name": "Grace"}')
        assert dock.editor_status.text() == "valid JSON: Continue runs the node with it"
        debugger.continue_()
        result = await run.wait()
        await engine.aclose()
        return result

    result = loop.run_until_complete(scenario())
    assert result.outputs["greet"] == "hello Grace"
    bridge.close()


def _line(i: int, level: str = "info", node: str = "a", run: str = "run1") -> LogLine:
    return LogLine(run, node, level, f"message {i}", time.time(), workflow_id="wf")


def test_logs_dock_filters_by_level_text_run_and_node_and_click_selects_the_node(qtbot: Any) -> None:
    dock = LogsDock()
    qtbot.addWidget(dock)
    dock.append([_line(1), _line(2, "error", "b"), _line(3, "warning", "c", "run2"), _line(4, "debug")])
    assert len(dock.visible_lines()) == 4
    dock.level.setCurrentText("warning")
    assert [ln.message for ln in dock.visible_lines()] == ["message 2", "message 3"]
    dock.level.setCurrentText("debug")
    dock.text.setText("MESSAGE 1")
    assert [ln.message for ln in dock.visible_lines()] == ["message 1"]
    dock.text.setText("")
    dock.run.setText("run2")
    assert [ln.node_id for ln in dock.visible_lines()] == ["c"]
    dock.run.setText("")
    dock.filter_node("b")
    assert [ln.node_id for ln in dock.visible_lines()] == ["b"]
    dock.filter_node("")
    with qtbot.waitSignal(dock.nodeActivated) as signal:
        rect = dock.table.visualRect(dock.proxy.index(1, 5))
        qtbot.mouseClick(dock.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert signal.args == ["run1", "b"]
    dock.table.selectRow(1)
    assert dock.copy_selection().endswith("\terror\twf\trun1\tb\tmessage 2")


def test_logs_dock_keeps_the_newest_lines_past_its_limit(qtbot: Any) -> None:
    dock = LogsDock()
    qtbot.addWidget(dock)
    dock.model.limit = 100
    dock.append([_line(i) for i in range(150)])
    dock.append([_line(i) for i in range(150, 170)])
    assert dock.model.rowCount() == 100
    assert dock.model.lines[-1].message == "message 169"


def test_executions_dock_opens_100k_executions_one_page_at_a_time(qtbot: Any, tmp_path: Path) -> None:
    store = HistoryStore(tmp_path / "h.sqlite3")
    conn = sqlite3.connect(tmp_path / "h.sqlite3")
    now = time.time()
    conn.executemany(
        "INSERT INTO executions (id, workflow_id, workflow_name, status, created_at, started_at, finished_at, error)"
        " VALUES (?,?,?,?,?,?,?,?)",
        (
            (
                f"e{i:06d}",
                "wf" if i % 2 else "other",
                "Orders",
                "failed" if i % 10 == 0 else "succeeded",
                now - i,
                now - i,
                now - i + 0.5,
                "boom" if i % 10 == 0 else None,
            )
            for i in range(100_000)
        ),
    )
    conn.commit()
    dock = ExecutionsDock(store)
    qtbot.addWidget(dock)
    dock.resize(900, 400)
    dock.show()
    dock.set_workflow("wf")
    assert dock.model.pages_loaded == 1
    assert dock.model.rowCount() == 100
    assert dock.count.text() == "50,000 executions"
    dock.table.scrollToBottom()
    qtbot.wait(20)
    assert dock.model.pages_loaded >= 2  # the view asked for the next page as it scrolled
    dock.scope.setChecked(False)
    dock.status.setCurrentText("failed")
    assert dock.count.text() == "10,000 executions"
    assert {r["status"] for r in dock.model.rows} == {"failed"}
    with qtbot.waitSignal(dock.executionSelected) as selected:
        dock.table.selectRow(0)
    assert selected.args == [dock.model.rows[0]["id"]]
    with qtbot.waitSignal(dock.retryRequested) as retry:
        dock._retry(True)
    assert retry.args == [dock.model.rows[0]["id"], True]
    first = dock.model.rows[0]["id"]
    assert dock.delete_selected() == 1
    assert store.get_execution(first) is None
    store.close()


def test_health_dock_draws_the_provider_figures(qtbot: Any) -> None:
    figures = {
        "status": "ok",
        "process": {"cpu_percent": 12.5, "memory_rss_mb": 88.0},
        "event_loop": {"lag_ms": 1.5},
        "executions": {"running": 2, "queued": 1},
        "store": {"size_bytes": 3 * 1024 * 1024},
        "triggers": [{"workflow_name": "Orders", "node_id": "every_5", "state": "armed", "next_fire": "2026-11-29"}],
        "circuit_breakers": [
            {"key": "api.example.com", "state": "open", "failures": 5, "failure_threshold": 5, "retry_in": 12.0}
        ],
        "rate_limiters": [{"key": "partner", "tokens": 3.0, "capacity": 5.0, "rate": 5, "per": 1, "waiting": 0}],
    }
    dock = HealthDock(lambda: figures)
    qtbot.addWidget(dock)
    dock.show()
    assert dock.executions.text() == "2 running · 1 queued"
    assert dock.store.text() == "3.0 MB"
    assert dock.breakers.child(0).text(1) == "open"
    assert dock.triggers.child(0).text(0) == "Orders/every_5"
    assert dock.limiters.child(0).text(1) == "3.0/5.0 tokens"
    assert list(dock.cpu.samples) == [12.5]
    shot = dock.grab()
    assert not shot.isNull()


def test_profiling_dock_table_timeline_critical_path_and_export(
    loop: asyncio.AbstractEventLoop, qtbot: Any, tmp_path: Path
) -> None:
    engine = Engine(registry())
    bridge = RunBridge(engine, interval_ms=10)
    doc = build(
        [
            ("start", "manual"),
            ("slow", "t_sleep", {"seconds": 0.08}),
            ("fast", "t_sleep", {"seconds": 0.01}),
            ("burn", "t_burn", {"seconds": 0.03}),
            ("join", "t_echo"),
        ],
        [("start", "slow"), ("start", "fast"), ("fast", "burn"), ("slow", "join"), ("burn", "join")],
    )

    async def scenario() -> Any:
        run = engine.start(doc.snapshot(), payload=[1, 2], profile=True)
        await run.wait()
        traced = engine.start(doc.snapshot(), payload=[1, 2], trace_memory=True)
        await traced.wait()
        await asyncio.sleep(0.05)
        await engine.aclose()
        return run, traced

    run, traced = loop.run_until_complete(scenario())
    dock = ProfilingDock()
    qtbot.addWidget(dock)
    dock.resize(900, 600)
    dock.show()
    view = bridge.views[run.execution_id]
    dock.show_run(view, doc.graph, can_export=run.profiler is not None)
    assert dock.critical == ["start", "slow", "join"]
    assert dock.cell(0, 0) == "★ slow"  # slowest first, on the critical path
    burn_row = next(r for r in range(dock.model.rowCount()) if dock.cell(r, 0) == "burn")
    assert float(dock.cell(burn_row, 3)) >= 25  # CPU ms
    assert dock.cell(burn_row, 7) == ""  # memory not traced in this run
    assert "critical path: start → slow → join" in dock.summary.text()
    with qtbot.waitSignal(dock.nodeSelected) as chosen:
        rect = dock.timeline.bar_rect("burn")
        qtbot.mouseClick(dock.timeline, Qt.MouseButton.LeftButton, pos=rect.center().toPoint())
    assert chosen.args == ["burn"]
    assert dock.export_button.isEnabled()
    target = tmp_path / "run.prof"
    run.profiler.dump_stats(str(target))
    import pstats

    stats = pstats.Stats(str(target))
    assert any("t_burn" in str(k) or k[2] == "run" for k in stats.stats)  # type: ignore[attr-defined]
    dock.show_run(bridge.views[traced.execution_id], doc.graph)
    assert all(dock.cell(r, 7) != "" for r in range(dock.model.rowCount()))
    assert not dock.export_button.isEnabled()
    bridge.close()
