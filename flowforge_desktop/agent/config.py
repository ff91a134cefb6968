"""The agent's settings: config.json in the user config dir, checked by pydantic, overridden by FLOWFORGE_* variables.

Precedence, lowest first: defaults, ``config.json``, environment (``FLOWFORGE_<FIELD>`` for every field,
plus ``LOG_LEVEL``). A bad value anywhere is one ``ConfigError`` naming the file (or the variable), the
field and the problem, never a traceback.

The API key is not written to config.json unless the user puts it there: on first start one is made
and kept in the OS keyring when a usable one exists, else in ``api_key`` (mode 0600) in the config dir.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import stat
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from flowforge_desktop.store.secrets import usable_keyring

log = logging.getLogger(__name__)

APP_NAME = "flowforge-desktop"
KEYRING_SERVICE = "flowforge-desktop-agent"  # not the secrets service: a secret may be named api_key
KEYRING_USER = "api_key"
ENV_PREFIX = "FLOWFORGE_"

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]


class ConfigError(Exception):
    """A config problem written for the user: where (file or variable), which field, what is wrong."""


def config_dir() -> Path:
    from flowforge_desktop.store.paths import config_dir as store_config_dir

    return store_config_dir()


def config_path() -> Path:
    return Path(os.environ.get("FLOWFORGE_CONFIG") or config_dir() / "config.json")


def log_dir() -> Path:
    from flowforge_desktop.store.paths import log_dir as store_log_dir

    return store_log_dir()


class AgentConfig(BaseModel):
    """Everything the agent and its local API can be told. Field names are the JSON keys."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    api_host: str = Field("127.0.0.1", min_length=1, description="Address the local API listens on.")
    api_port: int = Field(8000, ge=0, le=65535, description="Port of the local API (0: any free port).")
    api_key: str | None = Field(
        None, min_length=16, description="Bearer key for /api/v1; normally kept in the keyring, not here."
    )
    key_storage: Literal["auto", "keyring", "file"] = Field(
        "auto", description="Where a generated API key is kept: the OS keyring, a 0600 file, or auto."
    )
    log_level: LogLevel = Field("INFO", description="DEBUG, INFO, WARNING, ERROR or CRITICAL.")
    rate_limit: int = Field(120, ge=1, description="Requests to /api/v1 allowed per client per window.")
    rate_limit_window: float = Field(60.0, gt=0, description="Seconds of the rate limit window.")
    queue_size: int = Field(100, ge=1, le=100_000, description="Fired runs waiting to start; overflow is recorded.")
    max_concurrent_runs: int = Field(4, ge=1, le=256, description="Runs the agent executes at once.")
    shutdown_grace: float = Field(10.0, ge=0, description="Seconds shutdown waits for running executions.")
    trigger_backoff: float = Field(1.0, gt=0, description="First delay before re-arming a failed trigger.")
    trigger_backoff_max: float = Field(300.0, gt=0, description="Longest delay between re-arm attempts.")
    poll_interval: float = Field(1.0, gt=0, description="Seconds between checks for changed workflow files.")
    autostart: bool = Field(False, description="Start FlowForge Desktop at login (XDG autostart).")

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value


_ENV_ALIASES = {"LOG_LEVEL": "log_level"}


def _describe(exc: ValidationError, where: str) -> str:
    lines = []
    for err in exc.errors(include_url=False):
        field = ".".join(str(p) for p in err["loc"]) or "(top level)"
        if err["type"] == "extra_forbidden":
            problem = f"unknown setting (known: {', '.join(AgentConfig.model_fields)})"
        elif err["type"] == "missing":
            problem = "missing"
        else:
            problem = err["msg"]
            if "input" in err and not isinstance(err["input"], dict):
                problem += f", got {err['input']!r}"
        lines.append(f"{where}: field '{field}': {problem}")
    return "; ".join(lines)


