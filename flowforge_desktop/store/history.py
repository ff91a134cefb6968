"""Execution history in SQLite: executions, node runs and log lines, written without holding up the loop.

Why it is built this way:
- WAL mode with ``synchronous=NORMAL``: a commit is a write() to the WAL, not an fsync, and it
  survives the process being killed (only a power cut can lose the last commits). fsyncs happen at
  checkpoints. So a 10,000-node run costs a handful of fsyncs, not 10,000.
- Attached inside a running event loop (the app, the agent, `run`), events are written on that loop
  in slices of a few milliseconds, 20 ms after they arrive, with checkpoints in their own thread: a
  writer thread would fight the loop for the GIL (measured: 100+ ms stalls in the designer). Without
  a loop, a writer thread drains a queue instead. Either way a SIGKILL loses at most the events of
  the last ~20 ms, and run definitions are assembled from per-node JSON cached across runs.
- Each execution row carries its owner process (pid and start time). At start, executions still
  "running" whose owner is gone are marked *interrupted*: the designer and the headless agent can
  share one database without one declaring the other's runs dead.
- Lists are keyset-paginated on (created_at, id): page 1,000 costs what page 1 costs.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import queue
import sqlite3
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flowforge_desktop.engine.events import (
    Event,
    LogLine,
    NodeFinished,
    NodePaused,
    NodeStarted,
    RunFinished,
    RunStarted,
    RunStatus,
)
from flowforge_desktop.store.paths import history_path

log = logging.getLogger("flowforge.store")

DEFAULT_MAX_VALUE_BYTES = 1_000_000
TRUNCATED_KEY = "__truncated__"

_MIGRATIONS: list[str] = [
    # version 1
    """
    CREATE TABLE executions (
        id TEXT PRIMARY KEY,
        workflow_id TEXT NOT NULL,
        workflow_name TEXT NOT NULL DEFAULT '',
        status TEXT NOT NULL,
        trigger TEXT NOT NULL DEFAULT 'manual',
        trigger_node TEXT,
        payload TEXT,
        created_at REAL NOT NULL,
        started_at REAL,
        finished_at REAL,
        definition TEXT,
        error TEXT,
        failed_node TEXT,
        parent_execution_id TEXT,
        node_count INTEGER NOT NULL DEFAULT 0,
        owner TEXT
    );
    CREATE INDEX idx_executions_workflow_id ON executions(workflow_id);
    CREATE INDEX idx_executions_status ON executions(status);
    CREATE INDEX idx_executions_created_at ON executions(created_at, id);
    CREATE INDEX idx_executions_workflow_created ON executions(workflow_id, created_at, id);
    CREATE TABLE node_runs (
        execution_id TEXT NOT NULL REFERENCES executions(id) ON DELETE CASCADE,
        node_id TEXT NOT NULL,
        state TEXT NOT NULL,
        input TEXT,
        output TEXT,
        truncated INTEGER NOT NULL DEFAULT 0,
        output_size INTEGER NOT NULL DEFAULT 0,
        error TEXT,
        attempts INTEGER NOT NULL DEFAULT 0,
        queued_at REAL,
        started_at REAL,
        finished_at REAL,
        duration REAL NOT NULL DEFAULT 0,
        cpu_time REAL NOT NULL DEFAULT 0,
        ports TEXT NOT NULL DEFAULT '[]',
        reused INTEGER NOT NULL DEFAULT 0,
        seq INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (execution_id, node_id)
    );
    CREATE TABLE logs (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        execution_id TEXT REFERENCES executions(id) ON DELETE CASCADE,
        workflow_id TEXT,
        node_id TEXT,
        level TEXT NOT NULL,
        message TEXT NOT NULL,
        at REAL NOT NULL
    );
    CREATE INDEX idx_logs_execution ON logs(execution_id, id);
    CREATE INDEX idx_logs_at ON logs(at);
    """,
]
SCHEMA_VERSION = len(_MIGRATIONS)

_ACTIVE = (RunStatus.QUEUED.value, RunStatus.RUNNING.value)
_RECORDED = frozenset({RunStarted, RunFinished, NodeStarted, NodePaused, NodeFinished, LogLine})


def _owner_tag(pid: int | None = None) -> str:
    import psutil

    proc = psutil.Process(pid or os.getpid())
    return f"{proc.pid}:{proc.create_time():.2f}"


def _owner_alive(tag: str | None) -> bool:
    import psutil

    if not tag or ":" not in tag:
        return False
    pid_text, _, created = tag.partition(":")
    try:
        proc = psutil.Process(int(pid_text))
        return f"{proc.create_time():.2f}" == created and proc.status() != psutil.STATUS_ZOMBIE
    except (psutil.Error, ValueError):
        return False


@dataclass(frozen=True, slots=True)
class Cursor:
    """Where the next page starts: the last row's (created_at, id)."""

    created_at: float
    id: str


