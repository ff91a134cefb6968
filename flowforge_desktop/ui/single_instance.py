"""One FlowForge Desktop per user session: a second launch hands its files to the first and exits.

The first instance listens on a QLocalServer named per user; a later ``flowforge-desktop [file.json]``
connects, sends one JSON line (``{"command": "open", "files": [...]}`` or ``{"command": "raise"}``),
waits for the one-line acknowledgement and exits. A stale socket left by a crashed instance is
removed when nobody answers on it.

Usage (before the event loop starts)::

    instance = SingleInstance()
    if not instance.acquire(files):      # another instance took the files
        return 0
    instance.message_received.connect(on_message)   # {"command": ..., "files": [...]}
"""

from __future__ import annotations

import getpass
import hashlib
import json
import logging
import os
import re
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

log = logging.getLogger(__name__)


def server_name(app_id: str = "flowforge-desktop") -> str:
    """Per user (and per data dir, so a test or a second profile gets its own instance)."""
    user = re.sub(r"[^A-Za-z0-9_.-]", "_", getpass.getuser())
    profile = os.environ.get("FLOWFORGE_DATA_DIR", "")
    suffix = f"-{hashlib.sha1(profile.encode()).hexdigest()[:8]}" if profile else ""
    return f"{app_id}-{user}{suffix}"


class SingleInstance(QObject):
    message_received = Signal(dict)

    def __init__(self, name: str | None = None, timeout_ms: int = 2000, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = name or server_name()
        self.timeout_ms = timeout_ms
        self.server: QLocalServer | None = None
        self._buffers: dict[QLocalSocket, bytes] = {}

    # --- second instance ---------------------------------------------------------------------------
    def send(self, message: dict[str, Any]) -> bool | None:
        """Deliver ``message`` to a running first instance.

        True: delivered. False: no instance listens. None: one is connected but did not answer.
        """
        socket = QLocalSocket()
        socket.connectToServer(self.name)
        if not socket.waitForConnected(self.timeout_ms):
            return False
        socket.write(json.dumps(message).encode() + b"\n")
        socket.flush()
        acknowledged = socket.waitForReadyRead(self.timeout_ms) and socket.readLine().data().strip() == b"ok"
        socket.disconnectFromServer()
        return True if acknowledged else None

    # --- first instance ----------------------------------------------------------------------------
    def acquire(self, files: list[str] | None = None) -> bool:
        """Become the first instance (True), or hand ``files`` / a raise request to it (False)."""
        files = [str(Path(f).expanduser().resolve()) for f in files or []]
        message = {"command": "open", "files": files} if files else {"command": "raise"}
        sent = self.send(message)
        if sent:
            log.info("FlowForge Desktop is already running; handed over %s", files or "a raise request")
            return False
        if sent is None:
            # two agents would fire every trigger twice: better to start nothing and say so
            log.error("another FlowForge Desktop is running but did not answer; not starting a second one")
            return False
        self.server = QLocalServer(self)
        self.server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        if not self.server.listen(self.name):
            # a crashed instance left its socket behind: nobody answered above, so it is stale
            QLocalServer.removeServer(self.name)
            if not self.server.listen(self.name):
                log.warning("single-instance server could not listen: %s", self.server.errorString())
                return True
        self.server.newConnection.connect(self._accept)
        return True

    def _accept(self) -> None:
        assert self.server is not None
        while self.server.hasPendingConnections():
            socket = self.server.nextPendingConnection()
            self._buffers[socket] = b""
            socket.readyRead.connect(lambda s=socket: self._read(s))
            socket.disconnected.connect(lambda s=socket: self._drop(s))

    def _read(self, socket: QLocalSocket) -> None:
        self._buffers[socket] = self._buffers.get(socket, b"") + socket.readAll().data()
        while b"\n" in self._buffers[socket]:
            line, rest = self._buffers[socket].split(b"\n", 1)
            self._buffers[socket] = rest
            try:
                message = json.loads(line)
                if not isinstance(message, dict):
                    raise ValueError("not an object")
            except ValueError:
                socket.write(b"error\n")
                continue
            socket.write(b"ok\n")
            socket.flush()
            self.message_received.emit(message)

    def _drop(self, socket: QLocalSocket) -> None:
        self._buffers.pop(socket, None)
        socket.deleteLater()

    def close(self) -> None:
        if self.server is not None:
            self.server.close()
            self.server = None


def raise_window(window: Any) -> None:
    """Bring a (possibly hidden or minimised) window to the front."""
    from PySide6.QtCore import Qt

    window.show()
    window.setWindowState((window.windowState() & ~Qt.WindowState.WindowMinimized) | Qt.WindowState.WindowActive)
    window.raise_()
    window.activateWindow()
