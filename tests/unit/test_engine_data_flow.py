"""Templates over the run's data, branching with skip propagation, merges, pins and disabled nodes."""

from __future__ import annotations

import asyncio
from datetime import datetime

import pytest
from ff_testkinds import build, registry, run_sync

from flowforge_desktop.engine import Engine, NodeState, RunStatus
from flowforge_desktop.engine.templates import template_path


def _text_result(template: str, **options: object) -> tuple[RunStatus, object, str | None]:
    doc = build(
        [
            ("start", "manual"),
            ("fetch", "t_const", {"value": {"body": {"items": [{"sku": "A1"}, {"sku": "B2"}]}}}),
            ("out", "t_text", {"text": template}),
        ],
        [("start", "fetch"), ("fetch", "out")],
    )
    engine = Engine(registry(), secrets={"SMTP_PASSWORD": "hunter2"})
    result = run_sync(doc, engine, payload={"order": 42}, **options)
    err = result.errors.get("out", {}).get("message")
    return result.status, result.outputs.get("out"), err


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("{{ input.body.items[1].sku }}", "B2"),
        ("{{ nodes.fetch.output.body.items[0] }}", {"sku": "A1"}),
        ("order {{ trigger.payload.order }}", "order 42"),
        ("{{ trigger.payload }}", {"order": 42}),
        ("{{ secrets.SMTP_PASSWORD }}", "hunter2"),
        ("{{ input.body.items | length }}", 2),
        ("{{ input.body.items | map(attribute='sku') | join(',') }}", "A1,B2"),
    ],
)
def test_templates_read_the_runs_data(template: str, expected: object) -> None:
    status, output, err = _text_result(template)
    assert err is None
    assert status is RunStatus.SUCCEEDED
    assert output == expected


def test_now_is_a_timezone_aware_datetime_and_alone_renders_as_iso_text() -> None:
    status, output, _ = _text_result("{{ now.isoformat() }}")
    assert status is RunStatus.SUCCEEDED
    assert datetime.fromisoformat(str(output)).tzinfo is not None
    status, output, _ = _text_result("{{ now }}")
    assert isinstance(output, str) and datetime.fromisoformat(output).tzinfo is not None


def test_a_missing_secret_says_where_to_set_it() -> None:
    for template in ("{{ secrets.API_TOKEN }}", "Bearer {{ secrets['API_TOKEN'] }}"):
        status, _, err = _text_result(template)
        assert status is RunStatus.FAILED
        assert err == (
            "node 'out', config field 'text': secret 'API_TOKEN' is not set: add it in Settings "
            "(stored in the OS keyring) or set the environment variable FLOWFORGE_SECRET_API_TOKEN"
        )


@pytest.mark.parametrize(
    ("template", "message"),
    [
        (
            "{{ nodes.fech.output }}",
            "node 'out', config field 'text': 'dict object' has no attribute 'fech'",
        ),
        ("Hello {{ customer }}", "node 'out', config field 'text': 'customer' is undefined"),
        ("{{ input.body.nope }}", "node 'out', config field 'text': 'dict object' has no attribute 'nope'"),
        ("{{ input.id + }}", "node 'out', config field 'text': template syntax error: unexpected 'end of template'"),
    ],
)
def test_a_template_error_names_the_node_the_field_and_the_missing_name(template: str, message: str) -> None:
    status, _, err = _text_result(template)
    assert status is RunStatus.FAILED
    assert err is not None and err.startswith(message)


@pytest.mark.parametrize(
    "template",
    [
        "{{ ''.__class__.__mro__ }}",
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ input.__class__ }}",
        "{{ (1).__class__.__base__ }}",
        "{{ input.body['items'].append(1) }}",
        "{{ cycler.__init__.__globals__ }}",
    ],
)
def test_sandbox_escapes_are_refused(template: str) -> None:
    status, output, err = _text_result(template)
    assert status is RunStatus.FAILED
    assert output is None
    assert err is not None and ("refused for safety" in err or "is undefined" in err)


def test_template_path_builds_copyable_expressions() -> None:
    assert template_path("fetch", ["body", "id"]) == "{{ nodes.fetch.output.body.id }}"
    assert template_path("fetch", ["body", "items", 0, "first name"]) == (
        "{{ nodes.fetch.output.body.items[0]['first name'] }}"
    )


