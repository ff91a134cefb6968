"""The agent as one object: config, engine, history, supervisor, local server. The tray and the CLI hold one."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flowforge_desktop.agent.config import AgentConfig, config_path, ensure_api_key, load_config
from flowforge_desktop.agent.engine_runner import make_engine, make_secrets, make_store
from flowforge_desktop.agent.health import LoopLagMonitor, health_snapshot
from flowforge_desktop.agent.server import LocalServer
from flowforge_desktop.agent.supervisor import Supervisor
from flowforge_desktop.nodes.registry import NodeRegistry, default_registry

log = logging.getLogger(__name__)


class Agent:
    def __init__(
        self,
        config: AgentConfig | None = None,
        *,
        engine: Any = None,
        store: Any = None,
        registry: NodeRegistry | None = None,
        secrets: Mapping[str, str] | None = None,
        state_dir: Path | None = None,
        serve: bool = True,
    ) -> None:
        self.config = config or load_config()
        self.registry = registry or default_registry()
        self.secrets = make_secrets(secrets)
        self._owns_engine = engine is None
        self._owns_store = store is None
        self.engine = engine if engine is not None else make_engine(self.registry, self.secrets)
        self.store = store if store is not None else make_store()
        # a caller that hands in both (the designer's engine and store) has attached them already
        self._detach = self.store.attach(self.engine) if (self._owns_engine or self._owns_store) else None
        self.api_key, self.api_key_source = ensure_api_key(self.config)
        self.server = (
            LocalServer(
                self,
                host=self.config.api_host,
                port=self.config.api_port,
                api_key=self.api_key,
                rate_limit=self.config.rate_limit,
                rate_limit_window=self.config.rate_limit_window,
            )
            if serve
            else None
        )
        self.supervisor = Supervisor(
            self.engine,
            store=self.store,
            server=self.server,
            config=self.config,
            registry=self.registry,
            secrets=self.secrets,
            state_dir=state_dir,
        )
        self.lag = LoopLagMonitor()
        self.server_error: str | None = None

    async def start(self, *, require_server: bool = True) -> None:
        """Start serving and arming. With ``require_server=False`` a port in use is kept in
        ``server_error`` (shown to the user) and the agent runs without webhooks or API instead of failing."""
        from flowforge_desktop.agent.server import ServerStartError

        self.lag.start()
        if self.server is not None:
            try:
                await self.server.start(setting_hint=f"api_port in {config_path()} or FLOWFORGE_API_PORT")
            except ServerStartError as exc:
                if require_server:
                    raise
                self.server_error = str(exc)
                log.error("the local API is off: %s", exc)
                self.server = self.supervisor.server = None
        await self.supervisor.start()

    async def stop(self, grace: float | None = None) -> list[str]:
        interrupted = await self.supervisor.shutdown(grace)
        if self.server is not None:
            await self.server.stop()
        await self.lag.stop()
        aclose = getattr(self.engine, "aclose", None)
        if self._owns_engine and callable(aclose):
            await aclose()
        return interrupted

    def close_store(self) -> None:
        """Close the history if this agent opened it (a store handed in belongs to its owner)."""
        close = getattr(self.store, "close", None)
        if self._owns_store and callable(close):
            close()

    def health(self) -> dict[str, Any]:
        return health_snapshot(
            supervisor=self.supervisor, engine=self.engine, store=self.store, lag=self.lag, server=self.server
        )