@dataclass(frozen=True, slots=True)
class Page:
    rows: list[dict[str, Any]]
    next: Cursor | None


class StoreError(Exception):
    """The history database cannot be used; the message names the file and what to do."""


_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, default=str)
_compact_json = _ENCODER.encode  # one encoder: json.dumps with options builds a new one per call
_PORTS_JSON: dict[tuple[str, ...], str] = {}


def _ports_json(ports: tuple[str, ...]) -> str:
    text = _PORTS_JSON.get(ports)
    if text is None:
        text = _compact_json(list(ports))
        if len(_PORTS_JSON) < 10_000:
            _PORTS_JSON[ports] = text
    return text


class _DefinitionCache:
    """The definition of each run, as compact JSON, built from per-node pieces kept across runs.

    Node specs are immutable and shared by every snapshot until the node is edited, so a workflow run
    a thousand times serialises each node once; only edited nodes are serialised again.
    """

    def __init__(self) -> None:
        self.nodes: dict[int, tuple[Any, str]] = {}
        self.connections: dict[Any, str] = {}

    def json(self, snapshot: Any) -> str:
        for text in self.steps(snapshot):
            if text is not None:
                return text
        raise AssertionError("unreachable")

    def steps(self, snapshot: Any, every: int = 200) -> Iterator[str | None]:
        """Build the JSON, yielding None every ``every`` new nodes and the text at the end: on the event
        loop the history builds a 10,000-node definition in slices instead of one 100 ms stall."""
        from flowforge_desktop.model.codec import node_data, settings_data
        from flowforge_desktop.model.schema import FORMAT_NAME, FORMAT_VERSION

        if len(self.nodes) > 200_000 or len(self.connections) > 400_000:
            self.nodes.clear()
            self.connections.clear()
        nodes = []
        fresh = 0
        for spec in snapshot.nodes.values():
            hit = self.nodes.get(id(spec))
            if hit is None or hit[0] is not spec:
                hit = self.nodes[id(spec)] = (spec, _compact_json(node_data(spec)))
                fresh += 1
                if fresh % every == 0:
                    yield None
            nodes.append(hit[1])
        connections = []
        for conn in snapshot.connections:
            text = self.connections.get(conn)
            if text is None:
                text = self.connections[conn] = _compact_json(
                    {"from": conn.source, "to": conn.target, "from_port": conn.from_port, "to_port": conn.to_port}
                )
            connections.append(text)
        head = _compact_json(
            {
                "format": FORMAT_NAME,
                "version": FORMAT_VERSION,
                "id": snapshot.id,
                "name": snapshot.name,
                "settings": settings_data(snapshot.settings),
            }
        )
        tail = f',"pinned":{_compact_json(dict(snapshot.pinned))}' if snapshot.pinned else ""
        yield f'{head[:-1]},"nodes":[{",".join(nodes)}],"connections":[{",".join(connections)}]{tail}}}'


class _Flush:
    __slots__ = ("done",)

    def __init__(self) -> None:
        self.done = threading.Event()


