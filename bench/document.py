"""Build a 5,000-node / 6,000-edge workflow through the document API, dump it and load it back.

Prints one table. Target on the 2-core reference machine: each step under 1 s.
Run: .venv/bin/python bench/document.py [--nodes 5000 --edges 6000]
"""

from __future__ import annotations

import argparse
import random
import time

from flowforge_desktop.model import WorkflowDocument, dumps, loads
from flowforge_desktop.model.validation import validate_text
from flowforge_desktop.nodes.registry import default_registry


def build(nodes: int, edges: int, seed: int = 7) -> WorkflowDocument:
    """A layered DAG: each node gets one edge from an earlier node, extra edges go forward at random."""
    rng = random.Random(seed)
    doc = WorkflowDocument("bench")
    doc.add_node(doc.new_node("manual", (0, 0), node_id="n0"))
    for i in range(1, nodes):
        kind = ("http", "transform", "branch")[i % 3]
        config = {
            "http": {"url": f"https://api.example.com/items/{i}"},
            "transform": {"steps": [{"op": "limit", "count": 10}]},
            "branch": {"condition": "ok == `true`"},
        }[kind]
        doc.add_node(doc.new_node(kind, (i % 100 * 220.0, i // 100 * 120.0), node_id=f"n{i}", config=config))
    made = 0
    for i in range(1, nodes):
        src = f"n{rng.randrange(max(0, i - 50), i)}"
        doc.connect(src, f"n{i}", doc.output_ports(src)[0].name)
        made += 1
    while made < edges:
        a, b = sorted(rng.sample(range(nodes), 2))
        try:
            doc.connect(f"n{a}", f"n{b}", doc.output_ports(f"n{a}")[0].name)
            made += 1
        except Exception:
            continue
    return doc


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--nodes", type=int, default=5000)
    parser.add_argument("--edges", type=int, default=6000)
    args = parser.parse_args()
    registry = default_registry()
    rows: list[tuple[str, float]] = []

    t = time.perf_counter()
    doc = build(args.nodes, args.edges)
    rows.append(("build through document API", time.perf_counter() - t))
    t = time.perf_counter()
    text = dumps(doc)
    rows.append(("dump to JSON", time.perf_counter() - t))
    t = time.perf_counter()
    result = validate_text(text, registry)
    rows.append(("validate (all checks)", time.perf_counter() - t))
    t = time.perf_counter()
    loaded = loads(text, registry).document
    rows.append(("load (parse + validate + build)", time.perf_counter() - t))
    t = time.perf_counter()
    loaded.snapshot()
    rows.append(("snapshot for a run", time.perf_counter() - t))
    assert result.ok and len(loaded) == args.nodes and len(loaded.connections()) == args.edges

    print(f"document bench: {args.nodes} nodes, {args.edges} edges, {len(text) / 1e6:.1f} MB JSON")
    print(f"{'step':<34}{'seconds':>10}{'target':>10}")
    for name, seconds in rows:
        print(f"{name:<34}{seconds:>10.3f}{'< 1.000':>10}")


if __name__ == "__main__":
    main()
