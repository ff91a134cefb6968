"""JMESPath, the one expression language of conditions and field paths (https://jmespath.org).

Compiled expressions are cached. Truthiness follows JMESPath: false, null, "", [] and {} are
false; everything else is true — including the number 0.
"""

from __future__ import annotations

import functools
import json
from typing import Any

import jmespath
from jmespath.exceptions import JMESPathError
from jmespath.parser import ParsedResult

from flowforge_desktop.nodes.base import NodeError
from flowforge_desktop.nodes.validators import has_template


@functools.lru_cache(maxsize=1024)
def compile_expression(expression: str) -> ParsedResult:
    return jmespath.compile(expression)


def evaluate(expression: str, data: Any, where: str) -> Any:
    """Evaluate over ``data``; a failure becomes a NodeError that names ``where`` (the config field)."""
    if has_template(expression):
        raise NodeError(f"{where}: '{expression}' still holds a template after rendering; check it")
    try:
        return compile_expression(expression).search(data)
    except JMESPathError as exc:
        reason = " ".join(str(exc).split())
        raise NodeError(f"{where}: expression '{expression}' failed: {reason}") from None


def truthy(value: Any) -> bool:
    return not (value is None or value is False or value == "" or value == [] or value == {})


def hashable(value: Any) -> Any:
    """A key for grouping and deduping JSON values (dicts and lists included)."""
    if isinstance(value, dict | list):
        return ("json", json.dumps(value, sort_keys=True, default=str))
    if isinstance(value, bool) or value is None:
        return ("const", value)
    if isinstance(value, int | float):
        return ("number", value)
    return (type(value).__name__, value)
