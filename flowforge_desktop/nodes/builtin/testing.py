"""A small NodeContext for tests and for plugin authors who want to run a kind without the engine.

It holds a real ``httpx.AsyncClient``, runs blocking work on real threads and records log lines.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from flowforge_desktop.nodes.base import NodeConfig, NodeKind, TriggerContext


class RecordingHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    @property
    def lines(self) -> list[tuple[str, str]]:
        return [(r.levelname.lower(), r.getMessage()) for r in self.records]


class SimpleNodeContext:
    """Satisfies ``NodeContext``. Use as ``async with SimpleNodeContext() as ctx``."""

    def __init__(
        self,
        *,
        node_id: str = "node",
        trigger: Any = None,
        secrets: dict[str, str] | None = None,
        run_workflow: Callable[[str, Any], Awaitable[Any]] | None = None,
    ) -> None:
        self.node_id = node_id
        self.execution_id = "test-execution"
        self.workflow_id = "test-workflow"
        self.trigger = trigger
        self.secrets = dict(secrets or {})
        self.log = RecordingHandler()
        logger = logging.getLogger(f"flowforge.test.{node_id}.{id(self)}")
        logger.setLevel(logging.DEBUG)
        logger.propagate = False
        logger.addHandler(self.log)
        self.logger = logger
        self._client: httpx.AsyncClient | None = None
        self._run_workflow = run_workflow
        self.thread_calls = 0

    @property
    def http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient()
        return self._client

    async def to_thread(self, func: Callable[..., Any], /, *args: Any) -> Any:
        self.thread_calls += 1
        return await asyncio.to_thread(func, *args)

    def render(self, template: str, **extra: Any) -> Any:
        return template

    async def run_workflow(self, path: str, input: Any) -> Any:
        if self._run_workflow is None:
            raise RuntimeError("this context cannot run workflows")
        return await self._run_workflow(path, input)

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()

    async def __aenter__(self) -> SimpleNodeContext:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


def make(kind: type[NodeKind], **config: Any) -> NodeKind:
    """An instance of ``kind`` bound to a validated config."""
    cfg: NodeConfig = kind.Config.model_validate(config)
    return kind(cfg)


async def run_node(kind: type[NodeKind], config: dict[str, Any], value: Any = None, **ctx_args: Any) -> Any:
    """Run one node on one input value (port 'in') with a fresh context."""
    async with SimpleNodeContext(**ctx_args) as ctx:
        return await make(kind, **config).run(ctx, {"in": value} if value is not None else {})


class FireRecorder:
    """A TriggerContext whose ``fire`` records payloads and lets a test await the next one."""

    def __init__(self, node_id: str = "trigger") -> None:
        self.payloads: list[Any] = []
        self._event = asyncio.Event()
        self.ctx = TriggerContext(
            workflow_id="test-workflow", node_id=node_id, logger=logging.getLogger("flowforge.test"), fire=self.fire
        )

    async def fire(self, payload: Any) -> str:
        self.payloads.append(payload)
        self._event.set()
        return f"execution-{len(self.payloads)}"

    async def wait_for(self, count: int, timeout: float = 5.0) -> list[Any]:
        async def _wait() -> None:
            while len(self.payloads) < count:
                self._event.clear()
                await self._event.wait()

        await asyncio.wait_for(_wait(), timeout)
        return self.payloads


def self_signed_certificate(folder: str | os.PathLike[str], host: str = "127.0.0.1") -> tuple[str, str]:
    """Write a self-signed certificate and key for ``host`` (an IP) into ``folder``; return their paths.

    Needs the ``cryptography`` package (tests of TLS against loopback servers).
    """
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(host))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = os.path.join(folder, "cert.pem"), os.path.join(folder, "key.pem")
    with open(cert_file, "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(key_file, "wb") as f:
        f.write(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
    return cert_file, key_file
