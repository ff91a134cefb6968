"""Secrets from the UI: Settings lists, stores and removes them; the inspector's Secret… stores one and
uses its reference. Values go to the keyring and never into the workflow file."""

from __future__ import annotations

from PySide6.QtWidgets import QApplication

from flowforge_desktop.agent.config import AgentConfig
from flowforge_desktop.model import codec
from flowforge_desktop.store.secrets import SERVICE
from flowforge_desktop.ui.secrets_panel import SecretDialog
from flowforge_desktop.ui.settings_dialog import SettingsDialog


def test_settings_stores_lists_and_removes_secrets(qtbot, tmp_path, memory_keyring, monkeypatch):
    monkeypatch.setenv("FLOWFORGE_SECRET_CI_TOKEN", "x")
    dialog = SettingsDialog(AgentConfig(key_storage="file"), tmp_path / "config.json")
    qtbot.addWidget(dialog)
    panel = dialog.secrets
    assert [panel.list.item(i).text() for i in range(panel.list.count())] == [
        "CI_TOKEN — from the environment (FLOWFORGE_SECRET_CI_TOKEN)"
    ]
    qtbot.keyClicks(panel.form.name, "SMTP_PASSWORD")
    assert panel.form.status.text() == "SMTP_PASSWORD — not set"
    panel.store_button.click()
    assert panel.form.error.text() == "type the value to store"
    qtbot.keyClicks(panel.form.value, "hunter2")
    panel.store_button.click()
    assert memory_keyring.values[(SERVICE, "SMTP_PASSWORD")] == "hunter2"
    assert panel.form.value.text() == ""  # never kept in the widget
    assert [panel.list.item(i).text() for i in range(panel.list.count())] == [
        "CI_TOKEN — from the environment (FLOWFORGE_SECRET_CI_TOKEN)",
        "SMTP_PASSWORD — in the OS keyring",
    ]
    panel.list.setCurrentRow(0)
    panel.remove_button.click()
    assert panel.form.error.text() == "CI_TOKEN comes from the environment (FLOWFORGE_SECRET_CI_TOKEN): unset it there"
    panel.list.setCurrentRow(1)
    assert panel.form.name.text() == "SMTP_PASSWORD"
    panel.remove_button.click()
    assert (SERVICE, "SMTP_PASSWORD") not in memory_keyring.values
    assert panel.list.count() == 1
    panel.form.name.setText("bad name")
    qtbot.keyClicks(panel.form.value, "x")
    panel.store_button.click()
    assert panel.form.error.text() == (
        "'bad name' cannot be a secret name: use letters, digits and _, not starting with a digit"
    )


def test_the_inspectors_secret_button_stores_the_value_and_uses_its_reference(win, qtbot, memory_keyring):
    win.doc.add_node(win.doc.new_node("http", (0, 0), config={"url": "https://example.com"}, node_id="fetch"))
    win.scene.select_nodes(["fetch"])
    field = win.inspector.fields["password"]
    field.button.click()
    dialog = field.dialog
    assert isinstance(dialog, SecretDialog) and dialog.isVisible()
    qtbot.keyClicks(dialog.form.name, "API_TOKEN")
    qtbot.keyClicks(dialog.form.value, "s3cret")
    dialog.buttons.accepted.emit()
    assert not dialog.isVisible()
    assert win.doc.node("fetch").config["password"] == "{{ secrets.API_TOKEN }}"
    assert memory_keyring.values[(SERVICE, "API_TOKEN")] == "s3cret"
    assert "s3cret" not in codec.dumps(win.doc)
    # opened again it starts from the name in the field, and OK without a value keeps the stored one
    field.button.click()
    assert field.dialog.form.name.text() == "API_TOKEN"
    assert field.dialog.form.status.text() == "API_TOKEN — in the OS keyring"
    field.dialog.buttons.accepted.emit()
    assert memory_keyring.values[(SERVICE, "API_TOKEN")] == "s3cret"
    QApplication.processEvents()
