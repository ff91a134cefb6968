"""Operation kinds: nodes that shape data and steer the flow inside the workflow.

Conditions and field paths use JMESPath (https://jmespath.org) over the node's input; config
strings are first rendered as templates, so both can be combined.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from flowforge_desktop.nodes.base import NodeCategory, NodeConfig, NodeKind, Port
from flowforge_desktop.nodes.validators import Expression


class _Step(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FilterStep(_Step):
    op: Literal["filter"]
    condition: Expression = Field(..., description="Keep records for which this is truthy.")


class SetStep(_Step):
    op: Literal["set"]
    fields: dict[str, Expression] = Field(..., description="field name -> expression over the record.")


class PickStep(_Step):
    op: Literal["pick"]
    fields: list[str] = Field(..., min_length=1, description="Fields to keep.")


class SortStep(_Step):
    op: Literal["sort"]
    by: Expression
    descending: bool = False


class GroupByStep(_Step):
    op: Literal["group_by"]
    by: Expression


class Aggregation(_Step):
    fn: Literal["count", "sum", "avg", "min", "max"]
    field: Expression | None = None


class AggregateStep(_Step):
    op: Literal["aggregate"]
    group_by: Expression | None = None
    aggregations: dict[str, Aggregation] = Field(..., min_length=1)


class DedupeStep(_Step):
    op: Literal["dedupe"]
    by: Expression | None = None


class LimitStep(_Step):
    op: Literal["limit"]
    count: int = Field(..., ge=0)
    offset: int = Field(0, ge=0)


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


class BranchConfig(NodeConfig):
    condition: Expression = Field(..., description="JMESPath over the input; truthy takes the 'true' port.")


class BranchOperation(NodeKind):
    kind = "branch"
    category = NodeCategory.OPERATION
    title = "Branch"
    description = "Sends its input to 'true' or 'false' by a condition; the other side is skipped."
    icon = "branch.svg"
    Config = BranchConfig
    outputs = (Port("true"), Port("false"))