def test_untaken_branch_is_skipped_and_skip_propagates() -> None:
    doc = build(
        [
            ("start", "manual"),
            ("choose", "t_choose", {"port": "a"}),
            ("on_a", "t_echo"),
            ("on_b", "t_echo"),
            ("after_b", "t_echo"),
        ],
        [("start", "choose"), ("choose", "on_a", "a"), ("choose", "on_b", "b"), ("on_b", "after_b")],
    )
    result = run_sync(doc, payload=1)
    assert result.status is RunStatus.SUCCEEDED
    assert result.states["on_a"] is NodeState.SUCCEEDED
    assert result.states["on_b"] is NodeState.SKIPPED
    assert result.states["after_b"] is NodeState.SKIPPED
    assert result.outputs["on_a"] == 1


def test_merge_waits_for_every_upstream_that_was_not_skipped() -> None:
    doc = build(
        [
            ("start", "manual"),
            ("choose", "t_choose", {"port": "a"}),
            ("slow_a", "t_sleep", {"seconds": 0.05}),
            ("on_b", "t_echo"),
            ("fast", "t_const", {"value": "fast"}),
            ("merge", "t_echo"),
        ],
        [
            ("start", "choose"),
            ("choose", "slow_a", "a"),
            ("choose", "on_b", "b"),
            ("start", "fast"),
            ("slow_a", "merge"),
            ("on_b", "merge"),
            ("fast", "merge"),
        ],
    )
    result = run_sync(doc, payload="x")
    assert result.states["on_b"] is NodeState.SKIPPED
    assert result.states["merge"] is NodeState.SUCCEEDED
    # both non-skipped inputs arrived on port "in", in file order of their connections
    assert sorted(result.outputs["merge"]) == ["fast", "x"]


def test_pinned_output_replaces_the_nodes_run() -> None:
    doc = build(
        [("start", "manual"), ("flaky", "t_fail"), ("after", "t_echo")],
        [("start", "flaky"), ("flaky", "after")],
    )
    doc.pin("flaky", {"pinned": True})
    result = run_sync(doc)
    assert result.states["flaky"] is NodeState.PINNED
    assert result.outputs["after"] == {"pinned": True}


def test_disabled_node_passes_its_input_through() -> None:
    doc = build(
        [("start", "manual"), ("off", "t_const", {"value": "replaced"}), ("after", "t_echo")],
        [("start", "off"), ("off", "after")],
    )
    doc.set_disabled("off", True)
    result = run_sync(doc, payload="original")
    assert result.states["off"] is NodeState.SKIPPED
    assert result.outputs["after"] == "original"


def test_only_the_firing_trigger_starts_the_run() -> None:
    doc = build(
        [("manual_a", "manual"), ("manual_b", "manual"), ("from_a", "t_echo"), ("from_b", "t_echo")],
        [("manual_a", "from_a"), ("manual_b", "from_b")],
    )
    result = run_sync(doc, trigger_node="manual_b", payload="b!")
    assert result.states["manual_a"] is NodeState.SKIPPED
    assert result.states["from_a"] is NodeState.SKIPPED
    assert result.outputs["from_b"] == "b!"


def test_merge_first_to_arrive_runs_once_with_the_first_input() -> None:
    from flowforge_desktop.model.document import WorkflowDocument

    doc = WorkflowDocument("race")
    doc.add_node(doc.new_node("manual", node_id="start"))
    doc.add_node(doc.new_node("delay", node_id="slow", config={"seconds": 0.3}))
    doc.add_node(doc.new_node("set", node_id="fast", config={"value": "fast wins"}))
    doc.add_node(doc.new_node("merge", node_id="race", config={"wait": "first", "mode": "list"}))
    doc.add_node(doc.new_node("log", node_id="after", config={"message": "{{ input }}"}))
    doc.connect("start", "slow")
    doc.connect("start", "fast")
    doc.connect("slow", "race", "out", "in1")
    doc.connect("fast", "race", "out", "in2")
    doc.connect("race", "after")

    async def go() -> tuple[object, list[str]]:
        engine = Engine(doc.registry)
        order: list[str] = []
        engine.subscribe(lambda e: type(e).__name__ == "NodeFinished" and order.append(e.node_id))  # type: ignore[attr-defined,func-returns-value]
        result = await engine.run(doc.snapshot(), payload="go")
        await engine.aclose()
        return result, order

    result, order = asyncio.run(go())
    assert result.outputs["race"] == ["fast wins"]
    assert order.index("race") < order.index("slow")  # it did not wait for the slow input
    assert order.count("race") == 1 and order.count("after") == 1
    assert result.status is RunStatus.SUCCEEDED
