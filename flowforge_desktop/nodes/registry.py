"""Which node kinds exist: built-ins and plugins, all found through one entry-point group.

An entry point in the group ``flowforge_desktop.nodes`` may name a NodeKind subclass, a list of
them, or a module with a ``KINDS`` list. Built-ins register this same way, so a plugin is never a
second-class citizen. A plugin that fails to import or declares something invalid is reported by
name and skipped: it never stops the app.
"""

from __future__ import annotations

import difflib
import inspect
import logging
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points
from types import ModuleType
from typing import Any

from flowforge_desktop.nodes.base import NodeCategory, NodeConfig, NodeKind

ENTRY_POINT_GROUP = "flowforge_desktop.nodes"
log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PluginProblem:
    """A plugin that could not be loaded, said so that the user knows which one and why."""

    plugin: str
    distribution: str
    message: str

    def __str__(self) -> str:
        source = f" (from {self.distribution})" if self.distribution else ""
        return f"plugin '{self.plugin}'{source} was skipped: {self.message}"


class NodeRegistry:
    """Kinds by name. Lookups are plain dict reads; loading happens once."""

    def __init__(self, kinds: Iterable[type[NodeKind]] = ()) -> None:
        self._kinds: dict[str, type[NodeKind]] = {}
        self._origin: dict[str, str] = {}
        self.problems: list[PluginProblem] = []
        for kind in kinds:
            self.register(kind)

    # --- registration ------------------------------------------------------------------------
    def register(self, kind: type[NodeKind], origin: str = "") -> None:
        problem = _check_kind(kind)
        if problem:
            raise ValueError(problem)
        if kind.kind in self._kinds and self._kinds[kind.kind] is not kind:
            raise ValueError(
                f"node kind '{kind.kind}' is already provided by {self._origin.get(kind.kind) or 'another plugin'}"
            )
        self._kinds[kind.kind] = kind
        self._origin[kind.kind] = origin

    def load_entry_points(self, group: str = ENTRY_POINT_GROUP) -> None:
        """Load every entry point of the group; record, never raise, what fails."""
        eps = sorted(entry_points(group=group), key=lambda ep: (ep.name != "builtin", ep.name))
        for ep in eps:
            dist = ep.dist.name if ep.dist else ""
            try:
                kinds = list(_kinds_from(ep.load()))
                if not kinds:
                    raise ValueError("it declares no node kinds")
                for kind in kinds:
                    self.register(kind, origin=f"plugin '{ep.name}'")
            except Exception as exc:  # a broken plugin must not stop the app
                problem = PluginProblem(ep.name, dist, _describe(exc, ep))
                self.problems.append(problem)
                log.warning("%s", problem)

    # --- lookups -----------------------------------------------------------------------------
    def get(self, kind: str) -> type[NodeKind] | None:
        return self._kinds.get(kind)

    def __contains__(self, kind: object) -> bool:
        return kind in self._kinds

    def __iter__(self) -> Iterator[type[NodeKind]]:
        return iter(sorted(self._kinds.values(), key=lambda k: (list(NodeCategory).index(k.category), k.kind)))

    def __len__(self) -> int:
        return len(self._kinds)

    def names(self) -> list[str]:
        return sorted(self._kinds)

    def suggest(self, kind: str) -> str | None:
        """The closest registered kind name, for "did you mean …?"."""
        close = difflib.get_close_matches(kind.lower(), self.names(), n=1, cutoff=0.6)
        return close[0] if close else None

    def unknown_kind_message(self, kind: str) -> str:
        guess = self.suggest(kind)
        hint = f" — did you mean '{guess}'?" if guess else " — is the plugin that provides it installed?"
        return f"unknown node kind '{kind}'{hint}"


def _kinds_from(obj: Any) -> Iterator[type[NodeKind]]:
    if isinstance(obj, ModuleType):
        obj = getattr(obj, "KINDS", None)
        if obj is None:
            raise ValueError("its module has no KINDS list")
    if inspect.isclass(obj):
        yield obj
        return
    if isinstance(obj, Iterable):
        yield from obj
        return
    raise ValueError(f"it points at {type(obj).__name__}, not a NodeKind class or a list of them")


def _check_kind(kind: Any) -> str | None:
    if not (inspect.isclass(kind) and issubclass(kind, NodeKind)):
        return f"{kind!r} is not a NodeKind subclass"
    name = getattr(kind, "kind", None)
    if not isinstance(name, str) or not name:
        return f"{kind.__name__} has no 'kind' name"
    if not isinstance(getattr(kind, "category", None), NodeCategory):
        return f"node kind '{name}' has no valid category (trigger, action or operation)"
    if not (inspect.isclass(kind.Config) and issubclass(kind.Config, NodeConfig)):
        return f"node kind '{name}' has a Config that is not a NodeConfig model"
    return None


def _describe(exc: Exception, ep: EntryPoint) -> str:
    if isinstance(exc, ImportError | SyntaxError):
        return f"cannot import {ep.value}: {exc}"
    return str(exc)


_default: NodeRegistry | None = None
_lock = threading.Lock()


def default_registry() -> NodeRegistry:
    """The process-wide registry, loaded from entry points on first use."""
    global _default
    with _lock:
        if _default is None:
            registry = NodeRegistry()
            registry.load_entry_points()
            if "manual" not in registry:
                # Running from a source tree that was never installed: entry points are absent.
                from flowforge_desktop.nodes import builtin

                for kind in builtin.KINDS:
                    registry.register(kind, origin="built-in")
            _default = registry
        return _default
