"""The document applies each edit fully or refuses it with a reason, and tells listeners."""

from __future__ import annotations

import pytest

from flowforge_desktop.model import Connection, EditRefused, WorkflowDocument, dumps
from flowforge_desktop.model.changes import (
    ConnectionAdded,
    ConnectionRemoved,
    NodeAdded,
    NodeRemoved,
    NodeUpdated,
    PinChanged,
)
from flowforge_desktop.model.schema import Group, StickyNote


@pytest.fixture
def doc() -> WorkflowDocument:
    d = WorkflowDocument("Sync orders")
    d.add_node(d.new_node("manual", (0, 0), node_id="start"))
    d.add_node(d.new_node("http", (200, 0), node_id="fetch", config={"url": "https://api.example.com/orders"}))
    d.add_node(d.new_node("branch", (400, 0), node_id="check", config={"condition": "status == `200`"}))
    d.connect("start", "fetch")
    d.connect("fetch", "check")
    return d


def test_cycle_is_refused_with_the_cycle_named(doc: WorkflowDocument) -> None:
    before = dumps(doc)
    with pytest.raises(EditRefused) as err:
        doc.connect("fetch", "start")
    # start is a trigger: no input port. Use a graph of actions for the cycle itself.
    assert str(err.value) == "node 'start' has no input port 'in'"
    doc.add_node(doc.new_node("http", node_id="post", config={"url": "https://x.example"}))
    doc.connect("check", "post", "true")
    with pytest.raises(EditRefused) as err:
        doc.connect("post", "fetch")
    assert str(err.value) == "connecting post -> fetch would create a cycle: fetch -> check -> post -> fetch"
    with pytest.raises(EditRefused) as err:
        doc.connect("post", "post")
    assert str(err.value) == "connecting post -> post would create a cycle: post -> post"
    assert "post" in dumps(doc) and before != dumps(doc)


def test_two_node_cycle_message_matches_the_issue() -> None:
    d = WorkflowDocument()
    d.add_node(d.new_node("http", node_id="start", config={"url": "https://a.example"}))
    d.add_node(d.new_node("http", node_id="fetch", config={"url": "https://b.example"}))
    d.connect("start", "fetch")
    with pytest.raises(EditRefused, match=r"^connecting fetch -> start would create a cycle: start -> fetch -> start$"):
        d.connect("fetch", "start")


def test_missing_port_and_duplicate_id_are_refused(doc: WorkflowDocument) -> None:
    with pytest.raises(EditRefused, match=r"^node 'fetch' has no output port 'true'$"):
        doc.connect("fetch", "check", "true")
    with pytest.raises(EditRefused, match=r"^a node with id 'fetch' already exists$"):
        doc.add_node(doc.new_node("http", node_id="fetch", config={"url": "https://x.example"}))
    with pytest.raises(EditRefused, match=r"^fetch.out is already connected to check.in$"):
        doc.connect("fetch", "check")


def test_bad_config_is_refused_and_nothing_changes(doc: WorkflowDocument) -> None:
    before = dumps(doc)
    with pytest.raises(EditRefused, match=r"^node 'fetch' config.url: invalid URL 'htp:/x'$"):
        doc.set_config("fetch", {"url": "htp:/x"})
    with pytest.raises(EditRefused, match=r"^node 'fetch' config.methd: unknown field \(check its spelling\)$"):
        doc.set_config("fetch", {"url": "https://x.example", "methd": "GET"})
    assert dumps(doc) == before


def test_error_port_exists_only_when_routing(doc: WorkflowDocument) -> None:
    doc.add_node(
        doc.new_node(
            "email",
            node_id="mail",
            config={"smtp_host": "localhost", "from_addr": "a@example.com", "to": ["b@example.com"]},
        )
    )
    with pytest.raises(EditRefused, match=r"^node 'fetch' has no output port 'error'$"):
        doc.connect("fetch", "mail", "error")
    doc.update_node("fetch", on_error="route")
    doc.connect("fetch", "mail", "error")
    with pytest.raises(EditRefused, match="would lose its output port 'error'"):
        doc.update_node("fetch", on_error="stop")
    assert [p.name for p in doc.output_ports("fetch")] == ["out", "error"]