class HistoryStore:
    """The execution history. Thread-safe: events may be recorded from any thread."""

    def __init__(
        self,
        path: str | os.PathLike[str] | None = None,
        *,
        max_value_bytes: int = DEFAULT_MAX_VALUE_BYTES,
        keep_days: float | None = None,
        keep_runs: int | None = None,
        recover: bool = True,
        gather_seconds: float = 0.02,
    ) -> None:
        self.path = Path(path) if path is not None else history_path()
        self.max_value_bytes = max_value_bytes
        self.keep_days = keep_days
        self.keep_runs = keep_runs
        self.commits = 0
        #: how long the writer lets events accumulate before a commit (the most a SIGKILL can lose)
        self.gather_seconds = gather_seconds
        self.rows_written = 0
        self._seq = 0
        self._owner = _owner_tag()
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._writer: threading.Thread | None = None
        self._closed = False
        self._read_lock = threading.Lock()
        self._wake = threading.Event()
        self._definitions = _DefinitionCache()
        #: loop mode (see attach): pending events, the scheduled drain, flush() waiters from other threads
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread = 0
        self._loop_conn: Any = None
        self._pending: deque[Event] = deque()
        self._drain_handle: asyncio.Handle | None = None
        self._flush_waiters: list[threading.Event] = []
        self._definition_jobs: deque[tuple[str, Iterator[str | None]]] = deque()
        self._checkpointer: threading.Thread | None = None
        self._checkpoint_wake = threading.Event()
        self._checkpointed = 0
        #: how long one write slice on the loop may take before it yields
        self.slice_seconds = 0.004
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._read = self._connect()
            self._migrate(self._read)
        except sqlite3.DatabaseError as exc:
            raise StoreError(
                f"{self.path}: cannot open the history database ({exc}); move the file away to start a new history"
            ) from None
        self.interrupted: list[str] = self.recover_interrupted() if recover else []
        if keep_days is not None or keep_runs is not None:
            self.prune(keep_days=keep_days, keep_runs=keep_runs)

    # ============================================================== connections ===
    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=30, check_same_thread=False, isolation_level=None)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA busy_timeout=30000")
        return conn

    def _migrate(self, conn: sqlite3.Connection) -> None:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{self.path}: the history was written by a newer FlowForge Desktop "
                f"(schema {version}, this version knows {SCHEMA_VERSION}); update the app"
            )
        for number in range(version, SCHEMA_VERSION):
            conn.execute("BEGIN IMMEDIATE")
            try:
                for statement in _MIGRATIONS[number].split(";"):
                    if statement.strip():
                        conn.execute(statement)
                conn.execute(f"PRAGMA user_version={number + 1}")
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise

    # ================================================================ recording ===
    def attach(self, engine: Any) -> Callable[[], None]:
        """Subscribe to an engine's events; returns the unsubscribe function.

        Attached from inside a running event loop, the store writes on that loop in slices of a few
        milliseconds between other work (see ``_drain``). A writer *thread* would compete with the
        loop for the GIL: measured here, a 10,000-node run in the designer then showed 100-150 ms
        stalls, because every Python paint() call Qt made had to wait for the writer's time slice.
        Without a running loop (a script), a writer thread does the work instead.
        """
        if self._loop is None and self._writer is None:
            try:
                self._use_loop(asyncio.get_running_loop())
            except RuntimeError:
                pass
        unsubscribe: Callable[[], None] = engine.subscribe(self.record)
        return unsubscribe

    def _use_loop(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._loop_thread = threading.get_ident()
        self._loop_conn = self._connect()
        # checkpoints (which fsync) run in their own thread, never inside a commit on the loop
        self._loop_conn.execute("PRAGMA wal_autocheckpoint=0")
        self._checkpointer = threading.Thread(target=self._checkpoint_loop, name="flowforge-checkpoint", daemon=True)
        self._checkpointer.start()

    def record(self, event: Event) -> None:
        """Take an event for writing (cheap; never blocks the loop)."""
        if self._closed or type(event) not in _RECORDED:
            return
        if self._loop is not None:
            if threading.get_ident() != self._loop_thread:  # a node logging from a worker thread
                self._loop.call_soon_threadsafe(self.record, event)
                return
            self._pending.append(event)
            if self._drain_handle is None:
                self._drain_handle = self._loop.call_later(self.gather_seconds, self._drain)
            return
        if self._writer is None:
            self._start_writer()
        self._queue.put(event)

    def _advance_definitions(self, deadline: float, everything: bool) -> None:
        jobs = self._definition_jobs
        while jobs and (everything or time.perf_counter() < deadline):
            execution_id, steps = jobs[0]
            text = next(steps)
            if text is None:
                continue
            jobs.popleft()
            try:
                self._loop_conn.execute("UPDATE executions SET definition=? WHERE id=?", (text, execution_id))
            except sqlite3.Error:
                log.exception("could not store the definition of execution %s", execution_id)

    def _drain(self, everything: bool = False) -> None:
        """Write pending events on the loop for at most ``slice_seconds``, then yield and come back."""
        self._drain_handle = None
        deadline = time.perf_counter() + self.slice_seconds
        pending = self._pending
        while pending and (everything or time.perf_counter() < deadline):
            chunk = [pending.popleft() for _ in range(min(128, len(pending)))]
            try:
                self._write_batch(self._loop_conn, chunk)
            except Exception:
                log.exception("could not write %d history events", len(chunk))
        self._advance_definitions(deadline, everything)
        if self.commits - self._checkpointed > 200:
            self._checkpoint_wake.set()
        if pending or self._definition_jobs:
            self._drain_handle = self._loop.call_soon(self._drain)  # type: ignore[union-attr]
        else:
            waiters, self._flush_waiters = self._flush_waiters, []
            for waiter in waiters:
                waiter.set()

    def _checkpoint_loop(self) -> None:
        conn = self._connect()
        try:
            while not self._closed:
                self._checkpoint_wake.wait(5.0)
                self._checkpoint_wake.clear()
                self._checkpointed = self.commits
                try:
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
                except sqlite3.Error as exc:
                    log.debug("history checkpoint skipped: %s", exc)
        finally:
            conn.close()

    def _start_writer(self) -> None:
        self._writer = threading.Thread(target=self._write_loop, name="flowforge-history", daemon=True)
        self._writer.start()

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until every event recorded so far is committed."""
        if self._loop is not None:
            if threading.get_ident() == self._loop_thread or not self._loop.is_running():
                if self._drain_handle is not None:
                    self._drain_handle.cancel()
                self._drain(everything=True)
                return True
            waiter = threading.Event()
            self._flush_waiters.append(waiter)
            self._loop.call_soon_threadsafe(self._drain, True)
            return waiter.wait(timeout)
        if self._writer is None:
            return True
        marker = _Flush()
        self._queue.put(marker)
        self._wake.set()
        return marker.done.wait(timeout)

    def close(self) -> None:
        if self._closed:
            return
        self.flush()
        self._closed = True
        if self._writer is not None:
            self._queue.put(None)
            self._writer.join(10)
        if self._loop is not None:
            self._checkpoint_wake.set()
            if self._checkpointer is not None:
                self._checkpointer.join(10)
            self._loop_conn.close()
        with self._read_lock:
            self._read.close()

    def _write_loop(self) -> None:
        conn = self._connect()
        try:
            while True:
                item = self._queue.get()
                if self.gather_seconds and item is not None and not isinstance(item, _Flush):
                    # Let a burst accumulate: one large batch costs far fewer GIL hand-offs with the
                    # event loop than many small ones, and a kill loses at most this window.
                    self._wake.wait(self.gather_seconds)  # a flush() cuts the wait short
                    self._wake.clear()
                batch = [item]
                while len(batch) < 20000:
                    try:
                        batch.append(self._queue.get_nowait())
                    except queue.Empty:
                        break
                events = [e for e in batch if e is not None and not isinstance(e, _Flush)]
                if events:
                    try:
                        self._write_batch(conn, events)
                    except Exception:
                        log.exception("could not write %d history events", len(events))
                for e in batch:
                    if isinstance(e, _Flush):
                        e.done.set()
                if None in batch:
                    return
        finally:
            conn.close()

    def _write_batch(self, conn: sqlite3.Connection, events: Sequence[Event]) -> None:
        # A node that started and finished within one batch needs only its finished row.
        finished = {(e.execution_id, e.node_id) for e in events if isinstance(e, NodeFinished)}
        conn.execute("BEGIN")
        try:
            for event in events:
                if isinstance(event, NodeStarted) and (event.execution_id, event.node_id) in finished:
                    continue
                self._write_event(conn, event)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        self.commits += 1
        self.rows_written += len(events)

    def _json(self, value: Any) -> tuple[str, bool, int]:
        """(json text, truncated?, full size). Values past the cap keep a preview and a marker."""
        if value is None:
            return "null", False, 4
        text = _compact_json(value)
        size = len(text)
        if size <= self.max_value_bytes:
            return text, False, size
        marker = {TRUNCATED_KEY: True, "original_size": size, "preview": text[: self.max_value_bytes]}
        return json.dumps(marker, ensure_ascii=False), True, size

    def _write_event(self, conn: sqlite3.Connection, event: Event) -> None:
        self._seq += 1
        if isinstance(event, NodeFinished):
            inp = self._json(event.input)[0] if event.input is not None else None
            out, truncated, size = self._json(event.output)
            conn.execute(
                "INSERT OR REPLACE INTO node_runs (execution_id, node_id, state, input, output, truncated, "
                "output_size, error, attempts, queued_at, started_at, finished_at, duration, cpu_time, ports, "
                "reused, seq) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    event.execution_id,
                    event.node_id,
                    str(event.state),
                    inp,
                    out,
                    int(truncated),
                    size,
                    _compact_json(event.error) if event.error else None,
                    event.attempts,
                    event.queued_at,
                    event.started_at,
                    event.at,
                    event.duration,
                    event.cpu_time,
                    _ports_json(event.ports),
                    int(event.reused),
                    self._seq,
                ),
            )
        elif isinstance(event, NodeStarted | NodePaused):
            state = "running" if isinstance(event, NodeStarted) else "paused"
            attempt = event.attempt if isinstance(event, NodeStarted) else 0
            conn.execute(
                "INSERT INTO node_runs (execution_id, node_id, state, input, attempts, started_at, seq) "
                "VALUES (?,?,?,?,?,?,?) ON CONFLICT(execution_id, node_id) DO UPDATE SET state=excluded.state, "
                "attempts=max(node_runs.attempts, excluded.attempts)",
                (
                    event.execution_id,
                    event.node_id,
                    state,
                    self._json(event.input)[0],
                    attempt,
                    event.at,
                    self._seq,
                ),
            )
        elif isinstance(event, LogLine):
            conn.execute(
                "INSERT INTO logs (execution_id, workflow_id, node_id, level, message, at) VALUES (?,?,?,?,?,?)",
                (event.execution_id, event.workflow_id, event.node_id, event.level, event.message, event.at),
            )
        elif isinstance(event, RunStarted):
            definition = None
            if event.definition is not None:
                if self._loop is not None and conn is self._loop_conn:
                    # on the loop: the row now, its definition in slices (see _advance_definitions)
                    self._definition_jobs.append((event.execution_id, self._definitions.steps(event.definition)))
                else:
                    definition = self._definitions.json(event.definition)
            conn.execute(
                "INSERT OR REPLACE INTO executions (id, workflow_id, workflow_name, status, trigger, trigger_node, "
                "payload, created_at, started_at, definition, parent_execution_id, node_count, owner) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    event.execution_id,
                    event.workflow_id,
                    event.workflow_name,
                    RunStatus.RUNNING.value,
                    event.trigger,
                    event.trigger_node,
                    self._json(event.payload)[0],
                    event.at,
                    event.at,
                    definition,
                    event.parent_execution_id,
                    event.node_count,
                    self._owner,
                ),
            )
        elif isinstance(event, RunFinished):
            conn.execute(
                "UPDATE executions SET status=?, finished_at=?, error=?, failed_node=? WHERE id=?",
                (str(event.status), event.at, event.error, event.failed_node, event.execution_id),
            )

    # ================================================================ recovery ===
    def recover_interrupted(self) -> list[str]:
        """Mark runs whose process died (SIGKILL, power cut) as interrupted; return their ids."""
        with self._read_lock:
            rows = self._read.execute(
                "SELECT id, owner, started_at FROM executions WHERE status IN (?, ?)", _ACTIVE
            ).fetchall()
        dead = [r["id"] for r in rows if r["owner"] != self._owner and not _owner_alive(r["owner"])]
        if dead:
            self.mark_interrupted(dead, "the app stopped while this run was in progress")
        return dead

    def mark_interrupted(self, execution_ids: Iterable[str], reason: str = "interrupted at shutdown") -> None:
        ids = list(execution_ids)
        with self._read_lock:
            conn = self._read
            conn.execute("BEGIN IMMEDIATE")
            try:
                for eid in ids:
                    last = conn.execute(
                        "SELECT max(finished_at) FROM node_runs WHERE execution_id=?", (eid,)
                    ).fetchone()[0]
                    conn.execute(
                        "UPDATE executions SET status=?, error=coalesce(error, ?), "
                        "finished_at=coalesce(finished_at, ?, started_at) WHERE id=?",
                        (RunStatus.INTERRUPTED.value, reason, last, eid),
                    )
                    conn.execute(
                        "UPDATE node_runs SET state='cancelled' WHERE execution_id=? "
                        "AND state IN ('running', 'queued', 'paused')",
                        (eid,),
                    )
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise

    # ================================================================== reading ===
    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        with self._read_lock:
            return self._read.execute(sql, params).fetchall()

    def list_executions(
        self,
        *,
        workflow_id: str | None = None,
        status: str | Sequence[str] | None = None,
        since: float | None = None,
        until: float | None = None,
        after: Cursor | None = None,
        limit: int = 50,
    ) -> Page:
        """Newest first; pass ``page.next`` as ``after`` for the following page."""
        where, params = self._filters(workflow_id, status, since, until)
        if after is not None:
            where.append("(created_at < ? OR (created_at = ? AND id < ?))")
            params += [after.created_at, after.created_at, after.id]
        sql = (
            "SELECT id, workflow_id, workflow_name, status, trigger, trigger_node, created_at, started_at, "
            "finished_at, error, failed_node, parent_execution_id, node_count FROM executions"
            + (" WHERE " + " AND ".join(where) if where else "")
            + " ORDER BY created_at DESC, id DESC LIMIT ?"
        )
        rows = [dict(r) for r in self._query(sql, [*params, limit + 1])]
        more = len(rows) > limit
        rows = rows[:limit]
        nxt = Cursor(rows[-1]["created_at"], rows[-1]["id"]) if more and rows else None
        return Page(rows, nxt)

    def count_executions(
        self,
        *,
        workflow_id: str | None = None,
        status: str | Sequence[str] | None = None,
        since: float | None = None,
        until: float | None = None,
    ) -> int:
        where, params = self._filters(workflow_id, status, since, until)
        sql = "SELECT count(*) FROM executions" + (" WHERE " + " AND ".join(where) if where else "")
        return int(self._query(sql, params)[0][0])

    @staticmethod
    def _filters(
        workflow_id: str | None, status: str | Sequence[str] | None, since: float | None, until: float | None
    ) -> tuple[list[str], list[Any]]:
        where: list[str] = []
        params: list[Any] = []
        if workflow_id is not None:
            where.append("workflow_id = ?")
            params.append(workflow_id)
        if status:
            statuses = [status] if isinstance(status, str) else list(status)
            where.append(f"status IN ({','.join('?' * len(statuses))})")
            params += statuses
        if since is not None:
            where.append("created_at >= ?")
            params.append(since)
        if until is not None:
            where.append("created_at < ?")
            params.append(until)
        return where, params

    def get_execution(self, execution_id: str) -> dict[str, Any] | None:
        rows = self._query("SELECT * FROM executions WHERE id = ?", (execution_id,))
        if not rows:
            return None
        row = dict(rows[0])
        row["payload"] = json.loads(row["payload"]) if row["payload"] else None
        row["definition"] = json.loads(row["definition"]) if row["definition"] else None
        return row

    def node_runs(self, execution_id: str) -> list[dict[str, Any]]:
        rows = self._query("SELECT * FROM node_runs WHERE execution_id = ? ORDER BY seq", (execution_id,))
        out = []
        for r in rows:
            row = dict(r)
            for key in ("input", "output", "error", "ports"):
                row[key] = json.loads(row[key]) if row[key] else None
            row["truncated"] = bool(row["truncated"])
            row["reused"] = bool(row["reused"])
            out.append(row)
        return out

    def logs(
        self,
        *,
        execution_id: str | None = None,
        node_id: str | None = None,
        levels: Sequence[str] | None = None,
        text: str | None = None,
        after_id: int = 0,
        limit: int = 1000,
    ) -> list[dict[str, Any]]:
        where, params = ["id > ?"], [after_id]
        if execution_id:
            where.append("execution_id = ?")
            params.append(execution_id)
        if node_id:
            where.append("node_id = ?")
            params.append(node_id)
        if levels:
            where.append(f"level IN ({','.join('?' * len(levels))})")
            params += list(levels)
        if text:
            where.append("message LIKE ?")
            params.append(f"%{text}%")
        sql = f"SELECT * FROM logs WHERE {' AND '.join(where)} ORDER BY id LIMIT ?"
        return [dict(r) for r in self._query(sql, [*params, limit])]

    # ============================================================== maintenance ===
    def delete_executions(self, execution_ids: Iterable[str]) -> int:
        ids = list(execution_ids)
        with self._read_lock:
            cur = self._read.executemany("DELETE FROM executions WHERE id = ?", [(i,) for i in ids])
            return cur.rowcount

    def prune(self, *, keep_days: float | None = None, keep_runs: int | None = None) -> int:
        """Delete finished executions older than ``keep_days`` or beyond the newest ``keep_runs``."""
        deleted = 0
        finished = tuple(s.value for s in RunStatus if s.value not in _ACTIVE)
        marks = ",".join("?" * len(finished))
        with self._read_lock:
            if keep_days is not None:
                cutoff = time.time() - keep_days * 86400
                cur = self._read.execute(
                    f"DELETE FROM executions WHERE created_at < ? AND status IN ({marks})", (cutoff, *finished)
                )
                deleted += cur.rowcount
            if keep_runs is not None:
                cur = self._read.execute(
                    f"DELETE FROM executions WHERE status IN ({marks}) AND id NOT IN "
                    "(SELECT id FROM executions ORDER BY created_at DESC, id DESC LIMIT ?)",
                    (*finished, keep_runs),
                )
                deleted += cur.rowcount
        return deleted

    def size_bytes(self) -> int:
        total = 0
        for suffix in ("", "-wal", "-shm"):
            p = Path(str(self.path) + suffix)
            if p.exists():
                total += p.stat().st_size
        return total

    def reusable_outputs(self, execution_id: str) -> dict[str, Any]:
        """Node id -> Reused for every node that produced output in a past execution.

        "Run from this node" and "retry from the failed node" feed these to ``Engine.start(reuse=...)``.
        """
        from flowforge_desktop.engine.run import Reused

        reused: dict[str, Any] = {}
        for row in self.node_runs(execution_id):
            if row["state"] in ("succeeded", "pinned") and not row["truncated"]:
                reused[row["node_id"]] = Reused(row["output"], tuple(row["ports"] or ()))
        return reused
