"""docs/nodes.md is current; every built-in kind has an icon, described fields and a valid example."""

from __future__ import annotations

import importlib.util
import json
import typing
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from flowforge_desktop.model.validation import validate_data
from flowforge_desktop.nodes.builtin import KINDS
from flowforge_desktop.nodes.registry import NodeRegistry

ROOT = Path(__file__).resolve().parents[2]
ICONS = ROOT / "flowforge_desktop" / "resources" / "icons"


def load_generator() -> Any:
    spec = importlib.util.spec_from_file_location("gen_node_docs", ROOT / "scripts" / "gen_node_docs.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_docs_nodes_md_is_current() -> None:
    generator = load_generator()
    current = (ROOT / "docs" / "nodes.md").read_text(encoding="utf-8")
    assert current == generator.render(), "docs/nodes.md is stale: run `python scripts/gen_node_docs.py`"
    assert generator.main(["--check"]) == 0
    for kind in KINDS:
        assert f"— `{kind.kind}`" in current


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.kind)
def test_kind_has_a_24px_single_colour_icon(kind: Any) -> None:
    path = ICONS / kind.icon
    assert path.is_file(), f"{kind.kind}: icon {kind.icon} is missing"
    root = ET.parse(path).getroot()
    assert root.get("viewBox") == "0 0 24 24"
    colours = {el.get("stroke") for el in root.iter() if el.get("stroke")} | {
        el.get("fill") for el in root.iter() if el.get("fill") not in (None, "none")
    }
    assert len(colours) == 1


def _models(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in typing.get_args(annotation) for m in _models(arg)]


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.kind)
def test_every_config_field_is_described(kind: Any) -> None:
    todo, seen = [kind.Config], set()
    while todo:
        model = todo.pop()
        if model in seen:
            continue
        seen.add(model)
        for name, info in model.model_fields.items():
            assert info.description, f"{kind.kind}: {model.__name__}.{name} has no description"
            todo.extend(_models(info.annotation))


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.kind)
def test_example_is_a_valid_node_in_a_workflow(kind: Any) -> None:
    kind.Config.model_validate(kind.example)
    workflow = {
        "format": "flowforge.workflow",
        "version": 1,
        "id": "w",
        "name": "doc example",
        "nodes": [{"id": "n", "type": kind.category.value, "kind": kind.kind, "config": kind.example}],
        "connections": [],
    }
    result = validate_data(json.loads(json.dumps(workflow)), NodeRegistry(KINDS))
    assert [p.message for p in result.problems if p.node_id == "n"] == []
