"""Event-loop lag of the designer while it runs a 10,000-node workflow (issue 6, point 8).

The designer window, the run/debug controller, the history store and the engine all share Qt's loop
(qasync), as in the app. A probe coroutine sleeps 5 ms over and over and records how late it wakes:
that lateness is what a click or a repaint would wait. Printed: p50 / p99 / max lag while the run
is going, the run's duration, and how many repaints (bridge flushes) served how many engine events.
Target: p99 <= 30 ms.

Run: QT_QPA_PLATFORM=offscreen .venv/bin/python bench/ui_responsiveness.py [--nodes 10000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent))

from engine import REGISTRY, build_doc, shape_edges


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=10_000)
    args = parser.parse_args()

    import qasync
    from PySide6.QtWidgets import QApplication

    from flowforge_desktop.tuning import tune_gc

    tune_gc()  # as the app does at start
    from flowforge_desktop.engine import Engine
    from flowforge_desktop.store.history import HistoryStore
    from flowforge_desktop.ui.main_window import MainWindow
    from flowforge_desktop.ui.rundebug.controller import RunDebug

    app = QApplication.instance() or QApplication([])
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    tmp = tempfile.TemporaryDirectory()
    os.environ["FLOWFORGE_DATA_DIR"] = tmp.name
    doc = build_doc(args.nodes, shape_edges("layered", args.nodes), max_parallel_nodes=8)
    for i, node in enumerate(doc.nodes()):  # lay the nodes out in a grid so the canvas has work to do
        doc.move_node(node.id, (i % 100 * 220.0, i // 100 * 120.0))
    window = MainWindow(registry=REGISTRY, autosave_directory=Path(tmp.name) / "autosave")
    t0 = time.perf_counter()
    window.doc.replace_with(doc)
    opened = time.perf_counter() - t0
    window.show()
    app.processEvents()
    engine = Engine(REGISTRY)
    store = HistoryStore(Path(tmp.name) / "h.sqlite3")
    store.attach(engine)
    rundebug = RunDebug(window, engine, store)

    async def scenario() -> tuple[list[float], float]:
        lags: list[float] = []
        done = asyncio.Event()
        await asyncio.sleep(1.5)  # let the first paint and the designer's idle-time work finish

        async def probe() -> None:
            while not done.is_set():
                before = loop.time()
                await asyncio.sleep(0.005)
                lags.append(max(0.0, loop.time() - before - 0.005))

        probe_task = asyncio.ensure_future(probe())
        await asyncio.sleep(0.2)
        start = time.perf_counter()
        run = rundebug.run_workflow()
        assert run is not None
        await run.wait()
        duration = time.perf_counter() - start
        await asyncio.sleep(0.2)  # the last flush and repaint
        done.set()
        await probe_task
        return lags, duration

    with loop:
        lags, duration = loop.run_until_complete(scenario())
    store.close()
    ms = [lag * 1000 for lag in lags]
    print(f"designer running a {args.nodes:,}-node workflow (layered DAG, max_parallel_nodes 8, history on)")
    print(f"{'figure':<34} {'value':>12}")
    print(f"{'open into the canvas':<34} {opened:>10.2f} s")
    print(f"{'run duration':<34} {duration:>10.2f} s")
    print(f"{'loop lag samples':<34} {len(ms):>12,}")
    print(f"{'loop lag p50':<34} {statistics.median(ms):>9.2f} ms")
    print(f"{'loop lag p99':<34} {percentile(ms, 99):>9.2f} ms   (target <= 30 ms)")
    print(f"{'loop lag max':<34} {max(ms):>9.2f} ms")
    print(f"{'repaints (bridge flushes)':<34} {rundebug.bridge.flushes:>12,}")


if __name__ == "__main__":
    main()
