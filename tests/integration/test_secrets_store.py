"""Secrets stored from the app: the OS keyring (keyring's backend API), names listed, caches dropped."""

from __future__ import annotations

import pytest

from flowforge_desktop.store.secrets import (
    SERVICE,
    Secrets,
    SecretStoreError,
    delete_secret,
    names_file,
    secret_names,
    secret_source,
    store_secret,
)


def test_a_stored_secret_is_seen_at_once_by_a_running_engines_secrets(memory_keyring, monkeypatch):
    secrets = Secrets()
    assert "SMTP_PASSWORD" not in secrets  # looked up (and cached as missing) before it is stored
    store_secret("SMTP_PASSWORD", "hunter2")
    assert memory_keyring.values[(SERVICE, "SMTP_PASSWORD")] == "hunter2"
    assert secrets["SMTP_PASSWORD"] == "hunter2"
    assert secret_source("SMTP_PASSWORD") == "keyring"
    assert secret_names() == ["SMTP_PASSWORD"]
    assert "hunter2" not in names_file().read_text()  # names only
    monkeypatch.setenv("FLOWFORGE_SECRET_API_TOKEN", "from-env")
    monkeypatch.setenv("FLOWFORGE_SECRET_SMTP_PASSWORD", "env-wins")
    assert secret_names() == ["API_TOKEN", "SMTP_PASSWORD"]
    assert secret_source("SMTP_PASSWORD") == "environment" and secrets["SMTP_PASSWORD"] == "env-wins"
    monkeypatch.delenv("FLOWFORGE_SECRET_SMTP_PASSWORD")
    delete_secret("SMTP_PASSWORD")
    assert "SMTP_PASSWORD" not in secrets and secret_source("SMTP_PASSWORD") is None
    assert secret_names() == ["API_TOKEN"]
    delete_secret("NEVER_STORED")  # nothing to remove is not an error


def test_bad_names_and_a_missing_keyring_are_clear_errors(memory_keyring):
    with pytest.raises(SecretStoreError) as exc:
        store_secret("2fast", "x")
    assert str(exc.value) == "'2fast' cannot be a secret name: use letters, digits and _, not starting with a digit"
    import keyring
    from keyring.backends import fail

    keyring.set_keyring(fail.Keyring())
    with pytest.raises(SecretStoreError) as exc:
        store_secret("API_TOKEN", "x")
    assert str(exc.value) == (
        "no OS keyring is available here: set the environment variable FLOWFORGE_SECRET_API_TOKEN instead"
    )
    assert secret_names() == []
