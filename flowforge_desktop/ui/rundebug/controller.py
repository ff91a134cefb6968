"""Run and debug from the designer: actions, shortcuts, the docks, and the canvas's live states.

``RunDebug.install(window)`` adds to a designer window: Run (F5), Debug (Ctrl+F5), Stop (Shift+F5),
Step (F10), Continue (F8), Pause, Toggle breakpoint (F9), Run to here, Run this node only, Pin
output; the Data, Executions, Logs, Health and Profiling docks; and a live status line
("12/40 nodes · 3 running · 00:04"). The engine runs on Qt's loop (qasync): the window never waits.

It needs from the window: ``doc`` (the WorkflowDocument), ``path``, ``scene`` (with
``set_node_state``, ``clear_node_states``, ``selected_node_ids``, ``select_nodes``), ``view``
(a QGraphicsView) and ``statusBar()``.
"""

from __future__ import annotations

import itertools
import json
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import networkx as nx
from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QLabel, QMainWindow, QMenu

from flowforge_desktop.engine import Debugger, Engine, Reused, Run, plan_from, plan_up_to
from flowforge_desktop.engine.events import NodeState
from flowforge_desktop.engine.run_view import RunView
from flowforge_desktop.store.history import HistoryStore
from flowforge_desktop.ui.rundebug.bridge import RunBridge, Update
from flowforge_desktop.ui.rundebug.data_dock import DataDock
from flowforge_desktop.ui.rundebug.executions_dock import ExecutionsDock
from flowforge_desktop.ui.rundebug.health_dock import HealthDock
from flowforge_desktop.ui.rundebug.logs_dock import LogsDock
from flowforge_desktop.ui.rundebug.profiling_dock import ProfilingDock

log = logging.getLogger("flowforge.ui.run")


def progress_text(view: RunView, now: float) -> str:
    done, total, running = view.progress()
    elapsed = int(view.elapsed(now))
    clock = f"{elapsed // 60:02d}:{elapsed % 60:02d}"
    if view.running:
        paused = f" · paused at {view.paused}" if view.paused else ""
        return f"{done}/{total} nodes · {running} running · {clock}{paused}"
    return f"run {view.status} · {done}/{total} nodes · {clock}" + (f" · {view.error}" if view.error else "")


