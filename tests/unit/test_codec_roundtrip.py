"""dump(load(dump(doc))) == dump(doc) for any valid document, and files are written atomically."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flowforge_desktop.model import WorkflowDocument, dumps, load_path, loads, save_path
from flowforge_desktop.model.schema import Group, RetryPolicy, StickyNote
from flowforge_desktop.nodes.registry import default_registry

REGISTRY = default_registry()

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**40), 2**40)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=10,
)
coords = st.floats(-1e5, 1e5, allow_nan=False)
names = st.text(max_size=20)

KIND_CONFIGS = {
    "http": st.builds(
        lambda u, m: {"url": f"https://{u}.example/x", "method": m},
        st.from_regex(r"[a-z]{1,8}", fullmatch=True),
        st.sampled_from(["GET", "POST", "DELETE"]),
    ),
    "transform": st.just({"steps": [{"op": "limit", "count": 3}]}),
    "branch": st.just({"condition": "a == `1`"}),
    "set_unknown": st.dictionaries(st.text(max_size=5), json_values, max_size=3),
}


@st.composite
def documents(draw: st.DrawFn) -> WorkflowDocument:
    doc = WorkflowDocument(draw(names), registry=REGISTRY)
    doc.add_node(
        doc.new_node("manual", (draw(coords), draw(coords)), node_id="start", config={"input": draw(json_values)})
    )
    ids = ["start"]
    for i in range(draw(st.integers(0, 12))):
        kind = draw(st.sampled_from(sorted(KIND_CONFIGS)))
        config = draw(KIND_CONFIGS[kind])
        node_id = f"n{i}"
        if kind == "set_unknown":  # a plugin that is not installed: kept untouched
            from flowforge_desktop.model.schema import NodeSpec

            doc.add_node(
                NodeSpec(
                    id=node_id,
                    type="operation",
                    kind="acme_thing",
                    config=config,
                    position=(draw(coords), draw(coords)),
                )
            )
        else:
            node = doc.new_node(kind, (draw(coords), draw(coords)), node_id=node_id, config=config, name=draw(names))
            doc.add_node(node)
            if draw(st.booleans()):
                doc.update_node(
                    node_id,
                    disabled=True,
                    notes=draw(names),
                    timeout=draw(st.floats(0.5, 100)),
                    retry=RetryPolicy(retry_count=draw(st.integers(0, 5))),
                )
        ids.append(node_id)
        for source in draw(st.lists(st.sampled_from(ids[:-1]), max_size=2, unique=True)):
            ports = [p.name for p in doc.output_ports(source)] or ["out"]
            doc.connect(source, node_id, draw(st.sampled_from(ports)), "in")
        if draw(st.integers(0, 4)) == 0:
            doc.pin(node_id, draw(json_values))
    if draw(st.booleans()):
        doc.add_group(Group(id="g", title=draw(names), nodes=tuple(draw(st.lists(st.sampled_from(ids), unique=True)))))
    if draw(st.booleans()):
        doc.add_note(StickyNote(id="note", text=draw(names), position=(draw(coords), draw(coords))))
    return doc


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents())
def test_dump_load_dump_is_a_fixed_point(doc: WorkflowDocument) -> None:
    once = dumps(doc)
    again = dumps(loads(once, REGISTRY).document)
    assert again == once
    assert json.loads(once)["format"] == "flowforge.workflow"


def test_save_is_atomic_and_leaves_no_temp_files(tmp_path: Path) -> None:
    doc = WorkflowDocument("atomic")
    doc.add_node(doc.new_node("manual", node_id="start"))
    target = tmp_path / "wf.json"
    target.write_text("old content")
    save_path(doc, target)
    assert load_path(target).document.name == "atomic"
    assert os.listdir(tmp_path) == ["wf.json"]


def test_a_failed_save_keeps_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "wf.json"
    target.write_text("old content")
    doc = WorkflowDocument("new")

    def crash(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError):
        save_path(doc, target)
    assert target.read_text() == "old content" and os.listdir(tmp_path) == ["wf.json"]
