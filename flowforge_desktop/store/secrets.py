"""Secrets by name, for ``{{ secrets.NAME }}``: never written into a workflow file.

Looked up lazily, so a workflow only touches the secrets it uses: first the environment
(``FLOWFORGE_SECRET_NAME``, handy on servers and in CI), then the OS keyring (service
``flowforge-desktop``). A keyring that is missing or locked counts as "not set", never as a crash.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Mapping

log = logging.getLogger("flowforge.secrets")
SERVICE = "flowforge-desktop"
ENV_PREFIX = "FLOWFORGE_SECRET_"


class Secrets(Mapping[str, str]):
    def __init__(self, extra: Mapping[str, str] | None = None, *, use_keyring: bool = True) -> None:
        self._extra = dict(extra or {})
        self._use_keyring = use_keyring
        self._cache: dict[str, str | None] = {}

    def _lookup(self, name: str) -> str | None:
        if name in self._extra:
            return self._extra[name]
        env = os.environ.get(ENV_PREFIX + name)
        if env is not None:
            return env
        if not self._use_keyring:
            return None
        if name not in self._cache:
            try:
                import keyring

                self._cache[name] = keyring.get_password(SERVICE, name)
            except Exception as exc:  # no backend, locked, D-Bus missing: not set
                log.debug("keyring lookup of %s failed: %s", name, exc)
                self._cache[name] = None
        return self._cache[name]

    def __getitem__(self, name: str) -> str:
        value = self._lookup(name)
        if value is None:
            raise KeyError(name)
        return value

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self._lookup(name) is not None

    def __iter__(self) -> Iterator[str]:
        names = set(self._extra)
        names |= {k[len(ENV_PREFIX) :] for k in os.environ if k.startswith(ENV_PREFIX)}
        return iter(sorted(names))

    def __len__(self) -> int:
        return sum(1 for _ in self)
