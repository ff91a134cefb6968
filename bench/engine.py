"""Per-node overhead of the engine beside dask and a plain loop, and the parallel I/O case.

For chain, wide and random-layered DAGs of no-op nodes: seconds per node of
  - FlowForge's engine with history off, and with history on (SQLite, flushed before the clock stops),
  - dask.threaded.get and dask.get (the synchronous scheduler) on the same DAG,
  - a plain loop over a topological order (the floor: calling a function per node).
Then the I/O case: 200 nodes that each sleep 10 ms, max_parallel_nodes 10 (ideal 0.2 s).

The GC thresholds are the app's own (flowforge_desktop.tuning, applied by cli.main).
Targets (issue 3): history off <= half of dask.threaded per node; history on <= dask.threaded;
the I/O case at >= 95 % of ideal.
Run: .venv/bin/python bench/engine.py [--sizes 1000 10000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

import networkx as nx

from flowforge_desktop.engine import Engine
from flowforge_desktop.model import WorkflowDocument
from flowforge_desktop.model.schema import NodeSpec, WorkflowSettings
from flowforge_desktop.nodes.base import NodeCategory, NodeConfig, NodeKind
from flowforge_desktop.nodes.builtin.triggers import ManualTrigger
from flowforge_desktop.nodes.registry import NodeRegistry
from flowforge_desktop.store.history import HistoryStore


class NoOp(NodeKind):
    kind = "noop"
    category: ClassVar[NodeCategory] = NodeCategory.OPERATION

    async def run(self, ctx: Any, inputs: dict[str, Any]) -> Any:
        return None


class SleepConfig(NodeConfig):
    seconds: float = 0.01


class Sleep(NodeKind):
    kind = "sleep"
    category: ClassVar[NodeCategory] = NodeCategory.OPERATION
    Config = SleepConfig

    async def run(self, ctx: Any, inputs: dict[str, Any]) -> Any:
        await asyncio.sleep(self.config.seconds)  # type: ignore[attr-defined]


REGISTRY = NodeRegistry([ManualTrigger, NoOp, Sleep])


def shape_edges(shape: str, n: int, seed: int = 3) -> list[tuple[int, int]]:
    """Edges between nodes 0..n-1 (node 0 is the trigger)."""
    if shape == "chain":
        return [(i, i + 1) for i in range(n - 1)]
    if shape == "wide":
        return [(0, i) for i in range(1, n)]
    rng = random.Random(seed)  # random layered: layers of ~20, each node fed by 1-3 nodes of earlier layers
    width = 20
    edges: set[tuple[int, int]] = set()
    for i in range(1, n):
        layer_start = (i - 1) // width * width + 1
        earlier = range(max(0, layer_start - 3 * width), max(1, layer_start))
        for src in rng.sample(earlier, min(len(earlier), rng.randint(1, 3))):
            edges.add((src, i))
    return sorted(edges)


def build_doc(n: int, edges: list[tuple[int, int]], kind: str = "noop", **settings: Any) -> WorkflowDocument:
    doc = WorkflowDocument("bench", settings=WorkflowSettings(**settings), registry=REGISTRY)
    doc.add_node(NodeSpec(id="n0", type="trigger", kind="manual"))
    for i in range(1, n):
        doc.add_node(NodeSpec(id=f"n{i}", type="operation", kind=kind))
    for a, b in edges:
        doc.connect(f"n{a}", f"n{b}")
    return doc


def best(repeat: int, fn: Callable[..., float], *args: Any) -> float:
    return min(fn(*args) for _ in range(repeat))


def time_engine(doc: WorkflowDocument, history: bool) -> float:
    snapshot = doc.snapshot()

    async def go() -> float:
        engine = Engine(REGISTRY)
        store = None
        tmp = None
        if history:
            tmp = tempfile.TemporaryDirectory()
            store = HistoryStore(Path(tmp.name) / "h.sqlite3")
            store.attach(engine)
        t0 = time.perf_counter()
        result = await engine.run(snapshot)
        if store is not None:
            store.flush(120)
        elapsed = time.perf_counter() - t0
        assert result.ok, result.error
        await engine.aclose()
        if store is not None:
            store.close()
        if tmp is not None:
            tmp.cleanup()
        return elapsed

    return asyncio.run(go())


def dask_graph(n: int, edges: list[tuple[int, int]]) -> dict[str, Any]:
    preds: dict[int, list[int]] = {i: [] for i in range(n)}
    for a, b in edges:
        preds[b].append(a)

    def noop(*args: Any) -> None:
        return None

    return {f"n{i}": (noop, *[f"n{p}" for p in preds[i]]) for i in range(n)}


def time_dask(n: int, edges: list[tuple[int, int]], scheduler: str) -> float:
    import dask
    import dask.threaded

    graph = dask_graph(n, edges)
    get = dask.threaded.get if scheduler == "threaded" else dask.get
    keys = [f"n{i}" for i in range(n)]
    t0 = time.perf_counter()
    get(graph, keys)
    return time.perf_counter() - t0


def time_plain(n: int, edges: list[tuple[int, int]]) -> float:
    g = nx.DiGraph()
    g.add_nodes_from(range(n))
    g.add_edges_from(edges)
    order = list(nx.topological_sort(g))
    preds = {i: list(g.predecessors(i)) for i in range(n)}

    def noop(*args: Any) -> None:
        return None

    t0 = time.perf_counter()
    results: dict[int, Any] = {}
    for node in order:
        results[node] = noop(*[results[p] for p in preds[node]])
    return time.perf_counter() - t0


def io_case(repeat: int) -> None:
    """The parallel I/O case, run first in a fresh heap (after the big DAGs the heap is larger and
    every figure is a little slower)."""

    async def floor_case() -> float:
        async def worker() -> None:
            for _ in range(20):
                await asyncio.sleep(0.010)

        t0 = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(10)))
        return time.perf_counter() - t0

    floor = statistics.median(asyncio.run(floor_case()) for _ in range(repeat))
    n_io = 201  # the trigger and 200 sleeping nodes
    io_doc = build_doc(n_io, shape_edges("wide", n_io), kind="sleep", max_parallel_nodes=10)
    runs = [time_engine(io_doc, False) for _ in range(repeat)]
    ideal = 200 * 0.010 / 10
    med = statistics.median(runs)
    print()
    print("I/O case: 200 nodes x 10 ms sleep, max_parallel_nodes 10")
    print(
        f"  ideal {ideal:.3f} s | measured median {med:.3f} s | best {min(runs):.3f} s | efficiency {ideal / med:.1%}"
    )
    print(
        f"  floor: 10 bare asyncio tasks x 20 sleeps take {floor:.3f} s ({ideal / floor:.1%} of ideal: epoll wakes"
        f" up to 1 ms late per sleep); the engine reaches {floor / med:.1%} of that floor"
    )


def main() -> None:
    from flowforge_desktop.tuning import tune_gc

    tune_gc()  # as every entry point of the app does (cli.main)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    try:
        import dask  # noqa: F401

        have_dask = True
    except ImportError:
        have_dask = False
        print("dask is not installed (pip install '.[bench]'): its columns are empty", file=sys.stderr)

    io_case(max(args.repeat, 5))
    print()
    print(f"per-node overhead in µs (best of {args.repeat}); lower is better")
    header = ["DAG", "nodes", "ff hist off", "ff hist on", "dask.threaded", "dask.get", "plain loop", "off/threaded"]
    print(" | ".join(f"{h:>13}" for h in header))
    print("-" * (16 * len(header)))
    for shape in ("chain", "wide", "layered"):
        for n in args.sizes:
            edges = shape_edges(shape, n)
            doc = build_doc(n, edges, max_parallel_nodes=8)
            nan = float("nan")
            off = best(args.repeat, time_engine, doc, False) / n * 1e6
            on = best(args.repeat, time_engine, doc, True) / n * 1e6
            thr = best(args.repeat, time_dask, n, edges, "threaded") / n * 1e6 if have_dask else nan
            syn = best(args.repeat, time_dask, n, edges, "sync") / n * 1e6 if have_dask else nan
            plain = best(args.repeat, time_plain, n, edges) / n * 1e6
            cells = [shape, str(n), f"{off:.1f}", f"{on:.1f}", f"{thr:.1f}", f"{syn:.1f}", f"{plain:.2f}"]
            cells.append(f"{off / thr:.2f}" if have_dask else "-")
            print(" | ".join(f"{c:>13}" for c in cells), flush=True)


if __name__ == "__main__":
    main()
