"""Webhook signature (HMAC-SHA256, `sha256=<hex>`) and replay-window checks."""

from __future__ import annotations

import hashlib
import hmac

from flowforge_desktop.nodes.builtin.webhook_auth import check_timestamp, sign, verify_signature, within_replay_window

BODY = b'{"event": "order.created", "data": {"id": 7}}'


def test_signature_made_by_the_seed_recipe_verifies() -> None:
    header = "sha256=" + hmac.new(b"s3cret", BODY, hashlib.sha256).hexdigest()
    assert sign("s3cret", BODY) == header
    assert verify_signature("s3cret", BODY, header)
    assert verify_signature(b"s3cret", BODY, header.upper().replace("SHA256=", "sha256="))  # hex case ignored


def test_wrong_secret_changed_body_or_malformed_header_do_not_verify() -> None:
    header = sign("s3cret", BODY)
    assert not verify_signature("other", BODY, header)
    assert not verify_signature("s3cret", BODY + b" ", header)
    assert not verify_signature("s3cret", BODY, header.removeprefix("sha256="))
    assert not verify_signature("s3cret", BODY, "sha1=" + header[7:])
    assert not verify_signature("s3cret", BODY, "sha256=zz")
    assert not verify_signature("s3cret", BODY, "sha256=é")
    assert not verify_signature("s3cret", BODY, None)
    assert not verify_signature("s3cret", BODY, "")
    assert not verify_signature("", BODY, sign("", BODY))  # an empty secret verifies nothing


def test_replay_window_accepts_fresh_and_refuses_stale_or_future_requests() -> None:
    now = 1_800_000_000.0
    assert check_timestamp(str(int(now - 299)), 300, now) is None
    assert check_timestamp(str(int((now - 10) * 1000)), 300, now) is None  # milliseconds
    assert within_replay_window(str(now + 5), 300, now)
    assert check_timestamp(str(now - 301), 300, now) == "the request is 301 s old; the replay window is 300 s"
    assert (
        check_timestamp(str(now + 900), 300, now)
        == "the request is 900 s far in the future; the replay window is 300 s"
    )
    assert check_timestamp(None, 300, now) == "the timestamp header is missing"
    assert check_timestamp("yesterday", 300, now) == "the timestamp 'yesterday' is not a UNIX time in seconds"
    assert check_timestamp("nan", 300, now) == "the timestamp 'nan' is not a UNIX time in seconds"
    assert not within_replay_window("  ", 300, now)
