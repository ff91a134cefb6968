"""Webhook endpoints: what the local server needs to know about one armed webhook trigger, and its checks.

Signature (the seed's format): ``X-Signature: sha256=<hex>``, the HMAC-SHA256 of the raw body keyed
with the trigger's secret, compared in constant time. When the trigger names a timestamp header,
the request's UNIX time (seconds or milliseconds) must be within ``replay_window`` seconds of now,
and a signature already accepted inside the window is refused as a replay (the timestamp is not
part of the signed bytes, so an identical signed body is accepted once per window).

The signature and timestamp checks are the node library's (``nodes/builtin/webhook_auth.py``): one
implementation for the server and the webhook node.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from flowforge_desktop.nodes.builtin.webhook_auth import check_timestamp, verify_signature

SIGNATURE_HEADER = "X-Signature"
_SECRET_REF = re.compile(r"^\{\{\s*secrets\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}$")


class SignatureError(Exception):
    """Why a request's signature was refused; the message is sent back with the 401."""


def resolve_secret(value: str, secrets: Mapping[str, str]) -> str | None:
    """A literal secret, or the named secret for '{{ secrets.NAME }}'; None when that secret is not set."""
    match = _SECRET_REF.match(value.strip())
    if not match:
        return value
    return secrets.get(match.group(1))


class ReplayGuard:
    """Signatures seen inside the replay window; each one is accepted once."""

    def __init__(self) -> None:
        self._seen: dict[str, float] = {}

    def check_and_remember(self, signature: str, window: float, now: float) -> bool:
        if len(self._seen) > 1024:
            self._seen = {s: t for s, t in self._seen.items() if t > now}
        expiry = self._seen.get(signature)
        if expiry is not None and expiry > now:
            return False
        self._seen[signature] = now + window
        return True


def verify_request(
    *,
    secret: str,
    body: bytes,
    headers: Mapping[str, str],
    timestamp_header: str = "",
    replay_window: float = 300.0,
    guard: ReplayGuard | None = None,
    now: float | None = None,
) -> None:
    """Raise SignatureError unless the request is signed with ``secret`` (and fresh, when timestamped)."""
    given = headers.get(SIGNATURE_HEADER)
    if not given or not given.strip():
        raise SignatureError(f"missing {SIGNATURE_HEADER} header (expected 'sha256=<hex HMAC of the body>')")
    if not given.strip().lower().startswith("sha256="):
        raise SignatureError(f"{SIGNATURE_HEADER} must look like 'sha256=<hex>'")
    now = time.time() if now is None else now
    if timestamp_header:
        problem = check_timestamp(headers.get(timestamp_header), replay_window, now)
        if problem:
            raise SignatureError(f"{timestamp_header}: {problem}")
    if not verify_signature(secret, body, given):
        raise SignatureError("signature does not match the body")
    if (
        timestamp_header
        and guard is not None
        and not guard.check_and_remember(given.strip().lower(), replay_window, now)
    ):
        raise SignatureError("this signed request was already received (replay)")


def request_payload(
    webhook_id: str, method: str, path: str, query: Mapping[str, str], headers: Mapping[str, str], body: bytes
) -> dict[str, Any]:
    """What the trigger node outputs: the request, with the body parsed when it is JSON."""
    text = body.decode("utf-8", errors="replace")
    parsed: Any = text
    content_type = headers.get("Content-Type", "")
    if body and ("json" in content_type or text.lstrip()[:1] in ("{", "[")):
        try:
            parsed = json.loads(text)
        except ValueError:
            parsed = text
    return {
        "webhook_id": webhook_id,
        "method": method,
        "path": path,
        "query": dict(query),
        "headers": {k: v for k, v in headers.items() if k.lower() not in ("authorization", "cookie")},
        "body": parsed,
        "received_at": time.time(),
    }


@dataclass(eq=False)
class WebhookEndpoint:
    """One armed webhook trigger as the server sees it. ``fire(payload)`` returns a QueuedRun."""

    webhook_id: str
    workflow_id: str
    node_id: str
    fire: Callable[[Any], Awaitable[Any]]
    secret: str | None = ""  # None: the trigger names a secret that is not set
    secret_name: str = ""
    methods: tuple[str, ...] = ("POST",)
    timestamp_header: str = ""
    replay_window: float = 300.0
    max_body_bytes: int = 1_048_576
    response_mode: str = "immediate"
    response_node: str | None = None
    response_timeout: float = 30.0
    guard: ReplayGuard = field(default_factory=ReplayGuard)

    @classmethod
    def from_config(
        cls,
        config: Any,
        *,
        workflow_id: str,
        node_id: str,
        fire: Callable[[Any], Awaitable[Any]],
        secrets: Mapping[str, str],
    ) -> WebhookEndpoint:
        raw_secret = config.secret or ""
        match = _SECRET_REF.match(raw_secret.strip())
        return cls(
            webhook_id=config.webhook_id,
            workflow_id=workflow_id,
            node_id=node_id,
            fire=fire,
            secret=resolve_secret(raw_secret, secrets) if raw_secret else "",
            secret_name=match.group(1) if match else "",
            methods=tuple(config.methods),
            timestamp_header=config.timestamp_header,
            replay_window=config.replay_window,
            max_body_bytes=config.max_body_bytes,
            response_mode=config.response_mode,
            response_node=config.response_node,
            response_timeout=config.response_timeout,
        )
