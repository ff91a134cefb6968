"""Webhook request checks, pure so the local HTTP server and the tests share them.

A webhook with a secret expects ``X-Signature: sha256=<hex>``: the HMAC-SHA256 of the raw request
body keyed with the secret (the seed's format). An optional timestamp header bounds replays: a
request older or further in the future than the replay window is refused.
"""

from __future__ import annotations

import hashlib
import hmac
import time

SIGNATURE_HEADER = "X-Signature"
SIGNATURE_PREFIX = "sha256="


def sign(secret: str | bytes, raw_body: bytes) -> str:
    """The header value a sender puts in ``X-Signature`` for this body."""
    key = secret.encode() if isinstance(secret, str) else secret
    return SIGNATURE_PREFIX + hmac.new(key, raw_body, hashlib.sha256).hexdigest()


def verify_signature(secret: str | bytes, raw_body: bytes, header_value: str | None) -> bool:
    """True when ``header_value`` is ``sha256=<hex>`` of the body under ``secret``.

    Compared in constant time; a missing, empty or malformed header is simply False. An empty
    secret never verifies anything (a webhook without a secret must not call this).
    """
    if not secret or not header_value:
        return False
    value = header_value.strip()
    if not value.lower().startswith(SIGNATURE_PREFIX):
        return False
    given = value[len(SIGNATURE_PREFIX) :].strip().lower()
    expected = sign(secret, raw_body)[len(SIGNATURE_PREFIX) :]
    return hmac.compare_digest(expected.encode(), given.encode("ascii", "replace"))


def check_timestamp(header_value: str | None, window: float, now: float | None = None) -> str | None:
    """None when the UNIX timestamp is within ``window`` seconds of now; otherwise why it is refused.

    Accepts seconds or milliseconds (values above 10^11 are read as ms).
    """
    if header_value is None or not header_value.strip():
        return "the timestamp header is missing"
    try:
        stamp = float(header_value.strip())
    except ValueError:
        return f"the timestamp '{header_value.strip()[:40]}' is not a UNIX time in seconds"
    if stamp != stamp or stamp in (float("inf"), float("-inf")):
        return f"the timestamp '{header_value.strip()[:40]}' is not a UNIX time in seconds"
    if stamp > 1e11:
        stamp /= 1000.0
    now = time.time() if now is None else now
    age = now - stamp
    if abs(age) > window:
        direction = "old" if age > 0 else "far in the future"
        return f"the request is {abs(age):.0f} s {direction}; the replay window is {window:g} s"
    return None


def within_replay_window(header_value: str | None, window: float, now: float | None = None) -> bool:
    return check_timestamp(header_value, window, now) is None
