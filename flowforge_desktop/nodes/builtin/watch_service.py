"""One watchdog Observer for every file-watch trigger in the process.

inotify limits (watches, instances, queued events) are per user, and each Observer costs an
instance and a thread, so all file-watch triggers share one. Two triggers on the same folder share
one watch. When the kernel refuses a native watch (OSError 28 / 24: the inotify limits), the folder
is watched by polling instead, and the reason is kept so the agent and the inspector can show it.
"""

from __future__ import annotations

import errno
import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver, ObservedWatch
from watchdog.observers.polling import PollingObserver

log = logging.getLogger(__name__)

EventCallback = Callable[[FileSystemEvent], None]

LIMIT_ERRNOS = {errno.ENOSPC, errno.EMFILE, errno.ENFILE}
POLLING_MESSAGE = (
    "the system's file-watch limit is reached ({reason}); watching '{path}' by polling every {interval:g} s "
    "instead. To watch natively, raise the limit, e.g. "
    "`sudo sysctl fs.inotify.max_user_watches=524288 fs.inotify.max_user_instances=512`."
)


class _FanOut(FileSystemEventHandler):
    """The single handler of one watch; hands each event to every subscriber of that folder."""

    def __init__(self) -> None:
        self.callbacks: list[EventCallback] = []

    def dispatch(self, event: FileSystemEvent) -> None:
        for callback in list(self.callbacks):
            try:
                callback(event)
            except Exception:  # one trigger's bug must not silence the others
                log.exception("file-watch callback failed")


@dataclass
class _Entry:
    observer: BaseObserver
    watch: ObservedWatch
    handler: _FanOut = field(default_factory=_FanOut)


@dataclass(frozen=True)
class Subscription:
    key: tuple[str, bool]
    callback: EventCallback
    polling: bool
    message: str


class WatchService:
    """Subscribes callbacks to folders; callbacks run on watchdog's thread."""

    def __init__(
        self,
        observer_factory: Callable[[], BaseObserver] = Observer,
        polling_interval: float = 1.0,
    ) -> None:
        self._observer_factory = observer_factory
        self._polling_interval = polling_interval
        self._native: BaseObserver | None = None
        self._polling: BaseObserver | None = None
        self._entries: dict[tuple[str, bool], _Entry] = {}
        self._lock = threading.Lock()
        self.fallback_messages: list[str] = []

    def subscribe(self, path: str, recursive: bool, callback: EventCallback) -> Subscription:
        key = (os.path.realpath(path), recursive)
        with self._lock:
            entry = self._entries.get(key)
            message = ""
            if entry is None:
                entry, message = self._schedule(key)
                self._entries[key] = entry
            entry.handler.callbacks.append(callback)
            return Subscription(key, callback, entry.observer is self._polling, message)

    def unsubscribe(self, subscription: Subscription) -> None:
        with self._lock:
            entry = self._entries.get(subscription.key)
            if entry is None:
                return
            if subscription.callback in entry.handler.callbacks:
                entry.handler.callbacks.remove(subscription.callback)
            if not entry.handler.callbacks:
                del self._entries[subscription.key]
                try:
                    entry.observer.unschedule(entry.watch)
                except (KeyError, OSError):
                    pass  # the folder vanished and watchdog already dropped the watch

    def _schedule(self, key: tuple[str, bool]) -> tuple[_Entry, str]:
        path, recursive = key
        handler = _FanOut()
        try:
            observer = self._native_observer()
            watch = observer.schedule(handler, path, recursive=recursive)
            return _Entry(observer, watch, handler), ""
        except OSError as exc:
            if exc.errno not in LIMIT_ERRNOS:
                raise
            message = POLLING_MESSAGE.format(reason=os.strerror(exc.errno), path=path, interval=self._polling_interval)
            log.warning("%s", message)
            self.fallback_messages.append(message)
            observer = self._polling_observer()
            watch = observer.schedule(handler, path, recursive=recursive)
            return _Entry(observer, watch, handler), message

    def _native_observer(self) -> BaseObserver:
        if self._native is None:
            observer = self._observer_factory()
            observer.daemon = True
            observer.start()
            self._native = observer
        return self._native

    def _polling_observer(self) -> BaseObserver:
        if self._polling is None:
            observer = PollingObserver(timeout=self._polling_interval)
            observer.daemon = True
            observer.start()
            self._polling = observer
        return self._polling

    @property
    def watch_count(self) -> int:
        return len(self._entries)

    def stop(self) -> None:
        """Stop the observers (at exit; a later subscribe starts them again)."""
        with self._lock:
            observers = [o for o in (self._native, self._polling) if o is not None]
            self._native = self._polling = None
            self._entries.clear()
        for observer in observers:
            observer.stop()
        for observer in observers:
            observer.join(timeout=5)


_service: WatchService | None = None
_service_lock = threading.Lock()


def watch_service() -> WatchService:
    """The process-wide service every file-watch trigger uses."""
    global _service
    with _service_lock:
        if _service is None:
            _service = WatchService()
        return _service
