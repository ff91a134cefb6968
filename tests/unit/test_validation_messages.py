"""Every problem a user can make in a file is reported, all at once, in words they can act on."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from flowforge_desktop.model import WorkflowDocument, WorkflowLoadError, dumps, loads
from flowforge_desktop.model.validation import validate_data, validate_text
from flowforge_desktop.nodes.registry import default_registry

REGISTRY = default_registry()

GOOD: dict[str, Any] = {
    "format": "flowforge.workflow",
    "version": 1,
    "id": "wf1",
    "name": "Sync orders",
    "settings": {"max_parallel_nodes": 4, "timezone": "UTC"},
    "nodes": [
        {"id": "start", "type": "trigger", "kind": "manual", "name": "Start", "config": {}, "position": [0, 0]},
        {
            "id": "fetch",
            "type": "action",
            "kind": "http",
            "name": "Fetch",
            "config": {"url": "https://api.example.com/orders"},
            "position": [200, 0],
        },
    ],
    "connections": [{"from": "start", "to": "fetch", "from_port": "out", "to_port": "in"}],
}


def messages(data: Any) -> list[str]:
    return [p.message for p in validate_data(data, REGISTRY).problems]


def variant(**changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(GOOD)
    data.update(changes)
    return data


def test_good_file_has_no_problems() -> None:
    assert messages(GOOD) == []


def test_invalid_json_gives_line_and_column() -> None:
    result = validate_text('{\n  "nodes": [\n    {"id": "a",}\n  ]\n}', REGISTRY)
    assert [p.message for p in result.problems] == [
        "invalid JSON at line 3, column 16: Expecting property name enclosed in double quotes"
    ]


def test_missing_top_level_fields_use_the_seeds_words() -> None:
    data = variant()
    del data["nodes"], data["connections"]
    assert messages(data) == ["Missing required field: nodes", "Missing required field: connections"]


def test_node_problems_use_the_seeds_words() -> None:
    data = variant(
        nodes=[{"type": "action", "kind": "http"}, {"id": "x", "type": "thing", "kind": "http"}], connections=[]
    )
    assert messages(data) == [
        "Node 0: Missing required field: id",
        "Node 1: Invalid type: thing (expected trigger, action or operation)",
    ]


def test_unknown_kind_suggests_the_closest() -> None:
    data = variant()
    data["nodes"][1]["kind"] = "htp"
    assert messages(data) == ["nodes[1].kind: unknown node kind 'htp' — did you mean 'http'?"]


def test_config_that_fails_the_kinds_model_names_the_field() -> None:
    data = variant()
    data["nodes"][1]["config"]["url"] = "htp:/x"
    assert messages(data) == ["nodes[1].config.url: invalid URL 'htp:/x'"]


def test_bad_cron_and_missing_watch_path_name_node_and_field() -> None:
    data = variant(
        nodes=[
            {"id": "tick", "type": "trigger", "kind": "schedule", "config": {"cron_expression": "61 * * * *"}},
            {"id": "watch", "type": "trigger", "kind": "file_watch", "config": {}},
        ],
        connections=[],
    )
    assert messages(data) == [
        "nodes[0].config: invalid cron expression '61 * * * *'",
        "nodes[1].config.watch_path: missing required field",
    ]


def test_connections_to_missing_nodes_use_the_seeds_words() -> None:
    data = variant(
        connections=[
            {"from": "start", "to": "fetch"},
            {"from": "start", "to": "fetch", "from_port": "out", "to_port": "in"},
            {"from": "x", "to": "fetch"},
            {"from": "fetch", "to": "fetchh"},
        ]
    )
    assert messages(data) == [
        "connections[1]: repeats connections[0] (start.out -> fetch.in)",
        "Connection 2: Source node not found: x",
        "Connection 3: Target node not found: fetchh",
    ]


def test_connection_ends_that_are_not_ids_are_said_not_crashed_on() -> None:
    data = variant(connections=[{"from": ["start"], "to": "fetch"}, {"from": "start", "to": {"id": "fetch"}}])
    assert messages(data) == [
        "Connection 0: Source must be a node id, not a list",
        "Connection 1: Target must be a node id, not an object",
    ]


def test_cycle_names_the_nodes_on_it() -> None:
    data = variant(
        nodes=[
            *GOOD["nodes"],
            {"id": "post", "type": "action", "kind": "http", "config": {"url": "https://x.example"}},
        ],
        connections=[
            {"from": "start", "to": "fetch"},
            {"from": "fetch", "to": "post"},
            {"from": "post", "to": "fetch"},
        ],
    )
    assert messages(data) == ["connections[2]: connection post -> fetch would create a cycle: fetch -> post -> fetch"]


def test_port_that_does_not_exist() -> None:
    data = variant(connections=[{"from": "start", "to": "fetch", "from_port": "true"}])
    assert messages(data) == ["connections[0]: node 'start' has no output port 'true'"]


def test_duplicate_ids_and_bad_ids() -> None:
    data = variant(
        nodes=[
            *GOOD["nodes"],
            dict(GOOD["nodes"][1]),
            {"id": "9 lives", "type": "action", "kind": "http", "config": {"url": "https://x.example"}},
        ]
    )
    assert messages(data) == [
        "nodes[2].id: duplicate node id 'fetch' (already used by nodes[1])",
        "nodes[3].id: invalid node id '9 lives' (use letters, digits, '_' and '-', starting with a letter or '_', "
        "at most 64 characters)",
    ]


def test_all_problems_are_reported_at_once() -> None:
    data = variant(settings={"max_parallel_nodes": 0, "timezone": "Mars/Olympus"})
    data["nodes"][1]["config"]["url"] = "htp:/x"
    data["connections"].append({"from": "ghost", "to": "fetch"})
    assert messages(data) == [
        "settings.max_parallel_nodes: Input should be greater than or equal to 1",
        "settings.timezone: unknown time zone 'Mars/Olympus' (use an IANA name such as 'Europe/Berlin')",
        "nodes[1].config.url: invalid URL 'htp:/x'",
        "Connection 1: Source node not found: ghost",
    ]


def test_no_trigger_is_a_warning_not_an_error() -> None:
    data = variant(nodes=[GOOD["nodes"][1]], connections=[])
    result = validate_data(data, REGISTRY)
    assert result.ok
    assert [(p.severity, p.message) for p in result.problems] == [
        ("warning", "the workflow has no trigger node: it can only be started by hand")
    ]


def test_newer_version_is_refused_naming_both_versions() -> None:
    assert messages(variant(version=3)) == [
        "this file uses workflow format version 3, but this FlowForge Desktop reads versions up to 1; "
        "update FlowForge Desktop to open it"
    ]


def test_seed_format_without_version_migrates() -> None:
    seed = {
        "name": "legacy",
        "nodes": [
            {"id": "hook", "type": "trigger", "trigger_type": "webhook", "config": {"webhook_id": "test-webhook"}},
            {
                "id": "call",
                "type": "action",
                "action_type": "http",
                "config": {"method": "GET", "url": "https://x.example"},
            },
        ],
        "connections": [{"from": "hook", "to": "call"}],
    }
    result = loads(json.dumps(seed), REGISTRY)
    assert [n.kind for n in result.document.nodes()] == ["webhook", "http"]
    assert json.loads(dumps(result.document))["version"] == 1


def test_a_file_with_errors_leaves_the_open_document_unchanged() -> None:
    open_doc = loads(json.dumps(GOOD), REGISTRY).document
    before = dumps(open_doc)
    bad = variant(connections=[{"from": "fetch", "to": "nowhere"}])
    with pytest.raises(WorkflowLoadError) as err:
        open_doc.replace_with(loads(json.dumps(bad), REGISTRY).document)
    assert "Connection 0: Target node not found: nowhere" in str(err.value)
    assert dumps(open_doc) == before


def test_config_problems_and_unknown_kinds_load_and_are_kept_untouched() -> None:
    data = variant()
    data["nodes"][1]["config"]["url"] = "htp:/x"
    data["nodes"].append(
        {
            "id": "custom",
            "type": "action",
            "kind": "acme_crm",
            "name": "CRM",
            "config": {"deep": {"keep": [1, 2, {"me": True}]}},
            "position": [1, 2],
        }
    )
    result = loads(json.dumps(data), REGISTRY)
    assert sorted(p.node_id for p in result.problems) == ["custom", "fetch"]
    out = json.loads(dumps(result.document))
    assert out["nodes"][2] == data["nodes"][2]
    assert isinstance(result.document, WorkflowDocument)
