"""The one place the agent meets the engine and the history store.

Everything else in the agent goes through these few functions, so a change in the engine's or the
store's signatures is absorbed here.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from typing import Any

from flowforge_desktop.nodes.registry import NodeRegistry

log = logging.getLogger(__name__)


def make_engine(registry: NodeRegistry | None = None, secrets: Mapping[str, str] | None = None) -> Any:
    from flowforge_desktop.engine import Engine

    return Engine(registry, secrets=secrets)


def make_store(path: Any = None) -> Any:
    from flowforge_desktop.store.history import HistoryStore

    return HistoryStore(path)


def make_secrets(extra: Mapping[str, str] | None = None) -> Mapping[str, str]:
    """Secrets by name: ``extra`` first, then FLOWFORGE_SECRET_<NAME>, then the OS keyring."""
    from flowforge_desktop.store.secrets import Secrets

    return Secrets(extra)


def start_run(engine: Any, snapshot: Any, *, trigger: str, payload: Any, trigger_node: str | None = None) -> Any:
    return engine.start(snapshot, trigger=trigger, payload=payload, trigger_node=trigger_node)


def list_rows(
    store: Any,
    *,
    workflow_id: str | None = None,
    status: str | None = None,
    before: float | None = None,
    limit: int = 50,
) -> list[dict[str, Any]]:
    """Executions newest first, as plain dicts."""
    page = store.list_executions(workflow_id=workflow_id, status=status, until=before, limit=limit)
    return list(getattr(page, "rows", page))


def flush(store: Any, timeout: float = 10.0) -> None:
    fn = getattr(store, "flush", None)
    if callable(fn):
        fn(timeout)


async def stop_and_wait(handle: Any, timeout: float = 5.0) -> None:
    handle.stop()
    with contextlib.suppress(Exception, asyncio.CancelledError):
        await asyncio.wait_for(handle.wait(), timeout)
