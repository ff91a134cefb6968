"""`flowforge-desktop run FILE`: run a workflow in the terminal, with a live line per node.

With ``--break NODE`` it is a terminal step debugger: at each pause, type ``s`` (step), ``c``
(continue), ``i`` (show input), ``o NODE`` (show a node's output), ``set JSON`` (replace the input),
``b NODE`` (toggle a breakpoint) or ``q`` (stop). Exit status 0 when the run succeeded, 1 otherwise.
Runs are recorded in the history (as the designer's are) unless ``--no-history``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any, TextIO

from flowforge_desktop.cli import UserError
from flowforge_desktop.commands._common import read_text
from flowforge_desktop.engine import Debugger, Engine, NodeState, Run, RunStatus
from flowforge_desktop.engine.events import Event, NodeFinished, NodePaused, NodeRetrying, RunFinished
from flowforge_desktop.model.codec import loads
from flowforge_desktop.model.errors import WorkflowLoadError
from flowforge_desktop.nodes.registry import default_registry

NAME = "run"
HELP = "run a workflow in the terminal (exit 0 when it succeeds, 1 when it fails)"

_MARK = {
    NodeState.SUCCEEDED: "ok",
    NodeState.FAILED: "FAILED",
    NodeState.SKIPPED: "skipped",
    NodeState.CANCELLED: "cancelled",
    NodeState.PINNED: "pinned",
}
DEBUG_HELP = "s=step  c=continue  i=input  o NODE=output  set JSON=replace input  b NODE=breakpoint  q=stop"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE", help="workflow JSON file")
    parser.add_argument("--input", metavar="JSON", help="the trigger payload, as JSON")
    parser.add_argument("--trigger", metavar="NODE", help="start from this trigger node only")
    parser.add_argument(
        "--break", dest="breakpoints", metavar="NODE", action="append", default=[], help="pause before NODE"
    )
    parser.add_argument("--no-history", action="store_true", help="do not record the run in the history")
    parser.add_argument("--output", action="store_true", help="print the run's output as JSON at the end")


def run(args: argparse.Namespace) -> int:
    registry = default_registry()
    try:
        loaded = loads(read_text(args.file), registry, source=args.file)
    except WorkflowLoadError as exc:
        lines = "\n".join(f"  {p.message}" for p in exc.problems if p.severity == "error")
        raise UserError(f"{args.file}: cannot run, the file has errors:\n{lines}") from None
    doc = loaded.document
    for problem in loaded.problems:
        print(f"{args.file}: {problem.severity}: {problem.message}")
    payload: Any = None
    if args.input is not None:
        try:
            payload = json.loads(args.input)
        except json.JSONDecodeError as exc:
            raise UserError(f"--input is not valid JSON: {exc.msg} at column {exc.colno}") from None
    for node in [*args.breakpoints, *([args.trigger] if args.trigger else [])]:
        if node not in doc:
            raise UserError(f"no node '{node}' in {args.file}")
    return asyncio.run(_run(doc, args, payload))


async def _run(doc: Any, args: argparse.Namespace, payload: Any) -> int:
    from flowforge_desktop.store.secrets import Secrets

    engine = Engine(doc.registry, secrets=Secrets())
    store = None
    if not args.no_history:
        from flowforge_desktop.store.history import HistoryStore

        store = HistoryStore()
        store.attach(engine)
    out = sys.stdout
    timings: dict[str, tuple[str, str]] = {}

    def on_event(event: Event) -> None:
        _print_event(event, out)
        if isinstance(event, NodeFinished):
            timings[event.node_id] = (str(event.attempts), f"{event.duration * 1000:.1f} ms")

    engine.subscribe(on_event)
    debugger = Debugger(breakpoints=set(args.breakpoints)) if args.breakpoints else None
    print(f"running {doc.name or args.file} ({len(doc)} nodes)", file=out, flush=True)
    run = engine.start(
        doc.snapshot(),
        trigger="cli",
        payload=payload,
        trigger_node=args.trigger,
        debugger=debugger,
        source_path=args.file,
    )
    if debugger is not None:
        console = asyncio.create_task(_console(run, debugger, out))
    try:
        result = await run.wait()
    except asyncio.CancelledError:
        run.stop()
        result = await run.wait()
    if debugger is not None:
        console.cancel()
    _summary(run, timings, out)
    if args.output:
        print(json.dumps(result.output(), indent=2, default=str), file=out)
    await engine.aclose()
    if store is not None:
        store.close()
    return 0 if result.status is RunStatus.SUCCEEDED else 1


def _print_event(event: Event, out: TextIO) -> None:
    if isinstance(event, NodeFinished):
        extra = f"  ({event.attempts} attempts)" if event.attempts > 1 else ""
        error = f"  {event.error['message']}" if event.error else ""
        mark = _MARK.get(event.state, str(event.state))
        print(f"  {mark:<9} {event.node_id:<24} {event.duration * 1000:8.1f} ms{extra}{error}", file=out, flush=True)
    elif isinstance(event, NodeRetrying):
        print(
            f"  retry     {event.node_id:<24} attempt {event.attempt} failed: {event.error}; "
            f"next in {event.delay:.2f} s",
            file=out,
            flush=True,
        )
    elif isinstance(event, NodePaused):
        print(f"  paused    {event.node_id:<24} ({event.reason})", file=out, flush=True)
    elif isinstance(event, RunFinished):
        tail = f": {event.error}" if event.error else ""
        print(f"run {event.status} in {event.duration:.2f} s{tail}", file=out, flush=True)


async def _console(run: Run, debugger: Debugger, out: TextIO) -> None:
    """The terminal debugger: reads commands from stdin whenever a node is paused."""
    lines = _stdin_lines()
    print(DEBUG_HELP, file=out, flush=True)
    while not run.done:
        if debugger.paused is None:
            await asyncio.sleep(0.02)
            continue
        print(f"({debugger.paused.node_id}) > ", end="", file=out, flush=True)
        line = await lines.get()
        if not line:  # stdin closed: let the run finish
            debugger.breakpoints.clear()
            debugger.continue_()
            continue
        _command(line.strip(), run, debugger, out)


def _stdin_lines() -> asyncio.Queue[str]:
    """Lines of stdin from a daemon thread: a pending read must never hold up the exit."""
    import threading

    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[str] = asyncio.Queue()

    def reader() -> None:
        while True:
            line = sys.stdin.readline()
            loop.call_soon_threadsafe(queue.put_nowait, line)
            if not line:
                return

    threading.Thread(target=reader, name="flowforge-console", daemon=True).start()
    return queue


def _command(line: str, run: Run, debugger: Debugger, out: TextIO) -> None:
    word, _, rest = line.partition(" ")
    paused = debugger.paused
    if paused is None:
        return
    if word in ("s", "step"):
        debugger.step()
    elif word in ("c", "continue"):
        debugger.continue_()
    elif word in ("q", "quit", "stop"):
        debugger.stop()
    elif word in ("i", "input"):
        print(json.dumps(paused.input, indent=2, default=str), file=out)
    elif word in ("o", "output"):
        node = rest.strip()
        if node in run.outputs:
            print(json.dumps(run.outputs[node], indent=2, default=str), file=out)
        else:
            print(f"no output yet for '{node}'", file=out)
    elif word == "set":
        try:
            debugger.set_input(json.loads(rest))
            print("input replaced", file=out)
        except json.JSONDecodeError as exc:
            print(f"not valid JSON: {exc.msg} at column {exc.colno}; the input is unchanged", file=out)
    elif word in ("b", "break"):
        node = rest.strip()
        if node not in run.states:
            print(f"no node '{node}'", file=out)
        else:
            on = debugger.toggle_breakpoint(node)
            print(f"breakpoint {'set' if on else 'removed'} on '{node}'", file=out)
    else:
        print(DEBUG_HELP, file=out)


def _summary(run: Run, timings: dict[str, tuple[str, str]], out: TextIO) -> None:
    rows = [("node", "status", "attempts", "duration")]
    for node_id, state in run.states.items():
        attempts, duration = timings.get(node_id, ("", ""))
        rows.append((node_id, str(state), str(attempts), duration))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    print("", file=out)
    for row in rows:
        print("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip(), file=out)
