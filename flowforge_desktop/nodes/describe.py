"""Readable descriptions of Config field types, for `flowforge-desktop nodes`, docs and tooltips."""

from __future__ import annotations

import types
import typing
from typing import Any, Literal, Union

from pydantic import BaseModel


def type_name(annotation: Any) -> str:
    """``Literal['a', 'b']`` -> "one of 'a', 'b'"; ``list[str] | None`` -> 'list[str] or null'."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        return type_name(args[0])
    if origin is Literal:
        return "one of " + ", ".join(repr(a) for a in args)
    if origin in (Union, types.UnionType):
        named = [type_name(a) for a in args if a is not type(None)]
        if len(named) > 3:  # a tagged union of step models
            return "one of " + ", ".join(named)
        return " or ".join(named) + (" or null" if type(None) in args else "")
    if origin in (list, tuple, set, frozenset):
        inner = ", ".join(type_name(a) for a in args if a is not Ellipsis)
        return f"{origin.__name__}[{inner}]" if inner else origin.__name__
    if origin is dict:
        return f"dict[{type_name(args[0])}, {type_name(args[1])}]" if args else "dict"
    if annotation is Any:
        return "any JSON"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation.__name__
    return getattr(annotation, "__name__", str(annotation))
