"""Config templates: ``{{ input.id }}``, ``{{ nodes.fetch.output.body }}``, ``{{ secrets.TOKEN }}``.

Rendered with jinja2's *immutable sandbox* and ``StrictUndefined``, so a template can read the run's
data but never reach Python internals (``{{ ''.__class__.__mro__ }}`` is refused) and a missing
name is an error that names it instead of a silent empty string.

A string that is exactly one expression (``"{{ input.items }}"``) renders to the native value (a
list stays a list), like n8n's expressions; anything else renders to text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from jinja2 import StrictUndefined, TemplateError, Undefined
from jinja2.exceptions import SecurityError, TemplateSyntaxError, UndefinedError
from jinja2.sandbox import ImmutableSandboxedEnvironment


class _JsonSandbox(ImmutableSandboxedEnvironment):
    """The data is JSON, so ``x.items`` means the key "items", not the dict method (jinja's default)."""

    def getattr(self, obj: Any, attribute: str) -> Any:
        if isinstance(obj, Mapping) and attribute in obj:
            return obj[attribute]
        if isinstance(obj, SecretNames):
            return self.undefined(hint=obj.missing_message(attribute), name=attribute)
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        if isinstance(obj, SecretNames) and argument not in obj:
            return self.undefined(hint=obj.missing_message(str(argument)), name=str(argument))
        return super().getitem(obj, argument)


class SecretNames(Mapping[str, str]):
    """The secrets as templates see them: a missing one is said plainly, with where to set it."""

    def __init__(self, secrets: Mapping[str, str]) -> None:
        self._secrets = secrets

    def __getitem__(self, name: str) -> str:
        return self._secrets[name]

    def __contains__(self, name: object) -> bool:
        return name in self._secrets

    def __iter__(self) -> Any:
        return iter(self._secrets)

    def __len__(self) -> int:
        return len(self._secrets)

    @staticmethod
    def missing_message(name: str) -> str:
        return (
            f"secret '{name}' is not set: add it in Settings (stored in the OS keyring) "
            f"or set the environment variable FLOWFORGE_SECRET_{name}"
        )


_ENV = _JsonSandbox(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True)
_SINGLE_EXPRESSION = re.compile(r"^\s*\{\{(?P<expr>(?:(?!\{\{|\}\}).)*)\}\}\s*$", re.S)


def has_template(value: str) -> bool:
    return "{{" in value or "{%" in value


class TemplateRenderError(Exception):
    """A template that cannot be rendered, said with the node, the config field and the cause."""

    def __init__(self, node_id: str, field: str, reason: str) -> None:
        self.node_id = node_id
        self.field = field
        self.reason = reason
        super().__init__(f"node '{node_id}', config field '{field}': {reason}")


@lru_cache(maxsize=4096)
def _compile_expression(expr: str) -> Any:
    return _ENV.compile_expression(expr, undefined_to_none=False)


@lru_cache(maxsize=4096)
def _compile_template(text: str) -> Any:
    return _ENV.from_string(text)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, SecurityError):
        return f"refused for safety: {exc}"
    if isinstance(exc, UndefinedError):
        if str(exc).startswith("secret '"):
            return str(exc)
        return f"{exc} (names available: input, nodes, trigger, secrets, now, execution, workflow)"
    if isinstance(exc, TemplateSyntaxError):
        return f"template syntax error: {exc.message}"
    return f"{type(exc).__name__}: {exc}"


def render_string(text: str, data: Mapping[str, Any], *, as_text: bool = False) -> Any:
    """Render one string. Raises jinja2 errors; ``render_config`` turns them into user messages.

    ``as_text``: the field is text, so a lone ``{{ input }}`` renders as text too, never as a list.
    """
    match = None if as_text else _SINGLE_EXPRESSION.match(text)
    if match:
        value = _compile_expression(match.group("expr").strip())(**data)
        if isinstance(value, Undefined):
            value._fail_with_undefined_error()  # raises UndefinedError or SecurityError with its name
        return json_safe(value)
    return _compile_template(text).render(**data)


def json_safe(value: Any) -> Any:
    """Outputs are JSON: a native value that JSON has no type for becomes text (``{{ now }}`` -> ISO 8601)."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    isoformat = getattr(value, "isoformat", None)
    if callable(isoformat):
        return isoformat()
    return str(value)


def render_value(value: Any, data: Mapping[str, Any], node_id: str, field: str, *, as_text: bool = False) -> Any:
    """Render every template string inside ``value`` (dicts and lists are walked)."""
    if isinstance(value, str):
        if not has_template(value):
            return value
        try:
            return render_string(value, data, as_text=as_text)
        except (TemplateError, SecurityError) as exc:
            raise TemplateRenderError(node_id, field, _reason(exc)) from None
        except Exception as exc:  # a filter or a comparison failing on the data
            raise TemplateRenderError(node_id, field, _reason(exc)) from None
    if isinstance(value, dict):
        return {k: render_value(v, data, node_id, f"{field}.{k}") for k, v in value.items()}
    if isinstance(value, list):
        return [render_value(v, data, node_id, f"{field}[{i}]") for i, v in enumerate(value)]
    return value


def contains_template(value: Any) -> bool:
    """Whether any string inside ``value`` is a template (decides if a config can be cached)."""
    if isinstance(value, str):
        return has_template(value)
    if isinstance(value, dict):
        return any(contains_template(v) for v in value.values())
    if isinstance(value, list):
        return any(contains_template(v) for v in value)
    return False


def render_config(
    config: Mapping[str, Any],
    data: Mapping[str, Any],
    node_id: str,
    fields: tuple[str, ...] | None = None,
    text_fields: frozenset[str] = frozenset(),
) -> dict[str, Any]:
    """Render a node's raw config; ``fields`` limits rendering to the kind's template fields, and
    ``text_fields`` (fields typed ``str``) always render as text."""
    out: dict[str, Any] = {}
    for key, value in config.items():
        if fields is None or key in fields:
            out[key] = render_value(value, data, node_id, key, as_text=key in text_fields)
        else:
            out[key] = value
    return out


def text_fields_of(model: Any) -> frozenset[str]:
    """The fields of a Config model typed plain ``str`` (or an Annotated str): rendered as text."""
    import typing

    names = set()
    for name, field in model.model_fields.items():
        annotation = field.annotation
        if typing.get_origin(annotation) is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        if annotation is str:
            names.add(name)
    return frozenset(names)


def template_path(node_id: str, path: list[str | int]) -> str:
    """The template expression that reads ``path`` of a node's output: ``{{ nodes.fetch.output.body.id }}``.

    The Data dock's "copy path" uses it, so keys that are not identifiers get bracket syntax.
    """
    parts = [f"nodes.{node_id}.output" if node_id.isidentifier() else f"nodes[{node_id!r}].output"]
    for step in path:
        if isinstance(step, int):
            parts.append(f"[{step}]")
        elif step.isidentifier():
            parts.append(f".{step}")
        else:
            parts.append(f"[{step!r}]")
    return "{{ " + "".join(parts) + " }}"


__all__ = [
    "StrictUndefined",
    "TemplateRenderError",
    "contains_template",
    "has_template",
    "render_config",
    "render_string",
    "render_value",
    "template_path",
]