def test_listeners_hear_each_change_and_remove_returns_everything(doc: WorkflowDocument) -> None:
    heard: list[object] = []
    doc.subscribe(heard.append)
    doc.pin("fetch", {"status": 200})
    doc.add_group(Group(id="g1", title="Fetching", nodes=("start", "fetch")))
    before = dumps(doc)
    heard.clear()
    fragment = doc.remove_node("fetch")
    kinds = [type(c) for c in heard]
    assert kinds.count(ConnectionRemoved) == 2 and NodeRemoved in kinds and PinChanged in kinds
    assert "fetch" not in doc and doc.groups[0].nodes == ("start",)
    doc.insert_fragment(fragment)
    assert dumps(doc) == before
    assert any(isinstance(c, NodeAdded) for c in heard) and any(isinstance(c, ConnectionAdded) for c in heard)


def test_move_rename_disable_notes_and_groups(doc: WorkflowDocument) -> None:
    changes: list[object] = []
    doc.subscribe(changes.append)
    doc.move_node("fetch", (10.5, 20))
    doc.rename_node("fetch", "Fetch orders")
    doc.set_disabled("check", True)
    assert [c.changed_fields for c in changes if isinstance(c, NodeUpdated)] == [{"position"}, {"name"}, {"disabled"}]
    doc.add_note(StickyNote(id="n1", text="remember"))
    doc.update_note("n1", text="changed")
    assert doc.notes[0].text == "changed"
    with pytest.raises(EditRefused, match=r"^group 'g': there is no node 'ghost'$"):
        doc.add_group(Group(id="g", nodes=("ghost",)))
    index, note = doc.remove_note("n1")
    assert (index, note.text) == (0, "changed") and doc.notes == ()


def test_disconnect_and_restore_keep_file_order(doc: WorkflowDocument) -> None:
    before = dumps(doc)
    conn = Connection("start", "fetch")
    order = doc.connection_order(conn)
    doc.disconnect(conn)
    with pytest.raises(EditRefused, match=r"^there is no connection start.out -> fetch.in$"):
        doc.disconnect(conn)
    doc.restore_connection(conn, order)
    assert dumps(doc) == before


def test_snapshot_is_frozen_against_later_edits(doc: WorkflowDocument) -> None:
    snap = doc.snapshot()
    doc.set_config("fetch", {"url": "https://changed.example"})
    doc.remove_node("check")
    assert snap.nodes["fetch"].config == {"url": "https://api.example.com/orders"}
    assert "check" in snap.nodes and [str(c) for c in snap.outgoing("fetch")] == ["fetch.out -> check.in"]


def test_downstream_marks_stale_nodes(doc: WorkflowDocument) -> None:
    assert doc.downstream(["fetch"]) == {"fetch", "check"}


def test_unique_ids_follow_the_kind(doc: WorkflowDocument) -> None:
    assert doc.new_node("http", config={"url": "https://x.example"}).id == "http"
    doc.add_node(doc.new_node("http", config={"url": "https://x.example"}))
    assert doc.new_node("http").id == "http_2"
    with pytest.raises(EditRefused, match=r"^unknown node kind 'htp' — did you mean 'http'\?$"):
        doc.new_node("htp")


def test_the_file_order_lists_exactly_the_graphs_connections_through_any_edits(doc: WorkflowDocument) -> None:
    def from_graph(d: WorkflowDocument) -> set[Connection]:
        return {Connection(s, t, fp, tp) for s, t, ports in d.graph.edges(data="ports") for fp, tp in ports}

    first = doc.connections()
    doc.add_node(doc.new_node("transform", (0, 0), node_id="extra"))
    doc.connect(first[0].target, "extra")
    order = doc.connection_order(first[0])
    doc.disconnect(first[0])
    fragment = doc.remove_nodes([first[-1].target])
    doc.insert_fragment(fragment)
    doc.restore_connection(first[0], order)
    assert set(doc.connections()) == from_graph(doc) and len(doc.connections()) == doc.connection_count()
    assert doc.connections()[0] == first[0]  # back in its place
    assert [n.id for n in doc.nodes()][-1] == "extra"
    loaded = WorkflowDocument.from_file(doc.to_file(), doc.registry)
    assert loaded.connections() == doc.connections() and set(loaded.connections()) == from_graph(loaded)
