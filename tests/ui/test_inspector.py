"""The inspector: fields generated from Config models, inline errors as you type, undoable edits."""

from __future__ import annotations

from datetime import UTC, datetime

from PySide6.QtCore import Qt

from flowforge_desktop.model import codec
from flowforge_desktop.ui.fields import (
    BoolField,
    ChoiceField,
    CronField,
    JsonField,
    ListField,
    MappingField,
    MultiChoiceField,
    NumberField,
    PathField,
    SecretField,
    next_fire_text,
)


def select(win, kind: str, node_id: str, **config):
    win.doc.add_node(win.doc.new_node(kind, (0, 0), config=config, node_id=node_id))
    win.scene.select_nodes([node_id])
    assert win.inspector.node_id == node_id
    return win.inspector


def test_fields_are_generated_from_the_config_model(win):
    insp = select(win, "http", "fetch", url="https://example.com")
    f = insp.fields
    assert isinstance(f["method"], ChoiceField) and f["method"].combo.currentText() == "GET"
    assert isinstance(f["timeout"], NumberField) and f["timeout"].edit.text() == "30"
    assert isinstance(f["follow_redirects"], BoolField) and f["follow_redirects"].box.isChecked()
    assert isinstance(f["headers"], MappingField)
    assert isinstance(f["password"], SecretField)
    assert isinstance(f["body"], JsonField)
    insp = select(win, "file_watch", "watch", watch_path="/tmp")
    assert isinstance(insp.fields["watch_path"], PathField)
    assert isinstance(insp.fields["watch_events"], MultiChoiceField)
    insp = select(win, "email", "mail", smtp_host="h", from_addr="a@b.c", to=["x@y.z"])
    assert isinstance(insp.fields["to"], ListField) and insp.fields["to"].edit.text() == "x@y.z"
    insp = select(win, "schedule", "tick", cron_expression="0 * * * *")
    assert isinstance(insp.fields["cron_expression"], CronField)
    assert insp.fields["cron_expression"].hint.text().startswith("Next: ")


def test_an_invalid_value_shows_inline_and_never_reaches_the_document(win, qtbot):
    insp = select(win, "http", "fetch", url="https://example.com")
    before, count = codec.dumps(win.doc), win.stack.count()
    url = insp.fields["url"]
    url.edit.selectAll()
    qtbot.keyClicks(url.edit, "htp:/x")
    assert url.error_text() == "invalid URL 'htp:/x'"
    assert codec.dumps(win.doc) == before and win.stack.count() == count
    timeout = insp.fields["timeout"]
    timeout.edit.selectAll()
    qtbot.keyClicks(timeout.edit, "soon")
    assert timeout.error_text() == "'soon' is not a number"
    timeout.edit.selectAll()
    qtbot.keyClicks(timeout.edit, "-1")
    assert timeout.error_text().startswith("Input should be greater than 0")
    assert codec.dumps(win.doc) == before


def test_typing_a_valid_value_is_one_undo_step(win, qtbot):
    insp = select(win, "http", "fetch", url="https://example.com")
    count = win.stack.count()
    url = insp.fields["url"]
    url.edit.selectAll()
    qtbot.keyClicks(url.edit, "https://api.example.com/v1")
    assert win.doc.node("fetch").config["url"] == "https://api.example.com/v1"
    assert url.error_text() == ""
    assert win.stack.count() == count + 1  # keystrokes into one field merge
    insp.fields["method"].combo.setCurrentText("POST")
    assert win.doc.node("fetch").config["method"] == "POST"
    insp.fields["headers"].table.item(0, 0).setText("Accept")
    insp.fields["headers"].table.item(0, 1).setText("application/json")
    assert win.doc.node("fetch").config["headers"] == {"Accept": "application/json"}
    insp.fields["verify_tls"].box.setChecked(False)
    assert win.doc.node("fetch").config["verify_tls"] is False
    win.stack.undo()
    assert "verify_tls" not in win.doc.node("fetch").config
    assert insp.fields["verify_tls"].box.isChecked()  # the form follows undo
    while win.stack.canUndo() and win.stack.index() > count:
        win.stack.undo()
    assert win.doc.node("fetch").config == {"url": "https://example.com"}
    assert insp.fields["url"].edit.text() == "https://example.com"


def test_model_level_errors_and_cross_field_rules(win, qtbot):
    insp = select(win, "schedule", "tick", cron_expression="0 * * * *")
    cron = insp.fields["cron_expression"]
    cron.edit.selectAll()
    qtbot.keyClicks(cron.edit, "61 * * * *")
    assert insp.general_error.text() == "invalid cron expression '61 * * * *'"
    assert win.doc.node("tick").config["cron_expression"] == "0 * * * *"
    cron.edit.selectAll()
    qtbot.keyClicks(cron.edit, "*/15 * * * *")
    assert insp.general_error.isHidden()
    assert win.doc.node("tick").config["cron_expression"] == "*/15 * * * *"
    assert cron.hint.text().startswith("Next: ")


def test_node_fields_name_disabled_on_error(win, qtbot):
    insp = select(win, "http", "fetch", url="https://example.com")
    name = insp.header["name"]
    name.edit.selectAll()
    qtbot.keyClicks(name.edit, "Fetch orders")
    assert win.doc.node("fetch").name == "Fetch orders"
    assert win.scene.nodes["fetch"].title_text == "Fetch orders"
    insp.header["on_error"].combo.setCurrentText("route")
    assert "error" in win.scene.nodes["fetch"].out_names
    insp.header["disabled"].box.setChecked(True)
    assert win.doc.node("fetch").disabled
    # a change that would drop a connected port is refused with the document's reason
    win.doc.add_node(win.doc.new_node("manual", (0, 300), node_id="alarm"))
    win.doc.add_node(win.doc.new_node("branch", (0, 300), node_id="b", config={"condition": "@"}))
    win.editor.connect("fetch", "b", "error", "in")
    win.scene.select_nodes(["fetch"])
    win.inspector.header["on_error"].combo.setCurrentText("stop")
    assert win.inspector.general_error.text() == (
        "node 'fetch' would lose its output port 'error', which is connected to 'b'; remove that connection first"
    )
    assert win.doc.node("fetch").on_error == "route"


