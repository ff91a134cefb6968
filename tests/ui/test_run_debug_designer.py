"""Run and debug from the real designer window: keys, canvas states, docks, history. Engine on qasync."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import qasync
from designer_helpers import make_window
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from flowforge_desktop.engine import Engine, NodeState, RunStatus
from flowforge_desktop.model.codec import save_path
from flowforge_desktop.model.document import WorkflowDocument
from flowforge_desktop.store.history import HistoryStore
from flowforge_desktop.ui.rundebug.controller import RunDebug


@pytest.fixture
def loop(qapp: QApplication) -> Iterator[asyncio.AbstractEventLoop]:
    event_loop = qasync.QEventLoop(qapp)
    asyncio.set_event_loop(event_loop)
    yield event_loop
    event_loop.close()
    asyncio.set_event_loop(None)


def _workflow(tmp_path: Path, wait: float = 0.0) -> Path:
    doc = WorkflowDocument("Greeter")
    add = doc.add_node
    add(doc.new_node("manual", (0, 0), node_id="start", config={"input": {"name": "Ada", "items": [1, 2, 3]}}))
    add(
        doc.new_node(
            "set",
            (250, 0),
            node_id="greet",
            config={"value": {"greeting": "hello {{ input.name }}", "count": "{{ input['items'] | length }}"}},
        )
    )
    add(doc.new_node("log", (500, 0), node_id="note", config={"message": "greeted: {{ input.greeting }}"}))
    add(doc.new_node("delay", (750, 0), node_id="wait", config={"seconds": wait}))
    doc.connect("start", "greet")
    doc.connect("greet", "note")
    doc.connect("note", "wait")
    path = tmp_path / "greeter.json"
    save_path(doc, path)
    return path


@pytest.fixture
def setup(qtbot: Any, tmp_path: Path, loop: asyncio.AbstractEventLoop) -> Iterator[tuple[Any, RunDebug, Engine]]:
    window, answers = make_window(qtbot, tmp_path)
    window.resize(1300, 850)
    window.show()
    engine = Engine(window.doc.registry)
    store = HistoryStore(tmp_path / "history.sqlite3")
    store.attach(engine)
    rundebug = RunDebug(window, engine, store)
    assert window.open_path(str(_workflow(tmp_path)), ask=False)
    yield window, rundebug, engine
    rundebug.shutdown()
    loop.run_until_complete(engine.aclose())
    store.close()
    answers.save_changes = "discard"


async def _until(predicate: Any, timeout: float = 5.0) -> None:
    for _ in range(int(timeout / 0.01)):
        if predicate():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition not reached")


def _press(
    window: Any, qtbot: Any, key: Qt.Key, modifier: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier
) -> None:
    qtbot.keyClick(window.view, key, modifier)


def test_f5_runs_in_the_background_and_the_canvas_and_docks_show_it(
    setup: Any, qtbot: Any, loop: asyncio.AbstractEventLoop
) -> None:
    window, rundebug, _engine = setup

    async def scenario() -> None:
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.005)
                ticks += 1

        tick = asyncio.ensure_future(ticker())
        _press(window, qtbot, Qt.Key.Key_F5)
        assert rundebug.run is not None
        await rundebug.run.wait()
        await asyncio.sleep(0.15)  # the coalesced repaint
        tick.cancel()
        assert ticks > 0  # the loop kept turning while the run went on

    loop.run_until_complete(scenario())
    assert {n: window.scene.states.get(n) for n in ("start", "greet", "note", "wait")} == dict.fromkeys(
        ("start", "greet", "note", "wait"), "succeeded"
    )
    assert rundebug.status_label.text().startswith("run succeeded · 4/4 nodes · 00:00")
    edges = {(c.source, c.target): e.items for c, e in window.scene.edges.items()}
    assert edges == {("start", "greet"): 1, ("greet", "note"): 1, ("note", "wait"): 1}
    assert rundebug.executions_dock.count.text() == "1 execution"
    window.scene.select_nodes(["greet"])
    assert rundebug.data_dock.title.text() == "greet: succeeded"
    assert rundebug.data_dock.output_view.value == {"greeting": "hello Ada", "count": 3}
    assert rundebug.logs_dock.node.text() == "greet"  # selecting a node filters the log to it
    window.scene.select_nodes(["note"])
    assert [line.message for line in rundebug.logs_dock.visible_lines()] == ["greeted: hello Ada"]
    profiling = rundebug.profiling_dock
    assert profiling.model.rowCount() == 0  # a tab behind Logs: nothing computed until it is opened
    profiling.raise_()
    qtbot.waitUntil(lambda: profiling.model.rowCount() == 4, timeout=2000)


def test_breakpoint_pause_edit_input_and_continue(setup: Any, qtbot: Any, loop: asyncio.AbstractEventLoop) -> None:
    window, rundebug, _engine = setup
    window.scene.select_nodes(["greet"])
    _press(window, qtbot, Qt.Key.Key_F9)
    assert window.scene.breakpoints == {"greet"}

    async def scenario() -> Any:
        _press(window, qtbot, Qt.Key.Key_F5, Qt.KeyboardModifier.ControlModifier)
        await _until(lambda: rundebug.debugger is not None and rundebug.debugger.paused is not None)
        await asyncio.sleep(0.12)
        assert window.scene.states.get("greet") == "paused"
        assert window.scene.selected_node_ids() == ["greet"]
        assert rundebug.status_label.text().endswith("paused at greet")
        dock = rundebug.data_dock
        assert dock.tabs.isTabEnabled(2) and dock.tabs.currentIndex() == 2
        dock.edit_input_text('{"name": "Grace", "items": []}')
        _press(window, qtbot, Qt.Key.Key_F8)  # Continue
        return await rundebug.run.wait()  # type: ignore[union-attr]

    result = loop.run_until_complete(scenario())
    assert result.outputs["greet"] == {"greeting": "hello Grace", "count": 0}


def test_step_runs_one_node_at_a_time(setup: Any, qtbot: Any, loop: asyncio.AbstractEventLoop) -> None:
    window, rundebug, _engine = setup

    async def scenario() -> list[str]:
        seen: list[str] = []
        _press(window, qtbot, Qt.Key.Key_F10)  # no run: F10 starts debugging, paused before the first node
        while True:
            await _until(lambda: rundebug.run.done or rundebug.debugger.paused is not None)  # type: ignore[union-attr]
            if rundebug.run.done:  # type: ignore[union-attr]
                return seen
            seen.append(rundebug.debugger.paused.node_id)  # type: ignore[union-attr]
            _press(window, qtbot, Qt.Key.Key_F10)
            await asyncio.sleep(0.02)

    assert loop.run_until_complete(scenario()) == ["start", "greet", "note", "wait"]


def test_stop_cancels_the_running_node(setup: Any, qtbot: Any, loop: asyncio.AbstractEventLoop, tmp_path: Path) -> None:
    window, rundebug, _engine = setup
    assert window.open_path(str(_workflow(tmp_path, wait=30)), ask=False)

    async def scenario() -> Any:
        _press(window, qtbot, Qt.Key.Key_F5)
        await _until(lambda: rundebug.run.states["wait"] is NodeState.RUNNING)  # type: ignore[union-attr]
        _press(window, qtbot, Qt.Key.Key_F5, Qt.KeyboardModifier.ShiftModifier)
        result = await rundebug.run.wait()  # type: ignore[union-attr]
        await asyncio.sleep(0.12)
        return result

    result = loop.run_until_complete(scenario())
    assert result.status is RunStatus.CANCELLED
    assert window.scene.states.get("wait") == "cancelled"


def test_run_this_node_only_pin_and_past_runs(setup: Any, qtbot: Any, loop: asyncio.AbstractEventLoop) -> None:
    window, rundebug, _engine = setup

    async def run_and_wait(action: str) -> Any:
        rundebug.actions[action].trigger()
        result = await rundebug.run.wait()  # type: ignore[union-attr]
        await asyncio.sleep(0.12)
        return result

    first = loop.run_until_complete(run_and_wait("run"))
    window.scene.select_nodes(["note"])
    only = loop.run_until_complete(run_and_wait("run_only"))
    assert only.states["note"] is NodeState.SUCCEEDED and only.states["wait"] is NodeState.SKIPPED
    assert only.outputs["greet"] == first.outputs["greet"]  # taken from the last run, not run again

    window.scene.select_nodes(["greet"])
    _press(window, qtbot, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert window.doc.pinned["greet"] == {"greeting": "hello Ada", "count": 3}
    window.stack.undo()  # pinning is an edit like any other
    assert "greet" not in window.doc.pinned
    window.stack.redo()
    pinned = loop.run_until_complete(run_and_wait("run"))
    assert pinned.states["greet"] is NodeState.PINNED

    dock = rundebug.executions_dock
    assert dock.count.text() == "3 executions"
    oldest = dock.model.rows[-1]["id"]
    view = rundebug.show_execution(oldest)
    assert view is not None and view.execution_id == first.execution_id
    assert rundebug.banner.isVisibleTo(window) and "viewing run" in rundebug.banner.text()
    assert not window.view.isInteractive()
    assert window.scene.states.get("greet") == "succeeded"  # the old run's state, not the pinned one
    rundebug.back_to_editing()
    assert not rundebug.banner.isVisibleTo(window) and window.view.isInteractive()
    retried = loop.run_until_complete(_retry(rundebug, oldest))
    assert retried.status is RunStatus.SUCCEEDED


async def _retry(rundebug: RunDebug, execution_id: str) -> Any:
    run = rundebug.retry(execution_id, from_failed=False)
    assert run is not None
    return await run.wait()


def test_context_menu_and_edge_breakpoints(setup: Any, qtbot: Any, loop: asyncio.AbstractEventLoop) -> None:
    window, rundebug, _engine = setup
    view = window.view
    item = window.scene.nodes["greet"]
    pos = view.mapFromScene(item.sceneBoundingRect().center())
    menu = rundebug.context_menu(pos)
    texts = [a.text() for a in menu.actions() if a.text()]
    assert texts[:4] == ["Add breakpoint", "Run to here", "Run this node only", "Run from here"]
    assert window.scene.selected_node_ids() == ["greet"]  # right-click selects what it opened on
    next(a for a in menu.actions() if a.text() == "Add breakpoint").trigger()
    assert window.scene.breakpoints == {"greet"}
    assert next(a.text() for a in rundebug.context_menu(pos).actions()) == "Remove breakpoint"
    window.scene.breakpoints.clear()
    rundebug.breakpoints.clear()

    # F9 on a selected edge: a marker on it, and the debugger pauses its target for that input
    window.scene.clearSelection()
    _conn, edge = next((c, e) for c, e in window.scene.edges.items() if c.target == "note")
    edge.setSelected(True)
    _press(window, qtbot, Qt.Key.Key_F9)
    assert edge.breakpoint is True and rundebug.edge_breakpoints == {("greet", "note")}
    edge_pos = view.mapFromScene(edge.mid)
    assert next(a.text() for a in rundebug.context_menu(edge_pos).actions()) == "Remove breakpoint on this edge"

    async def scenario() -> Any:
        _press(window, qtbot, Qt.Key.Key_F5, Qt.KeyboardModifier.ControlModifier)
        await _until(lambda: rundebug.debugger is not None and rundebug.debugger.paused is not None)
        paused = rundebug.debugger.paused  # type: ignore[union-attr]
        rundebug.debugger.continue_()  # type: ignore[union-attr]
        await rundebug.run.wait()  # type: ignore[union-attr]
        return paused

    paused = loop.run_until_complete(scenario())
    assert (paused.node_id, paused.reason) == ("note", "breakpoint on edge greet -> note")
