"""The http node against a real aiohttp server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import base64
import json
import socket
import ssl
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp import web
from ff_http import serve_app

from flowforge_desktop.nodes.base import NodeError
from flowforge_desktop.nodes.builtin.actions import HttpAction, retry_after_seconds
from flowforge_desktop.nodes.builtin.testing import SimpleNodeContext, make, self_signed_certificate

Scenario = Callable[[str], Awaitable[None]]


async def echo(request: web.Request) -> web.Response:
    body = await request.read()
    return web.json_response(
        {
            "method": request.method,
            "path": request.path,
            "query": dict(request.query),
            "headers": {k.lower(): v for k, v in request.headers.items()},
            "body": body.decode(),
        },
        headers={"X-Served-By": "test"},
    )


async def status(request: web.Request) -> web.Response:
    code = int(request.match_info["code"])
    headers = {"Retry-After": request.query["retry_after"]} if "retry_after" in request.query else {}
    return web.Response(status=code, text=f"status {code}", headers=headers)


async def slow(request: web.Request) -> web.Response:
    await asyncio.sleep(0.5)
    return web.Response(text="late")


async def redirect(request: web.Request) -> web.Response:
    raise web.HTTPFound("/echo?from=redirect")


def serve(scenario: Scenario) -> None:
    async def main() -> None:
        app = web.Application()
        app.router.add_route("*", "/echo", echo)
        app.router.add_get("/status/{code}", status)
        app.router.add_get("/slow", slow)
        app.router.add_get("/redirect", redirect)
        app.router.add_get("/text", text)
        async with serve_app(app) as base:
            await scenario(base)

    asyncio.run(main())


async def text(request: web.Request) -> web.Response:
    return web.Response(text="plain words", content_type="text/plain")


async def call(**config: Any) -> Any:
    async with SimpleNodeContext() as ctx:
        return await make(HttpAction, **config).run(ctx, {})


def test_post_json_with_headers_query_and_bearer_auth() -> None:
    async def scenario(base: str) -> None:
        out = await call(
            method="POST",
            url=f"{base}/echo",
            headers={"X-Trace": "abc"},
            query={"page": "2"},
            body_type="json",
            body={"id": 7, "tags": ["a"]},
            auth="bearer",
            password="tok123",
        )
        assert out["status"] == 200
        assert out["headers"]["x-served-by"] == "test"
        sent = out["body"]
        assert sent["method"] == "POST"
        assert sent["query"] == {"page": "2"}
        assert sent["headers"]["x-trace"] == "abc"
        assert sent["headers"]["authorization"] == "Bearer tok123"
        assert sent["headers"]["content-type"] == "application/json"
        assert json.loads(sent["body"]) == {"id": 7, "tags": ["a"]}

    serve(scenario)


def test_form_raw_basic_auth_text_body_and_redirects() -> None:
    async def scenario(base: str) -> None:
        form = await call(method="PUT", url=f"{base}/echo", body_type="form", body={"a": "1", "b": [1, 2]})
        assert form["body"]["body"] == "a=1&b=%5B1%2C+2%5D"
        raw = await call(
            method="PATCH", url=f"{base}/echo", body_type="raw", body="hello", auth="basic", username="u", password="p"
        )
        assert raw["body"]["body"] == "hello"
        assert raw["body"]["headers"]["authorization"] == "Basic " + base64.b64encode(b"u:p").decode()
        text = await call(url=f"{base}/text")
        assert text["body"] == "plain words"
        followed = await call(url=f"{base}/redirect")
        assert followed["body"]["query"] == {"from": "redirect"}
        kept = await call(url=f"{base}/redirect", follow_redirects=False, fail_on_status=False)
        assert kept["status"] == 302

    serve(scenario)


def test_non_2xx_is_an_error_retryable_only_for_5xx_and_429_with_retry_after() -> None:
    async def scenario(base: str) -> None:
        with pytest.raises(NodeError) as err:
            await call(url=f"{base}/status/404")
        assert err.value.message == (
            f"GET {base}/status/404 answered 404 Not Found (set fail_on_status to false to continue with the response)"
        )
        assert not err.value.retryable
        assert err.value.details["body"] == "status 404"
        with pytest.raises(NodeError) as err:
            await call(url=f"{base}/status/503", query={"retry_after": "7"})
        assert err.value.message == f"GET {base}/status/503 answered 503 Service Unavailable"
        assert err.value.retryable and err.value.retry_after == 7.0
        with pytest.raises(NodeError) as err:
            await call(url=f"{base}/status/429")
        assert err.value.retryable and err.value.retry_after is None
        assert make(HttpAction, url=base).is_retryable(err.value)
        passed = await call(url=f"{base}/status/500", fail_on_status=False)
        assert passed == {"status": 500, "headers": passed["headers"], "body": "status 500"}

    serve(scenario)


def test_timeouts_and_refused_connections_are_retryable_errors() -> None:
    async def scenario(base: str) -> None:
        with pytest.raises(NodeError) as err:
            await call(url=f"{base}/slow", timeout=0.2)
        assert err.value.message == f"GET {base}/slow timed out after 0.2 s"
        assert err.value.retryable

    serve(scenario)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    with pytest.raises(NodeError) as err:
        asyncio.run(call(url=f"http://127.0.0.1:{port}/x"))
    assert err.value.message.startswith(f"GET http://127.0.0.1:{port}/x failed: ")
    assert err.value.retryable


def test_misconfiguration_fails_the_node_naming_the_field() -> None:
    with pytest.raises(ValueError, match=r"invalid URL 'htp:/x'"):
        make(HttpAction, url="htp:/x")
    # A template that rendered into something that is not a URL is caught at run time.
    node = make(HttpAction, url="http://x")
    node.config.url = "not a url"  # what a template could render into
    with pytest.raises(NodeError, match=r"^url: invalid URL 'not a url'$"):
        asyncio.run(node.run(SimpleNodeContext(), {}))
    with pytest.raises(NodeError, match=r"^auth is 'bearer' but password \(the token\) is empty: refer to a secret$"):
        asyncio.run(call(url="http://127.0.0.1:9/", auth="bearer"))
    with pytest.raises(NodeError, match=r"^auth is 'basic' but username is empty: set username and password$"):
        asyncio.run(call(url="http://127.0.0.1:9/", auth="basic"))
    with pytest.raises(ValueError, match="body must be a mapping of field -> value when body_type is 'form'"):
        make(HttpAction, url="http://x", body_type="form", body="a=1")


def test_retry_after_reads_seconds_and_http_dates() -> None:
    assert retry_after_seconds("120") == 120.0
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # in the past
    assert retry_after_seconds("soon") is None
    assert retry_after_seconds(None) is None


def test_https_with_an_untrusted_certificate_fails_clearly_unless_verify_tls_is_off(tmp_path: Any) -> None:
    pytest.importorskip("cryptography")
    cert, key = self_signed_certificate(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)

    async def main() -> None:
        app = web.Application()
        app.router.add_route("*", "/echo", echo)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=context)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        url = f"https://127.0.0.1:{port}/echo"
        try:
            with pytest.raises(NodeError) as err:
                await call(url=url)
            assert err.value.message.startswith(f"GET {url}: the server's TLS certificate is not trusted (")
            assert err.value.message.endswith("); set verify_tls to false only if you trust this server")
            assert not err.value.retryable
            out = await call(url=url, verify_tls=False)
            assert out["status"] == 200 and out["body"]["method"] == "GET"
        finally:
            await runner.cleanup()

    asyncio.run(main())
