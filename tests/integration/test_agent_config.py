"""config.json, FLOWFORGE_* overrides, the messages for bad values, the API key file, autostart."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from flowforge_desktop.agent import autostart
from flowforge_desktop.agent.config import (
    AgentConfig,
    ConfigError,
    config_path,
    ensure_api_key,
    key_file,
    load_config,
    save_config,
)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_file_then_environment(tmp_path: Path) -> None:
    cfg = write(tmp_path / "config.json", json.dumps({"api_port": 9001, "log_level": "debug", "queue_size": 7}))
    assert load_config(tmp_path / "missing.json", environ={}) == AgentConfig()
    config = load_config(cfg, environ={})
    assert (config.api_port, config.log_level, config.queue_size, config.api_host) == (9001, "DEBUG", 7, "127.0.0.1")
    env = {"FLOWFORGE_API_PORT": "9100", "FLOWFORGE_API_HOST": "0.0.0.0", "LOG_LEVEL": "warning",
           "FLOWFORGE_API_KEY": "k" * 20}  # fmt: skip
    config = load_config(cfg, environ=env)
    assert (config.api_port, config.api_host, config.log_level, config.api_key) == (
        9100,
        "0.0.0.0",
        "WARNING",
        "k" * 20,
    )
    assert config.queue_size == 7  # untouched by the environment


def test_invalid_values_name_the_file_the_field_and_the_problem(tmp_path: Path) -> None:
    cfg = write(tmp_path / "config.json", json.dumps({"api_port": 70000}))
    with pytest.raises(ConfigError) as err:
        load_config(cfg, environ={})
    assert str(err.value) == f"{cfg}: field 'api_port': Input should be less than or equal to 65535, got 70000"

    write(cfg, json.dumps({"api_prot": 8001}))
    with pytest.raises(ConfigError) as err:
        load_config(cfg, environ={})
    assert str(err.value).startswith(f"{cfg}: field 'api_prot': unknown setting (known: api_host, api_port,")

    write(cfg, '{"api_port": 8001,\n "log_level": }')
    with pytest.raises(ConfigError) as err:
        load_config(cfg, environ={})
    assert str(err.value) == f"{cfg}: not valid JSON at line 2 column 15: Expecting value"

    write(cfg, "[1, 2]")
    with pytest.raises(ConfigError) as err:
        load_config(cfg, environ={})
    assert str(err.value) == f"{cfg}: the config must be a JSON object, got list"

    write(cfg, "{}")
    with pytest.raises(ConfigError) as err:
        load_config(cfg, environ={"FLOWFORGE_API_PORT": "eighty"})
    assert str(err.value) == (
        "environment variable FLOWFORGE_API_PORT: field 'api_port': "
        "Input should be a valid integer, unable to parse string as an integer, got 'eighty'"
    )
    with pytest.raises(ConfigError) as err:
        load_config(cfg, environ={"LOG_LEVEL": "chatty"})
    assert str(err.value) == (
        "environment variable LOG_LEVEL: field 'log_level': "
        "Input should be 'DEBUG', 'INFO', 'WARNING', 'ERROR' or 'CRITICAL', got 'CHATTY'"
    )


def test_save_writes_only_what_differs_and_round_trips(tmp_path: Path) -> None:
    config = AgentConfig(api_port=8123, autostart=True)
    path = save_config(config, tmp_path / "c" / "config.json")
    assert json.loads(path.read_text()) == {"api_port": 8123, "autostart": True}
    assert load_config(path, environ={}) == config


def test_api_key_made_once_in_a_0600_file() -> None:
    config = AgentConfig(key_storage="file")
    key, source = ensure_api_key(config)
    assert source == "file" and len(key) >= 32
    assert stat.S_IMODE(key_file().stat().st_mode) == 0o600
    assert key_file().parent == config_path().parent
    again, _ = ensure_api_key(AgentConfig(key_storage="file"))
    assert again == key
    key_file().chmod(0o644)  # someone loosened it: it is tightened on the next read
    ensure_api_key(AgentConfig(key_storage="file"))
    assert stat.S_IMODE(key_file().stat().st_mode) == 0o600


def test_keyring_storage_without_a_keyring_is_a_clear_error() -> None:
    with pytest.raises(ConfigError) as err:
        ensure_api_key(AgentConfig(key_storage="keyring"))
    assert str(err.value) == (
        "key_storage is 'keyring' but no usable OS keyring was found; set key_storage to 'file' or 'auto'"
    )


def test_agent_command_reports_a_bad_config(tmp_path: Path) -> None:
    import subprocess
    import sys

    cfg = write(tmp_path / "bad.json", json.dumps({"api_port": -1}))
    result = subprocess.run(
        [sys.executable, "-m", "flowforge_desktop", "agent", "--headless"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**__import__("os").environ, "FLOWFORGE_CONFIG": str(cfg)},
    )
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"flowforge-desktop: {cfg}: field 'api_port': Input should be greater than or equal to 0, got -1"
    )


def test_autostart_writes_and_removes_the_desktop_file() -> None:
    path = autostart.set_enabled(True, command="/usr/bin/flowforge-desktop gui --minimized")
    assert path == autostart.autostart_path() and path.parent.name == "autostart"
    text = path.read_text()
    assert "Exec=/usr/bin/flowforge-desktop gui --minimized\n" in text and text.startswith("[Desktop Entry]\n")
    assert autostart.is_enabled()
    autostart.set_enabled(False)
    assert not path.exists() and not autostart.is_enabled()
