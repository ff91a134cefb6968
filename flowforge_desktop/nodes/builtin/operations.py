"""Operation kinds: nodes that shape data and steer the flow inside the workflow.

Conditions and field paths use JMESPath (https://jmespath.org) over the node's input; config
strings are first rendered as templates, so both can be combined.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from flowforge_desktop.nodes.base import Emit, NodeCategory, NodeConfig, NodeContext, NodeError, NodeKind, Port
from flowforge_desktop.nodes.builtin.expressions import evaluate, hashable, truthy
from flowforge_desktop.nodes.validators import Expression


class _Step(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FilterStep(_Step):
    op: Literal["filter"] = Field(..., description="Keep the records a condition holds for.")
    condition: Expression = Field(..., description="Keep records for which this is truthy.")


class SetStep(_Step):
    op: Literal["set"] = Field(..., description="Add or replace fields computed from each record.")
    fields: dict[str, Expression] = Field(..., description="field name -> expression over the record.")


class PickStep(_Step):
    op: Literal["pick"] = Field(..., description="Keep only the named fields of each record.")
    fields: list[str] = Field(..., min_length=1, description="Fields to keep.")


class SortStep(_Step):
    op: Literal["sort"] = Field(..., description="Order the records; nulls sort last.")
    by: Expression = Field(..., description="Expression over the record giving the sort key.")
    descending: bool = Field(False, description="Largest first.")


class GroupByStep(_Step):
    op: Literal["group_by"] = Field(..., description="Turn the records into groups: [{key, items}].")
    by: Expression = Field(..., description="Expression over the record giving the group key.")


class Aggregation(_Step):
    fn: Literal["count", "sum", "avg", "min", "max"] = Field(..., description="What to compute.")
    field: Expression | None = Field(
        None, description="Expression over the record; count without it counts records, with it non-null values."
    )


class AggregateStep(_Step):
    op: Literal["aggregate"] = Field(..., description="One output record per group with computed values.")
    group_by: Expression | None = Field(None, description="Group key expression; none: one group of all records.")
    aggregations: dict[str, Aggregation] = Field(..., min_length=1, description="output field -> aggregation.")


class DedupeStep(_Step):
    op: Literal["dedupe"] = Field(..., description="Drop records whose key was seen before (first one wins).")
    by: Expression | None = Field(None, description="Key expression; none: the whole record.")


class LimitStep(_Step):
    op: Literal["limit"] = Field(..., description="Keep a slice of the records.")
    count: int = Field(..., ge=0, description="How many records to keep.")
    offset: int = Field(0, ge=0, description="How many records to skip first.")


TransformStep = Annotated[
    FilterStep | SetStep | PickStep | SortStep | GroupByStep | AggregateStep | DedupeStep | LimitStep,
    Field(discriminator="op"),
]


class TransformConfig(NodeConfig):
    source: Expression = Field("@", description="Expression selecting the list of records from the input.")
    steps: list[TransformStep] = Field([], description="Applied in order to the records.")


class TransformOperation(NodeKind):
    kind = "transform"
    category = NodeCategory.OPERATION
    title = "Transform"
    description = "Filters, reshapes, sorts, groups and aggregates a list of records."
    icon = "transform.svg"
    Config = TransformConfig
    example: ClassVar[dict[str, Any]] = {
        "source": "content",
        "steps": [
            {"op": "filter", "condition": "status == 'paid'"},
            {
                "op": "aggregate",
                "group_by": "customer",
                "aggregations": {"orders": {"fn": "count"}, "total": {"fn": "sum", "field": "amount"}},
            },
            {"op": "sort", "by": "total", "descending": True},
            {"op": "limit", "count": 10},
        ],
    }

    #: Above this many records the steps run on a worker thread, so the window stays responsive.
    THREAD_THRESHOLD: ClassVar[int] = 2000

    async def run(self, ctx: NodeContext, inputs: dict[str, Any]) -> Any:
        records = select_records(self.config, inputs.get("in"))
        if len(records) > self.THREAD_THRESHOLD and self.config.steps:
            return await ctx.to_thread(apply_steps, self.config, records)
        return apply_steps(self.config, records)


def apply_transform(config: TransformConfig, data: Any) -> list[Any]:
    """Run the steps over the records ``config.source`` selects from ``data``. Pure, for tests and previews."""
    return apply_steps(config, select_records(config, data))


def select_records(config: TransformConfig, data: Any) -> list[Any]:
    records = evaluate(config.source, data, "source")
    if records is None:
        records = []
    if not isinstance(records, list):
        raise NodeError(
            f"source: '{config.source}' selected {_json_type(records)}, not a list of records; "
            "point source at the list, e.g. 'items' or 'body.data'"
        )
    return records


def apply_steps(config: TransformConfig, records: list[Any]) -> list[Any]:
    for i, step in enumerate(config.steps):
        where = f"steps[{i}]"
        records = _STEPS[step.op](step, records, where)
    return records


def _json_type(value: Any) -> str:
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, list):
        return "a list"
    return "null" if value is None else type(value).__name__


def _need_object(record: Any, where: str) -> dict[str, Any]:
    if not isinstance(record, dict):
        raise NodeError(f"{where}: records must be objects, got {_json_type(record)}")
    return record


def _filter(step: FilterStep, records: list[Any], where: str) -> list[Any]:
    return [r for r in records if truthy(evaluate(step.condition, r, f"{where}.condition"))]


def _set(step: SetStep, records: list[Any], where: str) -> list[Any]:
    out = []
    for r in records:
        new = dict(_need_object(r, where))
        for name, expr in step.fields.items():
            new[name] = evaluate(expr, r, f"{where}.fields.{name}")
        out.append(new)
    return out


def _pick(step: PickStep, records: list[Any], where: str) -> list[Any]:
    return [{f: r[f] for f in step.fields if f in r} for r in (_need_object(x, where) for x in records)]


def _sort_key(value: Any) -> tuple[int, Any]:
    # Nulls last; numbers before strings before anything else, so mixed keys never raise.
    if value is None:
        return (3, 0)
    if isinstance(value, bool):
        return (0, int(value))
    if isinstance(value, int | float):
        return (0, value)
    if isinstance(value, str):
        return (1, value)
    return (2, str(hashable(value)))


def _sort(step: SortStep, records: list[Any], where: str) -> list[Any]:
    keyed = [(_sort_key(evaluate(step.by, r, f"{where}.by")), r) for r in records]
    nulls = [r for k, r in keyed if k[0] == 3]
    rest = sorted((kr for kr in keyed if kr[0][0] != 3), key=lambda kr: kr[0], reverse=step.descending)
    return [r for _, r in rest] + nulls


def _groups(by: str | None, records: list[Any], where: str) -> list[tuple[Any, list[Any]]]:
    groups: dict[Any, tuple[Any, list[Any]]] = {}
    for r in records:
        key = evaluate(by, r, where) if by else None
        groups.setdefault(hashable(key), (key, []))[1].append(r)
    return list(groups.values())


def _group_by(step: GroupByStep, records: list[Any], where: str) -> list[Any]:
    return [{"key": key, "items": items} for key, items in _groups(step.by, records, f"{where}.by")]


def _numbers(values: list[Any], where: str) -> list[float]:
    out = []
    for v in values:
        if v is None:
            continue
        if isinstance(v, bool) or not isinstance(v, int | float | str):
            raise NodeError(f"{where}: cannot add up {_json_type(v)} values")
        if isinstance(v, str):
            try:
                v = float(v) if any(c in v for c in ".eE") else int(v)
            except ValueError:
                raise NodeError(f"{where}: '{v}' is not a number") from None
        out.append(v)
    return out


def _aggregate_one(agg: Aggregation, items: list[Any], where: str) -> Any:
    values = [evaluate(agg.field, r, f"{where}.field") for r in items] if agg.field else None
    if agg.fn == "count":
        return len(items) if values is None else sum(v is not None for v in values)
    if values is None:
        raise NodeError(f"{where}: {agg.fn} needs a field")
    if agg.fn in ("min", "max"):
        present = [v for v in values if v is not None]
        try:
            return (min if agg.fn == "min" else max)(present, key=_sort_key) if present else None
        except TypeError:
            raise NodeError(f"{where}: values cannot be compared") from None
    numbers = _numbers(values, where)
    if agg.fn == "sum":
        return sum(numbers)
    return sum(numbers) / len(numbers) if numbers else None


def _group_name(expression: str | None) -> str:
    if expression and expression.replace("_", "a").isalnum() and not expression[0].isdigit():
        return expression  # a plain field name keeps its name: group_by 'customer' -> {"customer": …}
    return "key"


def _aggregate(step: AggregateStep, records: list[Any], where: str) -> list[Any]:
    out = []
    for key, items in _groups(step.group_by, records, f"{where}.group_by"):
        row: dict[str, Any] = {_group_name(step.group_by): key} if step.group_by else {}
        for name, agg in step.aggregations.items():
            row[name] = _aggregate_one(agg, items, f"{where}.aggregations.{name}")
        out.append(row)
    return out


def _dedupe(step: DedupeStep, records: list[Any], where: str) -> list[Any]:
    seen: set[Any] = set()
    out = []
    for r in records:
        key = hashable(evaluate(step.by, r, f"{where}.by") if step.by else r)
        if key not in seen:
            seen.add(key)
            out.append(r)
    return out


def _limit(step: LimitStep, records: list[Any], where: str) -> list[Any]:
    return records[step.offset : step.offset + step.count]


_STEPS: dict[str, Any] = {
    "filter": _filter,
    "set": _set,
    "pick": _pick,
    "sort": _sort,
    "group_by": _group_by,
    "aggregate": _aggregate,
    "dedupe": _dedupe,
    "limit": _limit,
}


class BranchConfig(NodeConfig):
    condition: Expression = Field(..., description="JMESPath over the input; truthy takes the 'true' port.")


class BranchOperation(NodeKind):
    kind = "branch"
    category = NodeCategory.OPERATION
    title = "Branch"
    description = "Sends its input to 'true' or 'false' by a condition; the other side is skipped."
    icon = "branch.svg"
    Config = BranchConfig
    example: ClassVar[dict[str, Any]] = {"condition": "body.event == 'order.created'"}
    outputs = (Port("true"), Port("false"))

    async def run(self, ctx: NodeContext, inputs: dict[str, Any]) -> Any:
        value = inputs.get("in")
        return Emit.on("true" if truthy(evaluate(self.config.condition, value, "condition")) else "false", value)


RESERVED_PORTS = {"default", "error", "in"}


class SwitchCase(_Step):
    port: str = Field(..., pattern=r"^[A-Za-z_][A-Za-z0-9_\-]{0,63}$", description="Output port this case sends to.")
    equals: Any = Field(None, description="The value that picks this port (compared as JSON).")


class SwitchConfig(NodeConfig):
    value: Expression = Field(..., description="JMESPath over the input giving the value to match.")
    cases: list[SwitchCase] = Field(
        [], description="Tried in order; the first whose `equals` matches the value takes its port."
    )

    @model_validator(mode="after")
    def _unique_ports(self) -> SwitchConfig:
        seen: set[str] = set()
        for case in self.cases:
            if case.port in RESERVED_PORTS:
                raise ValueError(f"case port '{case.port}' is reserved; choose another name")
            if case.port in seen:
                raise ValueError(f"case port '{case.port}' is used twice")
            seen.add(case.port)
        return self


class SwitchOperation(NodeKind):
    kind = "switch"
    category = NodeCategory.OPERATION
    title = "Switch"
    description = "Sends its input to the port of the first case whose value matches, or to 'default'."
    icon = "switch.svg"
    Config = SwitchConfig
    example: ClassVar[dict[str, Any]] = {
        "value": "status",
        "cases": [{"port": "paid", "equals": "paid"}, {"port": "refunded", "equals": "refunded"}],
    }
    outputs = (Port("default"),)

    @classmethod
    def output_ports(cls, config: Mapping[str, Any] | None = None) -> tuple[Port, ...]:
        cases = (config or {}).get("cases") if isinstance(config, Mapping) else getattr(config, "cases", None)
        ports: list[Port] = []
        for case in cases or []:
            name = case.get("port") if isinstance(case, Mapping) else getattr(case, "port", None)
            if isinstance(name, str) and name and name not in RESERVED_PORTS and name not in {p.name for p in ports}:
                ports.append(Port(name))
        return (*ports, Port("default"))

    async def run(self, ctx: NodeContext, inputs: dict[str, Any]) -> Any:
        data = inputs.get("in")
        value = hashable(evaluate(self.config.value, data, "value"))
        for case in self.config.cases:
            if hashable(case.equals) == value:
                return Emit.on(case.port, data)
        return Emit.on("default", data)


class MergeConfig(NodeConfig):
    input_count: int = Field(2, ge=2, le=16, description="Number of input ports: in1 … inN.")
    mode: Literal["list", "object", "concat", "merge_objects"] = Field(
        "list",
        description="list: [in1, in2, …]; object: {in1: …, in2: …}; concat: the input lists joined; "
        "merge_objects: the input objects merged, later ports winning.",
    )
    wait: Literal["all", "first"] = Field(
        "all",
        description="all: wait for every input that is not skipped; first: run with the first input to arrive "
        "and ignore the rest.",
    )


class MergeOperation(NodeKind):
    kind = "merge"
    category = NodeCategory.OPERATION
    title = "Merge"
    description = "Waits for every input that is not skipped (or only the first) and combines them into one value."
    icon = "merge.svg"
    Config = MergeConfig
    example: ClassVar[dict[str, Any]] = {"input_count": 2, "mode": "object"}
    inputs = (Port("in1"), Port("in2"))

    @classmethod
    def waits_for_all(cls, config: Mapping[str, Any] | None = None) -> bool:
        return (config or {}).get("wait", "all") != "first"

    @classmethod
    def input_ports(cls, config: Mapping[str, Any] | None = None) -> tuple[Port, ...]:
        count = (config or {}).get("input_count", 2) if isinstance(config, Mapping) else 2
        if not isinstance(count, int) or isinstance(count, bool) or not 2 <= count <= 16:
            count = 2
        return tuple(Port(f"in{i}") for i in range(1, count + 1))

    async def run(self, ctx: NodeContext, inputs: dict[str, Any]) -> Any:
        ports = [f"in{i}" for i in range(1, self.config.input_count + 1)]
        present = [p for p in ports if p in inputs]  # a skipped branch leaves its port out
        mode = self.config.mode
        if mode == "object":
            return {p: inputs[p] for p in present}
        if mode == "list":
            return [inputs[p] for p in present]
        if mode == "concat":
            out: list[Any] = []
            for p in present:
                value = inputs[p]
                out.extend(value if isinstance(value, list) else [value])
            return out
        merged: dict[str, Any] = {}
        for p in present:
            if not isinstance(inputs[p], dict):
                raise NodeError(f"mode 'merge_objects' needs objects, but {p} got {_json_type(inputs[p])}")
            merged.update(inputs[p])
        return merged


class SetConfig(NodeConfig):
    value: Any = Field({}, description="The JSON value to output; strings inside may hold templates.")
    merge_with_input: bool = Field(
        False, description="When both are objects, output the input with these fields added or replaced."
    )


class SetOperation(NodeKind):
    kind = "set"
    category = NodeCategory.OPERATION
    title = "Set"
    description = "Outputs a fixed JSON value built from templates, optionally merged into its input."
    icon = "set.svg"
    Config = SetConfig
    example: ClassVar[dict[str, Any]] = {
        "value": {"status": "seen", "seen_at": "{{ now.isoformat() }}"},
        "merge_with_input": True,
    }

    async def run(self, ctx: NodeContext, inputs: dict[str, Any]) -> Any:
        value, data = self.config.value, inputs.get("in")
        if self.config.merge_with_input and isinstance(value, dict) and isinstance(data, dict):
            return {**data, **value}
        return value


class LogConfig(NodeConfig):
    message: str = Field("{{ input }}", description="Text written to the run's log; may hold templates.")
    level: Literal["debug", "info", "warning", "error"] = Field("info", description="Log level of the line.")


class LogOperation(NodeKind):
    kind = "log"
    category = NodeCategory.OPERATION
    title = "Log"
    description = "Writes a message to the run's log and passes its input on unchanged."
    icon = "log.svg"
    Config = LogConfig
    example: ClassVar[dict[str, Any]] = {"message": "{{ input | length }} orders summarized", "level": "info"}

    async def run(self, ctx: NodeContext, inputs: dict[str, Any]) -> Any:
        ctx.logger.log(logging.getLevelNamesMapping()[self.config.level.upper()], "%s", self.config.message)
        return inputs.get("in")


class StopErrorConfig(NodeConfig):
    message: str = Field("Stopped by the workflow", min_length=1, description="Error message; may hold templates.")


class StopErrorOperation(NodeKind):
    kind = "stop_error"
    category = NodeCategory.OPERATION
    title = "Stop with error"
    description = "Fails the run with a message (it can be routed to an error handler like any failure)."
    icon = "stop_error.svg"
    Config = StopErrorConfig
    example: ClassVar[dict[str, Any]] = {"message": "No orders arrived today"}
    outputs = ()

    async def run(self, ctx: NodeContext, inputs: dict[str, Any]) -> Any:
        raise NodeError(self.config.message)
