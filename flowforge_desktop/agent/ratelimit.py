"""Fixed-window request limits per client for /api/v1, with the numbers the X-RateLimit-* headers report."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    reset_at: float  # UNIX time the window ends
    retry_after: float  # seconds until a refused client may try again (0 when allowed)

    def headers(self) -> dict[str, str]:
        out = {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(math.ceil(self.reset_at)),
        }
        if not self.allowed:
            out["Retry-After"] = str(max(1, math.ceil(self.retry_after)))
        return out


class FixedWindowLimiter:
    def __init__(self, limit: int, window: float, clock: callable = time.time) -> None:  # type: ignore[valid-type]
        self.limit = limit
        self.window = window
        self._clock = clock
        self._windows: dict[str, tuple[float, int]] = {}

    def hit(self, client: str) -> Decision:
        now = self._clock()
        start, count = self._windows.get(client, (now, 0))
        if now - start >= self.window:
            start, count = now, 0
        reset_at = start + self.window
        if count >= self.limit:
            self._windows[client] = (start, count)
            return Decision(False, self.limit, 0, reset_at, reset_at - now)
        count += 1
        self._windows[client] = (start, count)
        if len(self._windows) > 4096:
            self._windows = {c: w for c, w in self._windows.items() if now - w[0] < self.window}
        return Decision(True, self.limit, self.limit - count, reset_at, 0.0)
