"""A real HTTP server on 127.0.0.1 for tests: aiohttp on a free port."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from aiohttp import web


@asynccontextmanager
async def serve_app(app: web.Application) -> AsyncIterator[str]:
    """Serve ``app`` on a free port of 127.0.0.1; yields the base URL (http://127.0.0.1:PORT)."""
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


@asynccontextmanager
async def http_server(handler: Callable[[web.Request], Any], path: str = "/{tail:.*}") -> AsyncIterator[str]:
    """Serve GET ``path`` with ``handler``; yields the base URL (http://127.0.0.1:PORT)."""
    app = web.Application()
    app.router.add_get(path, handler)
    async with serve_app(app) as base:
        yield base
