"""Retry backoff, circuit breakers and token-bucket rate limiters.

Breakers and limiters are keyed by host (or a node's ``rate_limit_key``) and shared by every run in
the process: five workflows hammering one failing API open one breaker, not five. Their state is
readable (``Resilience.snapshot``) for the Health dock and ``/health/detailed``.
"""

from __future__ import annotations

import asyncio
import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

from flowforge_desktop.model.schema import CircuitBreakerSettings, RateLimit

Clock = Callable[[], float]


def backoff_delay(
    attempt: int,
    base: float,
    max_delay: float,
    *,
    jitter: bool = True,
    retry_after: float | None = None,
    rng: random.Random | None = None,
) -> float:
    """Delay before retry number ``attempt`` (1 = the first retry).

    Exponential (base * 2^(attempt-1)) capped at ``max_delay``, with *full jitter* (uniform in
    0..cap, AWS's recommendation: retries of many clients spread out instead of arriving in waves).
    A server's Retry-After is a floor: retrying earlier would only be refused again.
    """
    cap = min(max_delay, base * (2 ** (attempt - 1)))
    delay = (rng or random).uniform(0, cap) if jitter else cap
    if retry_after is not None:
        delay = max(delay, retry_after)
    return delay


class BreakerState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class CircuitOpenError(Exception):
    """Raised instead of calling a service whose breaker is open."""

    def __init__(self, key: str, retry_in: float, failures: int) -> None:
        self.key = key
        self.retry_in = retry_in
        super().__init__(
            f"circuit breaker for '{key}' is open after {failures} consecutive failures; "
            f"next trial call in {retry_in:.0f} s"
        )


@dataclass(slots=True)
class CircuitBreaker:
    """Closed -> open after N consecutive failures -> half-open after a cool-down (one trial call)."""

    key: str
    failure_threshold: int = 5
    recovery_timeout: float = 60.0
    clock: Clock = time.monotonic
    state: BreakerState = BreakerState.CLOSED
    failures: int = 0
    opened_at: float = 0.0
    trial_in_flight: bool = False
    total_failures: int = 0
    total_successes: int = 0

    def retry_in(self) -> float:
        if self.state is not BreakerState.OPEN:
            return 0.0
        return max(0.0, self.opened_at + self.recovery_timeout - self.clock())

    def before_call(self) -> None:
        """Let one call through or raise ``CircuitOpenError``."""
        if self.state is BreakerState.OPEN:
            if self.clock() - self.opened_at < self.recovery_timeout:
                raise CircuitOpenError(self.key, self.retry_in(), self.failures)
            self.state = BreakerState.HALF_OPEN
            self.trial_in_flight = False
        if self.state is BreakerState.HALF_OPEN:
            if self.trial_in_flight:
                raise CircuitOpenError(self.key, 0.0, self.failures)
            self.trial_in_flight = True

    def record_success(self) -> None:
        self.total_successes += 1
        self.state = BreakerState.CLOSED
        self.failures = 0
        self.trial_in_flight = False

    def record_failure(self) -> None:
        self.total_failures += 1
        self.failures += 1
        self.trial_in_flight = False
        if self.state is BreakerState.HALF_OPEN or self.failures >= self.failure_threshold:
            self.state = BreakerState.OPEN
            self.opened_at = self.clock()

    def record_neutral(self) -> None:
        """A call that ended without saying anything about the service (cancelled, bad config)."""
        self.trial_in_flight = False

    def snapshot(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "state": str(self.state),
            "failures": self.failures,
            "failure_threshold": self.failure_threshold,
            "recovery_timeout": self.recovery_timeout,
            "retry_in": round(self.retry_in(), 3),
            "total_failures": self.total_failures,
            "total_successes": self.total_successes,
        }


@dataclass(slots=True)
class TokenBucket:
    """``rate`` calls per ``per`` seconds, bursts up to ``capacity``. Waiters are served in order."""

    key: str
    rate: float
    per: float = 1.0
    capacity: float = 1.0
    clock: Clock = time.monotonic
    tokens: float = field(default=-1.0)
    updated: float = 0.0
    waiting: int = 0
    _lock: asyncio.Lock | None = None

    def __post_init__(self) -> None:
        if self.tokens < 0:
            self.tokens = self.capacity
        self.updated = self.clock()

    @property
    def per_second(self) -> float:
        return self.rate / self.per

    def _refill(self) -> None:
        now = self.clock()
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.per_second)
        self.updated = now

    def try_take(self) -> float:
        """Take a token and return 0, or return the seconds until one is available."""
        self._refill()
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.per_second

    async def acquire(self) -> float:
        """Wait for a token; returns the seconds waited."""
        if self._lock is None:
            self._lock = asyncio.Lock()
        self.waiting += 1
        waited = 0.0
        try:
            async with self._lock:  # FIFO: the first waiter gets the next token
                while (delay := self.try_take()) > 0:
                    waited += delay
                    await asyncio.sleep(delay)
        finally:
            self.waiting -= 1
        return waited

    def snapshot(self) -> dict[str, Any]:
        self._refill()
        return {
            "key": self.key,
            "rate": self.rate,
            "per": self.per,
            "capacity": self.capacity,
            "tokens": round(self.tokens, 3),
            "waiting": self.waiting,
        }


def key_for(config: dict[str, Any], explicit: str | None) -> str | None:
    """What a node's breaker and limiter are keyed on: its rate_limit_key, else the host of its url."""
    if explicit:
        return explicit
    url = config.get("url")
    if isinstance(url, str):
        host = urlsplit(url).hostname
        if host:
            return host
    return None


class Resilience:
    """The process-wide registry of breakers and limiters."""

    def __init__(self, clock: Clock = time.monotonic) -> None:
        self.clock = clock
        self.breakers: dict[str, CircuitBreaker] = {}
        self.limiters: dict[str, TokenBucket] = {}

    def breaker(self, key: str, settings: CircuitBreakerSettings) -> CircuitBreaker:
        breaker = self.breakers.get(key)
        if breaker is None:
            breaker = self.breakers[key] = CircuitBreaker(
                key, settings.failure_threshold, settings.recovery_timeout, clock=self.clock
            )
        else:  # the latest workflow's settings apply
            breaker.failure_threshold = settings.failure_threshold
            breaker.recovery_timeout = settings.recovery_timeout
        return breaker

    def limiter(self, key: str, limit: RateLimit) -> TokenBucket:
        capacity = float(limit.burst or max(1, math.ceil(limit.rate)))
        bucket = self.limiters.get(key)
        if bucket is None or (bucket.rate, bucket.per, bucket.capacity) != (limit.rate, limit.per, capacity):
            bucket = self.limiters[key] = TokenBucket(key, limit.rate, limit.per, capacity, clock=self.clock)
        return bucket

    def snapshot(self) -> dict[str, list[dict[str, Any]]]:
        return {
            "circuit_breakers": [b.snapshot() for b in self.breakers.values()],
            "rate_limiters": [b.snapshot() for b in self.limiters.values()],
        }
