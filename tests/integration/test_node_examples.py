"""The three examples run end to end with `flowforge-desktop run` against local stand-ins.

Each test copies an example, points it at stand-ins this test starts (an aiohttp server and an
aiosmtpd server on 127.0.0.1, a temp folder), and runs it through the real CLI and engine.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import json
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiosmtpd.controller import Controller

from flowforge_desktop.cli import main


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class StandIn:
    """An aiohttp server on its own thread, recording what it was sent."""

    def __init__(self, health_status: int = 200) -> None:
        self.health_status = health_status
        self.received: list[Any] = []
        self.port = free_port()
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    async def _health(self, request: web.Request) -> web.Response:
        return web.json_response({"ok": self.health_status == 200}, status=self.health_status)

    async def _orders(self, request: web.Request) -> web.Response:
        self.received.append(await request.json())
        return web.json_response({"stored": True}, status=201)

    def _serve(self) -> None:
        asyncio.set_event_loop(self._loop)
        app = web.Application()
        app.router.add_get("/health", self._health)
        app.router.add_post("/orders", self._orders)
        self._runner = web.AppRunner(app)
        self._loop.run_until_complete(self._runner.setup())
        self._loop.run_until_complete(web.TCPSite(self._runner, "127.0.0.1", self.port).start())
        self._ready.set()
        self._loop.run_forever()

    def __enter__(self) -> StandIn:
        self._thread.start()
        self._ready.wait(5)
        return self

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(
            (envelope.rcpt_tos, email.message_from_bytes(envelope.content, policy=email.policy.default))
        )
        return "250 OK"


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, int]]:
    box = Inbox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield box, controller.port
    controller.stop()


def example(examples_dir: Path, name: str, tmp_path: Path, **node_config: dict[str, Any]) -> Path:
    data = json.loads((examples_dir / name).read_text())
    for node in data["nodes"]:
        node["config"].update(node_config.get(node["id"], {}))
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return path


def run(path: Path, capsys: pytest.CaptureFixture[str], payload: Any = None) -> tuple[int, Any, str]:
    args = ["run", str(path), "--no-history", "--output"]
    if payload is not None:
        args += ["--input", json.dumps(payload)]
    code = main(args)
    out = capsys.readouterr().out
    start = out.rfind("\n{") if "\n{" in out else out.rfind("\n[")
    tail = out[start:].strip() if start >= 0 else "null"
    try:
        output = json.loads(tail)
    except ValueError:
        output = tail
    return code, output, out


def test_health_check_emails_the_on_call_when_the_service_fails(
    examples_dir: Path, tmp_path: Path, inbox: tuple[Inbox, int], capsys: pytest.CaptureFixture[str]
) -> None:
    box, smtp_port = inbox
    with StandIn(health_status=503) as service:
        path = example(
            examples_dir,
            "health_check.json",
            tmp_path,
            check={"url": f"http://127.0.0.1:{service.port}/health", "retry_delay": 0.01},
            alert={"smtp_port": smtp_port},
        )
        code, _, out = run(path, capsys)
    assert code == 0, out  # the failure was routed to the alert, which succeeded
    assert len(box.messages) == 1
    recipients, message = box.messages[0]
    assert recipients == ["oncall@example.com"]
    assert message["Subject"].startswith("Health check failed: GET http://127.0.0.1:")
    assert "answered 503 Service Unavailable" in message["Subject"]
    assert "answered 503 Service Unavailable" in message.get_content()


def test_health_check_sends_nothing_when_the_service_is_healthy(
    examples_dir: Path, tmp_path: Path, inbox: tuple[Inbox, int], capsys: pytest.CaptureFixture[str]
) -> None:
    box, smtp_port = inbox
    with StandIn(health_status=200) as service:
        path = example(
            examples_dir,
            "health_check.json",
            tmp_path,
            check={"url": f"http://127.0.0.1:{service.port}/health"},
            alert={"smtp_port": smtp_port},
        )
        code, _, out = run(path, capsys)
    assert code == 0, out
    assert box.messages == []


def test_webhook_forward_posts_orders_on_and_skips_other_events(
    examples_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # No FLOWFORGE_SECRET_WEBHOOK_SECRET: a run does not render the webhook's config, the server does.
    monkeypatch.delenv("FLOWFORGE_SECRET_WEBHOOK_SECRET", raising=False)
    with StandIn() as service:
        path = example(
            examples_dir, "webhook_forward.json", tmp_path, forward={"url": f"http://127.0.0.1:{service.port}/orders"}
        )
        order = {"body": {"event": "order.created", "data": {"id": 7, "total": 42.5}}}
        code, output, out = run(path, capsys, order)
        assert code == 0, out
        assert output["body"] == {"stored": True} and output["status"] == 201
        code, _, out = run(path, capsys, {"body": {"event": "order.deleted", "data": {"id": 8}}})
        assert code == 0, out
    assert service.received == [{"id": 7, "total": 42.5}]


def test_csv_watcher_reads_the_new_file_and_summarizes_paid_orders(
    examples_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inbox_dir = tmp_path / "inbox"
    inbox_dir.mkdir()
    csv_file = inbox_dir / "orders.csv"
    csv_file.write_text("id,customer,status,amount\n1,ada,paid,30\n2,bob,open,5\n3,ada,paid,12.5\n4,bob,paid,7\n")
    path = example(examples_dir, "csv_watcher.json", tmp_path, new_file={"watch_path": str(inbox_dir)})
    payload = {"path": str(csv_file), "name": "orders.csv", "event": "created", "size": csv_file.stat().st_size}
    code, output, out = run(path, capsys, payload)
    assert code == 0, out
    assert output == [{"customer": "ada", "orders": 2, "total": 42.5}, {"customer": "bob", "orders": 1, "total": 7}]
    json_file = inbox_dir / "orders.json"
    json_file.write_text(
        '[{"id": 5, "customer": "cy", "status": "paid", "amount": 3}, {"id": 6, "customer": "cy", "status": "open"}]'
    )
    payload = {"path": str(json_file), "name": "orders.json", "event": "created", "size": json_file.stat().st_size}
    code, output, out = run(path, capsys, payload)
    assert code == 0, out
    assert output == [{"customer": "cy", "orders": 1, "total": 3}]