def test_secret_reference_and_json_fields(win, qtbot):
    insp = select(win, "http", "fetch", url="https://example.com")
    secret = insp.fields["password"]
    qtbot.keyClicks(secret.edit, "hunter2")
    assert secret.hint.text() == "This value is saved in the workflow file; use a secret reference instead."
    secret.use_secret("API_TOKEN")
    assert win.doc.node("fetch").config["password"] == "{{ secrets.API_TOKEN }}"
    assert secret.hint.isHidden()
    body = insp.fields["body"]
    body.edit.setPlainText('{"a": ')
    assert body.error_text().startswith("not valid JSON: Expecting value")
    body.edit.setPlainText('{"a": 1}')
    assert win.doc.node("fetch").config["body"] == {"a": 1}


def test_next_fire_times_use_the_time_zone():
    text = next_fire_text("30 2 * * *", "Europe/Berlin", count=2, now=datetime(2026, 3, 28, 12, tzinfo=UTC))
    assert text == "Next: Sun 2026-03-29 03:00, Mon 2026-03-30 02:30 (Europe/Berlin)"
    assert next_fire_text("nope", "UTC") == ""


def test_nothing_selected_shows_the_workflow(win):
    win.scene.clearSelection()
    assert "Untitled workflow" in win.inspector.title.text()
    win.doc.add_node(win.doc.new_node("manual", (0, 0), node_id="a"))
    win.doc.add_node(win.doc.new_node("manual", (0, 300), node_id="b"))
    win.scene.select_nodes(["a", "b"])
    assert "2 nodes selected" in win.inspector.title.text()


__all__ = ["Qt"]


def test_workflow_name_and_settings_when_nothing_is_selected(win, qtbot):
    win.scene.clearSelection()
    insp = win.inspector
    name = insp.header["name"]
    name.edit.selectAll()
    qtbot.keyClicks(name.edit, "Nightly sync")
    assert win.doc.name == "Nightly sync"
    assert win.windowTitle().startswith("Nightly sync[*]")
    parallel = insp.fields["max_parallel_nodes"]
    parallel.edit.selectAll()
    qtbot.keyClicks(parallel.edit, "0")
    assert parallel.error_text() == "Input should be greater than or equal to 1"
    assert win.doc.settings.max_parallel_nodes == 4
    parallel.edit.selectAll()
    qtbot.keyClicks(parallel.edit, "12")
    assert win.doc.settings.max_parallel_nodes == 12 and parallel.error_text() == ""
    tz = insp.fields["timezone"]
    tz.edit.selectAll()
    qtbot.keyClicks(tz.edit, "Mars/Base")
    assert tz.error_text() == "unknown time zone 'Mars/Base' (use an IANA name such as 'Europe/Berlin')"
    insp.fields["missed_schedules"].combo.setCurrentText("run_once")
    assert win.doc.settings.missed_schedules == "run_once"
    win.stack.undo()
    assert win.doc.settings.missed_schedules == "skip"
    win.stack.undo()
    assert win.doc.settings.max_parallel_nodes == 4
    assert parallel.edit.text() == "4"  # the form follows undo


def test_node_timeout_retry_and_rate_limit_key(win, qtbot):
    insp = select(win, "http", "fetch", url="https://example.com")
    timeout = insp.header["timeout"]
    qtbot.keyClicks(timeout.edit, "-3")
    assert timeout.error_text() == "Input should be greater than 0"
    assert win.doc.node("fetch").timeout is None
    timeout.edit.selectAll()
    qtbot.keyClicks(timeout.edit, "5")
    assert win.doc.node("fetch").timeout == 5.0
    retry = insp.header["retry"]
    retry.edit.setPlainText('{"retry_count": 3, "retry_dealy": 2}')
    assert retry.error_text() == "unknown field (check its spelling)"
    retry.edit.setPlainText('{"retry_count": 3, "retry_delay": 2}')
    assert win.doc.node("fetch").retry.retry_count == 3
    qtbot.keyClicks(insp.header["rate_limit_key"].edit, "crm")
    assert win.doc.node("fetch").rate_limit_key == "crm"


def test_a_new_nodes_example_values_are_marked_until_replaced(win, qtbot):
    spec = win.editor.add_node("email", (0, 0))
    assert spec.config["smtp_host"] == "localhost" and spec.config["to"] == ["someone@example.com"]
    win.scene.select_nodes([spec.id])
    fields = win.inspector.fields
    marked = {name for name, f in fields.items() if not f.attention.isHidden()}
    assert marked == {"smtp_host", "from_addr", "to"}  # the required ones still holding an example
    assert fields["to"].attention.text() == "an example to start from: replace it"
    to = fields["to"]
    to.edit.selectAll()
    qtbot.keyClicks(to.edit, "oncall@acme.io")
    assert win.doc.node(spec.id).config["to"] == ["oncall@acme.io"]
    assert to.attention.isHidden()
    assert not fields["smtp_host"].attention.isHidden()
    # an optional field, or a value someone typed, is never marked
    http = win.editor.add_node("http", (0, 300))
    win.scene.select_nodes([http.id])
    assert not win.inspector.fields["url"].attention.isHidden()
    assert all(f.attention.isHidden() for n, f in win.inspector.fields.items() if n != "url")