class RunDebug(QObject):
    """Everything run- and debug-related in one designer window."""

    runFinished = Signal(object)  # RunView

    def __init__(
        self,
        window: QMainWindow,
        engine: Engine,
        store: HistoryStore,
        health: Callable[[], dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(window)
        self.window = window
        self.engine = engine
        self.store = store
        self.bridge = RunBridge(engine, parent=self)
        self.bridge.updated.connect(self._on_update)
        self.run: Run | None = None
        self.debugger: Debugger | None = None
        self.viewing: RunView | None = None
        self.last_view: RunView | None = None
        self.breakpoints: set[str] = set()
        self.edge_breakpoints: set[tuple[str, str]] = set()
        self._paint_queue: set[str] = set()
        #: node id -> its outgoing connections, for the edge item counts; cleared when a run starts
        self._outgoing: dict[str, list[Any]] = {}
        self.status_label = QLabel("", window)
        window.statusBar().addPermanentWidget(self.status_label)
        self.banner = QLabel("", window)
        self.banner.setStyleSheet("background: #fff3cd; color: #5d4200; padding: 4px;")
        self.banner.linkActivated.connect(lambda _link: self.back_to_editing())
        self.banner.hide()
        window.statusBar().addWidget(self.banner)
        self.data_dock = DataDock(window)
        self.logs_dock = LogsDock(window)
        self.executions_dock = ExecutionsDock(store, window)
        self.profiling_dock = ProfilingDock(window)
        self.health_dock = HealthDock(health or self._default_health, window)
        bottom = (self.logs_dock, self.data_dock, self.executions_dock, self.profiling_dock)
        for dock in bottom:
            window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, dock)
        for first, second in itertools.pairwise(bottom):
            window.tabifyDockWidget(first, second)
        window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.health_dock)
        inspector = getattr(window, "inspector_dock", None)
        if inspector is not None:
            window.tabifyDockWidget(inspector, self.health_dock)
            inspector.raise_()
        window.resizeDocks([self.logs_dock], [260], Qt.Orientation.Vertical)
        self.logs_dock.raise_()
        self.data_dock.inputEdited.connect(self._input_edited)
        self.data_dock.pinRequested.connect(self.pin_output)
        self.logs_dock.nodeActivated.connect(lambda _run, node: self._select(node))
        self.profiling_dock.nodeSelected.connect(self._select)
        self.profiling_dock.exportRequested.connect(self.export_profile_dialog)
        self.executions_dock.executionSelected.connect(self.show_execution)
        self.executions_dock.retryRequested.connect(self.retry)
        self._selection_connection = window.scene.selectionChanged.connect(  # type: ignore[attr-defined]
            self._selection_changed
        )
        self._unsubscribe_doc = window.doc.subscribe(self._document_changed)  # type: ignore[attr-defined]
        self.ticker = QTimer(self)
        self.ticker.setInterval(500)
        self.ticker.timeout.connect(self._tick)
        self.actions: dict[str, QAction] = {}
        self._build_actions()
        self._install_context_menu()
        self._document_changed(None)

    # ================================================================ construction ===
    def _default_health(self) -> dict[str, Any]:
        from flowforge_desktop.agent.health import health_snapshot

        return health_snapshot(engine=self.engine, store=self.store)

    def _build_actions(self) -> None:
        specs = [
            ("run", "&Run", "F5", self.run_workflow, "Run the workflow in the background"),
            ("debug", "&Debug", "Ctrl+F5", self.debug_workflow, "Run with breakpoints"),
            ("stop", "S&top", "Shift+F5", self.stop, "Stop the run"),
            ("step", "&Step", "F10", self.step, "Run the next node, then pause"),
            ("continue", "&Continue", "F8", self.continue_, "Run until the next breakpoint"),
            ("pause", "&Pause", "Ctrl+Alt+P", self.pause, "Pause before the next node"),
            ("breakpoint", "Toggle &breakpoint", "F9", self.toggle_breakpoint, "Breakpoint on the selected node"),
            ("run_to", "Run &to here", "Ctrl+F10", self.run_to_selected, "Run until the selected node"),
            ("run_only", "Run this node &only", "Ctrl+Shift+F10", self.run_selected_only, "Inputs from the last run"),
            ("pin", "&Pin output", "Ctrl+Shift+P", self.pin_selected, "Pin the last output of the selected node"),
            ("unpin", "&Unpin", "", self.unpin_selected, "Remove the selected node's pinned data"),
        ]
        menu = QMenu("&Run", self.window)
        for key, text, shortcut, slot, tip in specs:
            action = QAction(text, self.window)
            if shortcut:
                action.setShortcut(QKeySequence(shortcut))
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            action.setStatusTip(tip)
            action.triggered.connect(slot)
            self.window.addAction(action)
            menu.addAction(action)
            self.actions[key] = action
            if key in ("pause", "breakpoint"):
                menu.addSeparator()
        menu.addSeparator()
        for dock in (self.data_dock, self.logs_dock, self.executions_dock, self.profiling_dock, self.health_dock):
            menu.addAction(dock.toggleViewAction())
        self.menu = menu
        self.window.menuBar().addMenu(menu)
        self._sync_actions()

    def _sync_actions(self) -> None:
        # Step and Continue stay enabled through a whole debug run: a pause can begin between two
        # repaints, and the key pressed right after it must not be swallowed by a stale state.
        running = self.run is not None and not self.run.done
        debugging = running and self.debugger is not None
        self.actions["run"].setEnabled(not running)
        self.actions["debug"].setEnabled(not running)
        self.actions["stop"].setEnabled(running)
        self.actions["step"].setEnabled(debugging or not running)
        self.actions["continue"].setEnabled(debugging)
        self.actions["pause"].setEnabled(debugging)

    def _document_changed(self, change: Any) -> None:
        """A file was opened (or New): runs, breakpoints and the history shown belong to the new one."""
        from flowforge_desktop.model.changes import DocumentReset

        if change is not None and not isinstance(change, DocumentReset):
            return
        self.back_to_editing()
        self.last_view = None
        self.breakpoints.clear()
        self.edge_breakpoints.clear()
        self.logs_dock.model.workflow_names[self.doc.id] = self.doc.name or self.doc.id[:8]
        self.executions_dock.set_workflow(self.doc.id)
        self.data_dock.clear()
        self.profiling_dock.show_run(None, None)
        self.status_label.setText("")

    # ================================================================= context menu ===
    def _install_context_menu(self) -> None:
        viewport = self.window.view.viewport()  # type: ignore[attr-defined]
        # the viewport gets the right-click (a scroll area's child), so the policy is set there
        viewport.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        viewport.customContextMenuRequested.connect(self.show_context_menu)

    def context_menu(self, pos: Any) -> QMenu:
        """The canvas menu at a point: run and debug actions for the node or edge under it."""
        from flowforge_desktop.ui.scene import EdgeItem

        view = self.window.view  # type: ignore[attr-defined]
        scene_pos = view.mapToScene(pos)
        item = self.scene.node_at(scene_pos)
        menu = QMenu(view)
        if item is not None:
            node_id = item.node_id
            if node_id not in self.scene.selected_node_ids():
                self.scene.select_nodes([node_id])
            on = node_id in self.breakpoints
            menu.addAction("Remove breakpoint" if on else "Add breakpoint", lambda: self.toggle_breakpoint(node_id))
            menu.addAction("Run to here", lambda: self.run_to_selected(node_id))
            menu.addAction("Run this node only", lambda: self.run_selected_only(node_id))
            menu.addAction("Run from here", lambda: self.run_from(node_id))
            menu.addSeparator()
            menu.addAction(self.actions["pin"])
            if node_id in self.doc.pinned:
                menu.addAction(self.actions["unpin"])
            edit_actions = getattr(self.window, "actions_by_name", {})
            if edit_actions:
                menu.addSeparator()
                for name in ("copy", "duplicate", "toggle_disabled", "delete"):
                    if name in edit_actions:
                        menu.addAction(edit_actions[name])
        elif not self.window.add_item_actions(menu, scene_pos):  # type: ignore[attr-defined] # notes, groups
            edge = next((i for i in view.items(pos) if isinstance(i, EdgeItem)), None)
            if edge is not None:
                conn = edge.conn
                on = (conn.source, conn.target) in self.edge_breakpoints
                menu.addAction(
                    "Remove breakpoint on this edge" if on else "Add breakpoint on this edge",
                    lambda: self.toggle_edge_breakpoint(conn.source, conn.target),
                )
            menu.addAction(self.actions["run"])
            menu.addAction(self.actions["debug"])
        return menu

    def show_context_menu(self, pos: Any) -> None:
        menu = self.context_menu(pos)
        # popup(), not exec(): no nested event loop inside the asyncio loop (PITFALLS, qasync)
        menu.popup(self.window.view.viewport().mapToGlobal(pos))  # type: ignore[attr-defined]

    # ===================================================================== running ===
    @property
    def doc(self) -> Any:
        return self.window.doc  # type: ignore[attr-defined]

    @property
    def scene(self) -> Any:
        return self.window.scene  # type: ignore[attr-defined]

    def _start(self, *, debugger: Debugger | None = None, **options: Any) -> Run | None:
        if self.run is not None and not self.run.done:
            self._message("a run is already in progress: stop it first (Shift+F5)")
            return None
        self.back_to_editing()
        self.scene.clear_node_states()
        self._paint_queue.clear()
        self._outgoing.clear()
        self.debugger = debugger
        profiling = self.profiling_dock
        self.run = self.engine.start(
            self.doc.snapshot(),
            trigger="manual",
            debugger=debugger,
            source_path=getattr(self.window, "path", None),
            profile=profiling.profile_next.isChecked(),
            trace_memory=profiling.trace_memory.isChecked(),
            **options,
        )
        self.ticker.start()
        self._sync_actions()
        self._message(f"run {self.run.execution_id[:8]} started")
        return self.run

    def run_workflow(self) -> Run | None:
        """F5: run everything in the background; the window stays responsive."""
        return self._start()

    def debug_workflow(self) -> Run | None:
        """Ctrl+F5: run with the breakpoints; with none set, pause before the first node."""
        debugger = Debugger(breakpoints=set(self.breakpoints), edge_breakpoints=set(self.edge_breakpoints))
        if not self.breakpoints and not self.edge_breakpoints:
            debugger.mode = debugger.mode.STEP
        return self._start(debugger=debugger)

    def stop(self) -> None:
        if self.run is not None and not self.run.done:
            self.run.stop()
            self._message("stopping: running nodes are cancelled")

    def step(self) -> None:
        if self.debugger is not None and self.debugger.paused is not None:
            self.debugger.step()
        elif self.run is None or self.run.done:
            self.debug_workflow()
            if self.debugger is not None:
                self.debugger.mode = self.debugger.mode.STEP
        self._sync_actions()

    def continue_(self) -> None:
        if self.debugger is not None and self.debugger.paused is not None:
            self.debugger.continue_()
        self._sync_actions()

    def pause(self) -> None:
        if self.debugger is not None:
            self.debugger.pause()

    def _selected(self) -> str | None:
        ids = self.scene.selected_node_ids()
        return ids[0] if ids else None

    def _selected_edge(self) -> Any:
        from flowforge_desktop.ui.scene import EdgeItem

        edges = [i.conn for i in self.scene.selectedItems() if isinstance(i, EdgeItem)]
        return edges[0] if edges else None

    def toggle_breakpoint(self, node_id: str | None = None) -> bool | None:
        """F9 on the selected node or edge (or the given node); works during a debug run too."""
        node_id = node_id or self._selected()
        if node_id is None:
            conn = self._selected_edge()
            if conn is not None:
                return self.toggle_edge_breakpoint(conn.source, conn.target)
            self._message("select a node or an edge to toggle its breakpoint")
            return None
        on = node_id not in self.breakpoints
        (self.breakpoints.add if on else self.breakpoints.discard)(node_id)
        if self.debugger is not None:
            (self.debugger.breakpoints.add if on else self.debugger.breakpoints.discard)(node_id)
        marker = getattr(self.scene, "set_breakpoint", None)
        if marker is not None:
            marker(node_id, on)
        self._message(f"breakpoint {'set on' if on else 'removed from'} '{node_id}'")
        return on

    def toggle_edge_breakpoint(self, source: str, target: str) -> bool:
        edge = (source, target)
        on = edge not in self.edge_breakpoints
        (self.edge_breakpoints.add if on else self.edge_breakpoints.discard)(edge)
        if self.debugger is not None:
            (self.debugger.edge_breakpoints.add if on else self.debugger.edge_breakpoints.discard)(edge)
        marker = getattr(self.scene, "set_edge_breakpoint", None)
        if marker is not None:
            for conn in self.doc.connections_of(target):
                if conn.source == source:
                    marker(conn, on)
        self._message(f"breakpoint {'set on' if on else 'removed from'} edge {source} -> {target}")
        return on

    def _reuse_from_last(self) -> dict[str, Reused]:
        view = self.last_view
        if view is None or view.workflow_id != self.doc.id:
            page = self.store.list_executions(workflow_id=self.doc.id, limit=1)
            if not page.rows:
                return {}
            return self.store.reusable_outputs(page.rows[0]["id"])
        return {
            n: Reused(r.output, r.ports)
            for n, r in view.nodes.items()
            if r.state in (NodeState.SUCCEEDED, NodeState.PINNED) and n in self.doc
        }

    def run_to_selected(self, node_id: str | None = None) -> Run | None:
        """Run the node's ancestors, then pause before it."""
        node_id = node_id or self._selected()
        if node_id is None:
            self._message("select the node to run to")
            return None
        debugger = Debugger(breakpoints=set(self.breakpoints), edge_breakpoints=set(self.edge_breakpoints))
        debugger.mode, debugger.run_to_target = debugger.mode.RUN_TO, node_id
        return self._start(debugger=debugger, run_set=plan_up_to(self.doc.graph, node_id))

    def run_selected_only(self, node_id: str | None = None) -> Run | None:
        """Run one node with its inputs from the last run."""
        node_id = node_id or self._selected()
        if node_id is None:
            self._message("select the node to run")
            return None
        upstream = nx.ancestors(self.doc.graph, node_id)
        reuse = {n: r for n, r in self._reuse_from_last().items() if n in upstream}  # nothing after it runs
        missing = [p for p in self.doc.graph.predecessors(node_id) if p not in reuse]
        if missing:
            self._message(f"run the workflow first: no output yet from {', '.join(sorted(missing))}")
            return None
        return self._start(run_set={node_id}, reuse=reuse)

    def run_from(self, node_id: str, execution_id: str | None = None) -> Run | None:
        """Run from a node, reusing the upstream outputs of a past execution (the last one by default)."""
        reuse = self.store.reusable_outputs(execution_id) if execution_id else self._reuse_from_last()
        return self._start(run_set=plan_from(self.doc.graph, node_id), reuse=reuse)

    def retry(self, execution_id: str, from_failed: bool) -> Run | None:
        self.store.flush()
        row = self.store.get_execution(execution_id)
        if row is None:
            self._message("that execution is no longer in the history")
            return None
        if row["workflow_id"] != self.doc.id:
            self._message("open that workflow to retry its execution")
            return None
        if from_failed and row.get("failed_node") and row["failed_node"] in self.doc:
            reuse = self.store.reusable_outputs(execution_id)
            return self._start(
                run_set=plan_from(self.doc.graph, row["failed_node"]), reuse=reuse, payload=row.get("payload")
            )
        return self._start(payload=row.get("payload"), trigger_node=row.get("trigger_node"))

    # ====================================================================== pinning ===
    def pin_output(self, node_id: str, value: Any) -> None:
        """Pin data in the document (undoable through the editor when it offers it)."""
        editor = getattr(self.window, "editor", None)
        pin = getattr(editor, "pin", None)
        if pin is not None:
            pin(node_id, value)
        else:
            self.doc.pin(node_id, value)
        self.scene.set_node_state(node_id, "pinned")
        self._message(f"'{node_id}' pinned: runs use this output instead of running it")

    def pin_selected(self) -> None:
        node_id = self._selected()
        if node_id is None:
            return
        view = self.last_view
        rec = view.nodes.get(node_id) if view else None
        if rec is None or rec.output is None:
            self._message(f"'{node_id}' has no output yet: run it first, or type JSON in the Data dock")
            return
        self.pin_output(node_id, rec.output)

    def pin_json(self, node_id: str, text: str) -> bool:
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            self._message(f"not pinned: line {exc.lineno}, column {exc.colno}: {exc.msg}")
            return False
        self.pin_output(node_id, value)
        return True

    def unpin_selected(self) -> None:
        node_id = self._selected()
        if node_id is not None and node_id in self.doc.pinned:
            editor = getattr(self.window, "editor", None)
            unpin = getattr(editor, "unpin", None)
            (unpin or self.doc.unpin)(node_id)
            self.scene.set_node_state(node_id, None)

    # ============================================================== past executions ===
    def show_execution(self, execution_id: str) -> RunView | None:
        """Show a past run's states and data on the canvas, read-only, with a way back."""
        self.store.flush(2)
        row = self.store.get_execution(execution_id)
        if row is None:
            return None
        view = RunView.from_history(row, self.store.node_runs(execution_id))
        self.viewing = view
        self._outgoing.clear()
        self.scene.clear_node_states()
        for node_id, rec in view.nodes.items():
            self.scene.set_node_state(node_id, str(rec.state))
            self._show_edge_items(view, node_id)
        self.banner.setText(f'viewing run {execution_id[:8]} ({view.status}) — <a href="back">Back to editing</a>')
        self.banner.show()
        self.window.view.setInteractive(False)  # type: ignore[attr-defined]
        self.profiling_dock.show_run(view, self.doc.graph)
        self._selection_changed()
        return view

    def back_to_editing(self) -> None:
        if self.viewing is None:
            return
        self.viewing = None
        self.banner.hide()
        self.window.view.setInteractive(True)  # type: ignore[attr-defined]
        self.scene.clear_node_states()
        if self.last_view is not None and self.last_view.workflow_id == self.doc.id:
            for node_id, rec in self.last_view.nodes.items():
                self.scene.set_node_state(node_id, str(rec.state))
                self._show_edge_items(self.last_view, node_id)

    # ====================================================================== updates ===
    def current_view(self) -> RunView | None:
        if self.viewing is not None:
            return self.viewing
        if self.run is not None:
            return self.bridge.views.get(self.run.execution_id)
        return self.last_view

    def _on_update(self, update: Update) -> None:
        if update.logs:
            self.logs_dock.append(update.logs)
        run_id = self.run.execution_id if self.run is not None else None
        view = update.runs.get(run_id) if run_id else None
        if view is not None and self.viewing is None:
            self._paint_queue.update(update.nodes.get(run_id, ()))  # type: ignore[arg-type]
            self._paint_some()
            self.status_label.setText(progress_text(view, time.time()))
            selected = self._selected()
            if selected in update.nodes.get(run_id, ()):  # type: ignore[arg-type]
                self._selection_changed()
        for execution_id, node_id in update.paused:
            if execution_id == run_id:
                self._select(node_id)
                rec = view.nodes.get(node_id) if view else None
                self.data_dock.show_node(node_id, rec, paused=True)
                self.data_dock.raise_()
        if run_id in update.finished and view is not None:
            self.last_view = view
            self.ticker.stop()
            self.profiling_dock.show_run(
                view, self.doc.graph, can_export=self.run is not None and self.run.profiler is not None
            )
            self.executions_dock.note_run_finished()
            self.runFinished.emit(view)
            for other in list(self.bridge.views):
                if other != run_id:
                    self.bridge.forget(other)
        self._sync_actions()

    PAINT_BATCH = 150

    def _paint_some(self) -> None:
        """Put changed states on the canvas a slice at a time (a few ms each), yielding to the loop
        between slices: a flush of 1,000 changed nodes never holds the window for 40 ms."""
        view = self.current_view()
        if view is None or self.viewing is not None:
            self._paint_queue.clear()
            return
        for _ in range(min(self.PAINT_BATCH, len(self._paint_queue))):
            node_id = self._paint_queue.pop()
            rec = view.nodes.get(node_id)
            if rec is not None:
                self.scene.set_node_state(node_id, str(rec.state))
                self._show_edge_items(view, node_id)
        if self._paint_queue:
            # a 1 ms timer, not 0: Qt serves zero timers back to back, which would chain every slice
            # into one long stall; a real timer lets other timers (and asyncio's) in between slices
            QTimer.singleShot(1, self._paint_some)

    def _show_edge_items(self, view: RunView, node_id: str) -> None:
        setter = getattr(self.scene, "set_edge_items", None)
        if setter is None:
            return
        outgoing = self._outgoing.get(node_id)
        if outgoing is None:
            outgoing = self._outgoing[node_id] = [c for c in self.doc.connections_of(node_id) if c.source == node_id]
        for conn in outgoing:
            setter(conn, view.items_on(conn))

    def _tick(self) -> None:
        view = self.current_view()
        if view is not None and view.running:
            self.status_label.setText(progress_text(view, time.time()))

    def _selection_changed(self) -> None:
        node_id = self._selected()
        if node_id is None:
            return
        self.logs_dock.filter_node(node_id)
        view = self.current_view()
        paused = self.debugger is not None and self.debugger.paused is not None
        paused_here = paused and self.debugger.paused.node_id == node_id  # type: ignore[union-attr]
        self.data_dock.show_node(node_id, view.nodes.get(node_id) if view else None, paused=paused_here)

    def _select(self, node_id: str) -> None:
        if node_id not in self.doc:
            return
        self.scene.select_nodes([node_id])
        item = getattr(self.scene, "nodes", {}).get(node_id)
        if item is not None:
            self.window.view.centerOn(item)  # type: ignore[attr-defined]

    def _input_edited(self, value: Any) -> None:
        if self.debugger is not None and self.debugger.paused is not None:
            self.debugger.set_input(value)

    def _message(self, text: str) -> None:
        show = getattr(self.window, "show_message", None)
        if show is not None:
            show(text)
        else:
            self.window.statusBar().showMessage(text, 8000)

    # ===================================================================== profiling ===
    def export_profile(self, path: str | Path) -> bool:
        if self.run is None or self.run.profiler is None:
            self._message("tick 'Record cProfile on the next run', run, then export")
            return False
        self.run.profiler.dump_stats(str(path))
        self._message(f"profile written to {path}: open it with `python -m pstats` or snakeviz")
        return True

    def export_profile_dialog(self) -> None:
        from PySide6.QtWidgets import QFileDialog

        path, _ = QFileDialog.getSaveFileName(self.window, "Export cProfile", "run.prof", "Profiles (*.prof)")
        if path:
            self.export_profile(path)

    def shutdown(self) -> None:
        self.ticker.stop()
        self.bridge.close()
        self._unsubscribe_doc()
        QObject.disconnect(self._selection_connection)
        if self.run is not None and not self.run.done:
            self.run.stop()


__all__ = ["RunDebug", "progress_text"]
