"""Transform steps, branch, switch, merge, set: the JMESPath operations, run as nodes."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from flowforge_desktop.nodes.base import Emit, NodeError, Port
from flowforge_desktop.nodes.builtin.operations import (
    BranchOperation,
    LogOperation,
    MergeOperation,
    SetOperation,
    StopErrorOperation,
    SwitchOperation,
    TransformOperation,
)
from flowforge_desktop.nodes.builtin.testing import SimpleNodeContext, make, run_node

ORDERS = [
    {"id": 1, "customer": "ada", "status": "paid", "amount": 30, "tags": ["a"]},
    {"id": 2, "customer": "bob", "status": "open", "amount": 5, "tags": []},
    {"id": 3, "customer": "ada", "status": "paid", "amount": "12.5", "tags": ["b"]},
    {"id": 4, "customer": "cy", "status": "paid", "amount": None, "tags": ["a"]},
    {"id": 5, "customer": "bob", "status": "paid", "amount": 7, "tags": []},
]


def transform(data: Any, steps: list[dict[str, Any]], source: str = "@") -> Any:
    return asyncio.run(run_node(TransformOperation, {"source": source, "steps": steps}, data))


def test_the_csv_watcher_pipeline_filters_aggregates_and_sorts() -> None:
    result = transform(
        {"content": ORDERS},
        [
            {"op": "filter", "condition": "status == 'paid'"},
            {
                "op": "aggregate",
                "group_by": "customer",
                "aggregations": {
                    "orders": {"fn": "count"},
                    "total": {"fn": "sum", "field": "amount"},
                    "avg": {"fn": "avg", "field": "amount"},
                    "priced": {"fn": "count", "field": "amount"},
                },
            },
            {"op": "sort", "by": "total", "descending": True},
        ],
        source="content",
    )
    assert result == [
        {"customer": "ada", "orders": 2, "total": 42.5, "avg": 21.25, "priced": 2},
        {"customer": "bob", "orders": 1, "total": 7, "avg": 7.0, "priced": 1},
        {"customer": "cy", "orders": 1, "total": 0, "avg": None, "priced": 0},
    ]


def test_set_pick_dedupe_limit_group_by_min_max() -> None:
    assert transform(
        ORDERS,
        [
            {"op": "set", "fields": {"n_tags": "length(tags)"}},
            {"op": "pick", "fields": ["id", "n_tags"]},
            {"op": "limit", "count": 2, "offset": 1},
        ],
    ) == [
        {"id": 2, "n_tags": 0},
        {"id": 3, "n_tags": 1},
    ]
    assert [r["id"] for r in transform(ORDERS, [{"op": "dedupe", "by": "customer"}])] == [1, 2, 4]
    assert len(transform(ORDERS + ORDERS[:2], [{"op": "dedupe"}])) == 5
    groups = transform(ORDERS, [{"op": "group_by", "by": "tags[0]"}])
    assert [(g["key"], [r["id"] for r in g["items"]]) for g in groups] == [("a", [1, 4]), (None, [2, 5]), ("b", [3])]
    assert transform(
        ORDERS,
        [
            {
                "op": "aggregate",
                "aggregations": {"lo": {"fn": "min", "field": "id"}, "hi": {"fn": "max", "field": "customer"}},
            }
        ],
    ) == [{"lo": 1, "hi": "cy"}]


def test_sort_puts_nulls_last_in_both_directions_and_zero_is_truthy_in_filters() -> None:
    asc = transform(ORDERS, [{"op": "sort", "by": "amount"}])
    desc = transform(ORDERS, [{"op": "sort", "by": "amount", "descending": True}])
    assert [r["id"] for r in asc] == [2, 5, 1, 3, 4]
    assert [r["id"] for r in desc] == [3, 1, 5, 2, 4]  # strings after numbers, reversed; nulls stay last
    assert len(transform([{"v": 0}, {"v": None}, {"v": ""}, {"v": []}], [{"op": "filter", "condition": "v"}])) == 1


def test_transform_errors_name_the_field_and_say_what_to_do() -> None:
    with pytest.raises(NodeError) as err:
        transform({"items": {"a": 1}}, [], source="items")
    assert err.value.message == (
        "source: 'items' selected an object, not a list of records; "
        "point source at the list, e.g. 'items' or 'body.data'"
    )
    with pytest.raises(NodeError) as err:
        transform([{"a": "x"}], [{"op": "aggregate", "aggregations": {"s": {"fn": "sum", "field": "a"}}}])
    assert err.value.message == "steps[0].aggregations.s: 'x' is not a number"
    with pytest.raises(NodeError) as err:
        transform([1, 2], [{"op": "pick", "fields": ["a"]}])
    assert err.value.message == "steps[0]: records must be objects, got a number"
    with pytest.raises(NodeError) as err:
        transform([{"a": "x"}], [{"op": "set", "fields": {"b": "abs(a)"}}])
    assert err.value.message.startswith("steps[0].fields.b: expression 'abs(a)' failed: ")
    assert transform(None, []) == []


def test_bad_expression_is_refused_by_the_config_with_its_reason() -> None:
    with pytest.raises(ValueError, match=r"invalid expression 'status =='"):
        make(TransformOperation, steps=[{"op": "filter", "condition": "status =="}])


def test_branch_emits_on_true_or_false_with_its_input() -> None:
    order = {"body": {"event": "order.created"}}
    out = asyncio.run(run_node(BranchOperation, {"condition": "body.event == 'order.created'"}, order))
    assert out == Emit(order, ("true",))
    out = asyncio.run(run_node(BranchOperation, {"condition": "body.missing"}, order))
    assert out == Emit(order, ("false",))


def test_switch_ports_come_from_its_cases_and_unmatched_goes_to_default() -> None:
    config = {"value": "kind", "cases": [{"port": "paid", "equals": "paid"}, {"port": "big", "equals": 10}]}
    assert SwitchOperation.output_ports(config) == (Port("paid"), Port("big"), Port("default"))
    assert SwitchOperation.output_ports({"cases": "garbage"}) == (Port("default"),)
    assert asyncio.run(run_node(SwitchOperation, config, {"kind": "paid"})).ports == ("paid",)
    assert asyncio.run(run_node(SwitchOperation, config, {"kind": 10.0})).ports == ("big",)
    assert asyncio.run(run_node(SwitchOperation, config, {"kind": True})).ports == ("default",)
    with pytest.raises(ValueError, match="case port 'default' is reserved; choose another name"):
        make(SwitchOperation, value="a", cases=[{"port": "default", "equals": 1}])
    with pytest.raises(ValueError, match="case port 'x' is used twice"):
        make(SwitchOperation, value="a", cases=[{"port": "x"}, {"port": "x"}])


def test_merge_combines_the_inputs_that_arrived() -> None:
    async def merge(mode: str, inputs: dict[str, Any], count: int = 3) -> Any:
        async with SimpleNodeContext() as ctx:
            return await make(MergeOperation, mode=mode, input_count=count).run(ctx, inputs)

    assert MergeOperation.input_ports({"input_count": 3}) == (Port("in1"), Port("in2"), Port("in3"))
    assert MergeOperation.input_ports({"input_count": "x"}) == (Port("in1"), Port("in2"))
    both = {"in1": [1, 2], "in3": {"a": 1}}  # in2 was skipped
    assert asyncio.run(merge("list", both)) == [[1, 2], {"a": 1}]
    assert asyncio.run(merge("object", both)) == {"in1": [1, 2], "in3": {"a": 1}}
    assert asyncio.run(merge("concat", both)) == [1, 2, {"a": 1}]
    assert asyncio.run(merge("merge_objects", {"in1": {"a": 1, "b": 1}, "in2": {"b": 2}})) == {"a": 1, "b": 2}
    with pytest.raises(NodeError, match=r"^mode 'merge_objects' needs objects, but in1 got a list$"):
        asyncio.run(merge("merge_objects", both))


def test_set_log_and_stop_with_error() -> None:
    assert asyncio.run(run_node(SetOperation, {"value": {"a": 1}}, {"b": 2})) == {"a": 1}
    assert asyncio.run(run_node(SetOperation, {"value": {"a": 1}, "merge_with_input": True}, {"a": 0, "b": 2})) == {
        "a": 1,
        "b": 2,
    }

    async def log() -> tuple[Any, list[tuple[str, str]]]:
        async with SimpleNodeContext() as ctx:
            out = await make(LogOperation, message="3 orders", level="warning").run(ctx, {"in": [1]})
            return out, ctx.log.lines

    assert asyncio.run(log()) == ([1], [("warning", "3 orders")])
    with pytest.raises(NodeError, match=r"^No orders today$"):
        asyncio.run(run_node(StopErrorOperation, {"message": "No orders today"}, 1))


def test_a_big_transform_runs_off_the_event_loop_and_a_small_one_inline() -> None:
    async def go(size: int) -> tuple[Any, int]:
        async with SimpleNodeContext() as ctx:
            node = make(TransformOperation, steps=[{"op": "filter", "condition": "odd"}, {"op": "limit", "count": 2}])
            out = await node.run(ctx, {"in": [{"id": i, "odd": i % 2 == 1} for i in range(size)]})
            return out, ctx.thread_calls

    assert asyncio.run(go(TransformOperation.THREAD_THRESHOLD + 1)) == (
        [{"id": 1, "odd": True}, {"id": 3, "odd": True}],
        1,
    )
    assert asyncio.run(go(10)) == ([{"id": 1, "odd": True}, {"id": 3, "odd": True}], 0)
