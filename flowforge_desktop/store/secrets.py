"""Secrets by name, for ``{{ secrets.NAME }}``: never written into a workflow file.

Looked up lazily, so a workflow only touches the secrets it uses: first the environment
(``FLOWFORGE_SECRET_NAME``, handy on servers and in CI), then the OS keyring (service
``flowforge-desktop``). A keyring that is missing or locked counts as "not set", never as a crash.

Settings and the inspector store values with ``store_secret``; the keyring cannot list what it
holds, so the names (never the values) are kept in ``secret_names.json`` in the config folder for the
Settings list. A store or a removal is seen at once by every ``Secrets`` (their caches are dropped).
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from flowforge_desktop.store.paths import config_dir

log = logging.getLogger("flowforge.secrets")
SERVICE = "flowforge-desktop"
ENV_PREFIX = "FLOWFORGE_SECRET_"
NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")  # usable as secrets.NAME in a template
_generation = 0  # bumped by every store / removal: caches older than it are dropped


class SecretStoreError(Exception):
    """A secret could not be stored or removed; the message says what to do instead."""


def usable_keyring() -> Any | None:
    """The keyring module when a real backend is there (not keyring's "fail" one), else None."""
    try:
        import keyring
        from keyring.backends import fail

        backend = keyring.get_keyring()
        if isinstance(backend, fail.Keyring) or getattr(backend, "priority", 0) <= 0:
            return None
        return keyring
    except Exception:  # no backend, no D-Bus
        return None


def check_name(name: str) -> str:
    name = name.strip()
    if not NAME_RE.match(name):
        raise SecretStoreError(
            f"'{name}' cannot be a secret name: use letters, digits and _, not starting with a digit"
        )
    return name


def names_file() -> Path:
    return config_dir() / "secret_names.json"


def _stored_names() -> list[str]:
    try:
        names = json.loads(names_file().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    return [n for n in names if isinstance(n, str)] if isinstance(names, list) else []


def _write_names(names: set[str]) -> None:
    path = names_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(sorted(names)), encoding="utf-8")


def secret_source(name: str) -> str | None:
    """Where ``name`` is set: 'environment' (wins), 'keyring', or None."""
    if ENV_PREFIX + name in os.environ:
        return "environment"
    kr = usable_keyring()
    try:
        if kr is not None and kr.get_password(SERVICE, name) is not None:
            return "keyring"
    except Exception as exc:  # locked, D-Bus gone
        log.debug("keyring lookup of %s failed: %s", name, exc)
    return None


def secret_names() -> list[str]:
    """Names stored from this app plus those set in the environment, sorted."""
    env = {k[len(ENV_PREFIX) :] for k in os.environ if k.startswith(ENV_PREFIX)}
    return sorted(set(_stored_names()) | env)


def store_secret(name: str, value: str) -> None:
    """Keep ``value`` in the OS keyring under ``name``."""
    global _generation
    name = check_name(name)
    kr = usable_keyring()
    if kr is None:
        raise SecretStoreError(
            f"no OS keyring is available here: set the environment variable {ENV_PREFIX}{name} instead"
        )
    try:
        kr.set_password(SERVICE, name, value)
    except Exception as exc:
        raise SecretStoreError(f"the OS keyring refused to store '{name}': {exc}") from exc
    _write_names(set(_stored_names()) | {name})
    _generation += 1


def delete_secret(name: str) -> None:
    """Remove ``name`` from the keyring (a value set in the environment stays: it is not ours)."""
    global _generation
    kr = usable_keyring()
    if kr is not None:
        try:
            kr.delete_password(SERVICE, name)
        except Exception as exc:  # not there: fine; anything else: say so
            if type(exc).__name__ != "PasswordDeleteError":
                raise SecretStoreError(f"the OS keyring refused to remove '{name}': {exc}") from exc
    _write_names(set(_stored_names()) - {name})
    _generation += 1


class Secrets(Mapping[str, str]):
    def __init__(self, extra: Mapping[str, str] | None = None, *, use_keyring: bool = True) -> None:
        self._extra = dict(extra or {})
        self._use_keyring = use_keyring
        self._cache: dict[str, str | None] = {}
        self._generation = _generation

    def _lookup(self, name: str) -> str | None:
        if self._generation != _generation:  # something was stored or removed since
            self._cache.clear()
            self._generation = _generation
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