def read_file_settings(path: Path) -> dict[str, Any]:
    """The raw settings in ``path`` ({} when it does not exist), or a ConfigError saying what is wrong."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the config file: {exc.strerror or exc}") from None
    if not text.strip():
        return {}
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path}: not valid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the config must be a JSON object, got {type(data).__name__}")
    return data


def env_overrides(environ: dict[str, str] | os._Environ[str] | None = None) -> dict[str, tuple[str, str]]:
    """field -> (variable name, raw value) for every FLOWFORGE_* (and LOG_LEVEL) variable that names a field."""
    env = os.environ if environ is None else environ
    found: dict[str, tuple[str, str]] = {}
    for alias, field in _ENV_ALIASES.items():
        if alias in env:
            found[field] = (alias, env[alias])
    for field in AgentConfig.model_fields:
        var = ENV_PREFIX + field.upper()
        if var in env:
            found[field] = (var, env[var])
    return found


def load_config(path: Path | None = None, environ: dict[str, str] | None = None) -> AgentConfig:
    """Defaults < config.json < environment. Raises ConfigError with file/variable, field and problem."""
    path = path or config_path()
    data = read_file_settings(path)
    try:
        config = AgentConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, str(path))) from None
    for field, (var, raw) in env_overrides(environ).items():
        try:
            setattr(config, field, raw)
        except ValidationError as exc:
            raise ConfigError(_describe(exc, f"environment variable {var}")) from None
    return config


def save_config(config: AgentConfig, path: Path | None = None) -> Path:
    """Write the settings that differ from the defaults (atomically). Env overrides are not written."""
    path = path or config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    data = config.model_dump(exclude_defaults=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return path


# --- the API key -----------------------------------------------------------------------------------


def key_file() -> Path:
    return config_dir() / "api_key"


def _read_key_file(path: Path) -> str | None:
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return None
    if mode & 0o077:
        log.warning("%s is readable by other users (mode %o); restricting it to 0600", path, mode)
        path.chmod(0o600)
    key = path.read_text(encoding="utf-8").strip()
    return key or None


def _write_key_file(path: Path, key: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(key + "\n")
    path.chmod(0o600)


def ensure_api_key(config: AgentConfig) -> tuple[str, str]:
    """The API key and where it came from ('environment/config', 'keyring', 'file'); makes one on first start."""
    if config.api_key:
        return config.api_key, "config"
    kr = usable_keyring() if config.key_storage in ("auto", "keyring") else None
    if config.key_storage == "keyring" and kr is None:
        raise ConfigError(
            "key_storage is 'keyring' but no usable OS keyring was found; set key_storage to 'file' or 'auto'"
        )
    if kr is not None:
        try:
            key = kr.get_password(KEYRING_SERVICE, KEYRING_USER)
            if not key:
                key = secrets.token_urlsafe(32)
                kr.set_password(KEYRING_SERVICE, KEYRING_USER, key)
                log.info("made a new API key and stored it in the OS keyring")
            config.api_key = key
            return key, "keyring"
        except Exception as exc:
            if config.key_storage == "keyring":
                raise ConfigError(f"the OS keyring refused the API key: {exc}") from None
            log.warning("OS keyring unavailable (%s); keeping the API key in %s", exc, key_file())
    path = key_file()
    key = _read_key_file(path)
    if not key:
        key = secrets.token_urlsafe(32)
        _write_key_file(path, key)
        log.info("made a new API key in %s (mode 0600)", path)
    config.api_key = key
    return key, "file"


def regenerate_api_key(config: AgentConfig) -> str:
    """A new key in the same place the current one lives."""
    key = secrets.token_urlsafe(32)
    kr = usable_keyring() if config.key_storage in ("auto", "keyring") else None
    if kr is not None:
        try:
            kr.set_password(KEYRING_SERVICE, KEYRING_USER, key)
            config.api_key = key
            return key
        except Exception:
            pass
    _write_key_file(key_file(), key)
    config.api_key = key
    return key
