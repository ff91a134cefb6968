"""The email node against a real aiosmtpd server on 127.0.0.1: plain, login, STARTTLS and SSL."""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword

from flowforge_desktop.nodes.base import NodeError
from flowforge_desktop.nodes.builtin.actions import EmailAction
from flowforge_desktop.nodes.builtin.testing import SimpleNodeContext, make, self_signed_certificate


class Inbox:
    def __init__(self) -> None:
        self.envelopes: list[Envelope] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Envelope) -> str:
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    def message(self, i: int = -1) -> email.message.EmailMessage:
        return email.message_from_bytes(self.envelopes[i].content, policy=email.policy.default)  # type: ignore[arg-type,return-value]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and auth_data.login == b"robot" and auth_data.password == b"pw"
    return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd answers 535 itself


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    pytest.importorskip("cryptography")
    cert, key = self_signed_certificate(tmp_path_factory.mktemp("tls"))
    return Path(cert), Path(key)


def server_context(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*map(str, certificate))
    return context


def smtp(inbox: Inbox, **kwargs: Any) -> Iterator[Controller]:
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port(), **kwargs)
    controller.start()
    try:
        yield controller
    finally:
        controller.stop()


def send(port: int, **config: Any) -> Any:
    base = {"smtp_host": "127.0.0.1", "smtp_port": port, "security": "none", "timeout": 5}
    base.update(config)

    async def go() -> Any:
        async with SimpleNodeContext() as ctx:
            return await make(EmailAction, **base).run(ctx, {})

    return asyncio.run(go())


MAIL = {
    "from_addr": "flowforge@example.com",
    "to": ["oncall@example.com"],
    "cc": ["lead@example.com"],
    "bcc": ["audit@example.com"],
    "subject": "Health check failed: 503 from /health",
    "body": "The health check failed at 2026-11-29T04:00:00Z.\n\n503 Service Unavailable",
    "html": "<p>The health check <b>failed</b>.</p>",
}


def test_message_arrives_with_subject_body_html_and_all_recipients() -> None:
    inbox = Inbox()
    for controller in smtp(inbox):
        out = send(controller.port, **MAIL)
    assert out["sent"] and out["refused"] == {}
    assert out["recipients"] == ["oncall@example.com", "lead@example.com", "audit@example.com"]
    envelope = inbox.envelopes[0]
    assert envelope.mail_from == "flowforge@example.com"
    assert envelope.rcpt_tos == ["oncall@example.com", "lead@example.com", "audit@example.com"]
    message = inbox.message()
    assert message["Subject"] == "Health check failed: 503 from /health"
    assert message["To"] == "oncall@example.com"
    assert message["Cc"] == "lead@example.com"
    assert message["Bcc"] is None  # blind copies travel in the envelope only
    assert message["Message-ID"] == out["message_id"]
    assert message.get_body(("plain",)).get_content().startswith("The health check failed at 2026-11-29T04:00:00Z.")
    assert message.get_body(("html",)).get_content().strip() == "<p>The health check <b>failed</b>.</p>"


def test_login_is_used_when_a_username_is_set_and_a_refusal_names_the_user() -> None:
    inbox = Inbox()
    kwargs = {"authenticator": authenticator, "auth_require_tls": False}
    for controller in smtp(inbox, **kwargs):
        send(controller.port, username="robot", password="pw", **MAIL)
        with pytest.raises(NodeError) as err:
            send(controller.port, username="robot", password="wrong", **MAIL)
    assert len(inbox.envelopes) == 1
    assert err.value.message.startswith(
        f"the SMTP server at 127.0.0.1:{controller.port} refused the login of 'robot': "
    )
    assert not err.value.retryable


def test_starttls_with_a_trusted_certificate_and_a_clear_error_with_an_untrusted_one(
    certificate: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    inbox = Inbox()
    for controller in smtp(inbox, tls_context=server_context(certificate), require_starttls=True):
        with pytest.raises(NodeError) as err:
            send(controller.port, security="starttls", **MAIL)
        monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))
        send(controller.port, security="starttls", **MAIL)
    assert err.value.message.startswith(f"TLS with the SMTP server at 127.0.0.1:{controller.port} failed: ")
    assert "CERTIFICATE_VERIFY_FAILED" in err.value.message
    assert len(inbox.envelopes) == 1
    assert inbox.message()["Subject"] == MAIL["subject"]


def test_ssl_from_the_first_byte(certificate: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))
    inbox = Inbox()
    for controller in smtp(inbox, ssl_context=server_context(certificate)):
        send(controller.port, security="ssl", **MAIL)
    assert inbox.message()["To"] == "oncall@example.com"


def test_starttls_missing_on_the_server_and_no_server_at_all_are_clear_errors() -> None:
    inbox = Inbox()
    for controller in smtp(inbox):
        with pytest.raises(NodeError) as err:
            send(controller.port, security="starttls", **MAIL)
    assert err.value.message == (
        f"the SMTP server at 127.0.0.1:{controller.port} does not offer STARTTLS: set security to 'ssl' or 'none'"
    )
    port = free_port()
    with pytest.raises(NodeError) as err:
        send(port, **MAIL)
    assert err.value.message == f"cannot reach the SMTP server at 127.0.0.1:{port}: Connection refused"
    assert err.value.retryable


def test_addresses_are_checked_after_rendering_naming_the_field() -> None:
    with pytest.raises(ValueError, match=r"invalid email address 'nobody'"):
        make(EmailAction, smtp_host="h", from_addr="a@b.c", to=["nobody"])
    node = make(EmailAction, smtp_host="127.0.0.1", from_addr="a@b.c", to=["{{ input.to }}"])
    node.config.to = ["not an address"]  # what the template rendered into
    with pytest.raises(NodeError, match=r"^to\[0\]: invalid email address 'not an address'$"):
        asyncio.run(node.run(SimpleNodeContext(), {}))
