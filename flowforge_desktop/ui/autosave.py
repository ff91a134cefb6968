"""Autosave recovery files: what the app offers back after a crash.

Every window writes its unsaved document to ``<data dir>/autosave/<token>.json`` with a small
``.meta.json`` beside it (original path, process id, time). A clean save or close deletes both. At
start-up, files whose process is gone are offered back.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from flowforge_desktop.model.codec import atomic_write_text

_LIVE_TOKENS: set[str] = set()


def autosave_dir() -> Path:
    from flowforge_desktop.store.paths import data_dir

    path = data_dir() / "autosave"
    path.mkdir(parents=True, exist_ok=True)
    return path


@dataclass
class Recovery:
    token: str
    workflow_path: Path
    original_path: str | None
    name: str
    saved_at: float

    def describe(self) -> str:
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(self.saved_at))
        where = self.original_path or "a new, never saved workflow"
        return f"'{self.name}' ({where}), autosaved {when}"


class Autosaver:
    def __init__(self, directory: Path | None = None) -> None:
        self.directory = directory or autosave_dir()
        self.token = uuid.uuid4().hex
        _LIVE_TOKENS.add(self.token)

    @property
    def workflow_path(self) -> Path:
        return self.directory / f"{self.token}.json"

    @property
    def meta_path(self) -> Path:
        return self.directory / f"{self.token}.meta.json"

    def write(self, text: str, original_path: str | None, name: str) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        atomic_write_text(self.workflow_path, text)
        meta = {"path": original_path, "pid": os.getpid(), "saved_at": time.time(), "name": name}
        atomic_write_text(self.meta_path, json.dumps(meta))

    def discard(self) -> None:
        self.workflow_path.unlink(missing_ok=True)
        self.meta_path.unlink(missing_ok=True)

    def close(self) -> None:
        self.discard()
        _LIVE_TOKENS.discard(self.token)


def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def find_recoveries(directory: Path | None = None) -> list[Recovery]:
    """Autosaves left behind by processes that are gone (a crash, a kill, a power cut)."""
    directory = directory or autosave_dir()
    found: list[Recovery] = []
    for meta_path in sorted(directory.glob("*.meta.json")):
        token = meta_path.name.removesuffix(".meta.json")
        workflow_path = directory / f"{token}.json"
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        pid = int(meta.get("pid") or 0)
        if token in _LIVE_TOKENS or (pid != os.getpid() and _pid_alive(pid)):
            continue  # still being edited by a running window
        if not workflow_path.is_file():
            meta_path.unlink(missing_ok=True)
            continue
        found.append(
            Recovery(token, workflow_path, meta.get("path"), meta.get("name") or "Untitled", meta.get("saved_at", 0))
        )
    return found


def forget(recovery: Recovery) -> None:
    recovery.workflow_path.unlink(missing_ok=True)
    (recovery.workflow_path.parent / f"{recovery.token}.meta.json").unlink(missing_ok=True)
