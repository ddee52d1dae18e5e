"""Retrying with exponential backoff and jitter: on throttling, on 5xx, and on the failed entries of a batch."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from botocore.exceptions import BotoCoreError, ClientError

T = TypeVar("T")

THROTTLING = frozenset({
    "Throttling", "ThrottlingException", "ThrottledException", "TooManyRequestsException", "RequestThrottled",
    "RequestLimitExceeded", "KMSThrottlingException", "ServiceUnavailable", "InternalError", "InternalFailure",
    "SlowDown", "EC2ThrottledException",
})  # fmt: skip


@dataclass
class Backoff:
    """Up to `attempts` tries, waiting base * 2^n (at most `cap` seconds), with full jitter."""

    attempts: int = 8
    base: float = 0.2
    cap: float = 20.0
    sleep: Callable[[float], None] | None = None  # time.sleep

    def wait(self, attempt: int, at_least: float = 0.0) -> None:
        (self.sleep or time.sleep)(max(at_least, random.uniform(0, min(self.cap, self.base * 2**attempt))))  # noqa: S311


def retryable(error: Exception) -> bool:
    if isinstance(error, ClientError):
        code = str(error.response.get("Error", {}).get("Code", ""))
        status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
        return code in THROTTLING or status >= 500 or status == 429
    return isinstance(error, BotoCoreError)  # connection errors, timeouts


def send_batch(
    items: list[T], call: Callable[[list[T]], list[tuple[T, str, bool]]], backoff: Backoff
) -> list[tuple[T, str]]:
    """Send items with `call`, which returns its failed items as (item, reason, retryable).

    Retryable failures, and whole calls refused for throttling, are tried again with backoff; the
    items that still fail are returned with their reasons.
    """
    pending = list(items)
    final: list[tuple[T, str]] = []
    for attempt in range(backoff.attempts):
        try:
            failures = call(pending)
        except (BotoCoreError, ClientError) as error:
            if not retryable(error):
                return final + [(item, str(error)) for item in pending]
            failures = [(item, str(error), True) for item in pending]
        final += [(item, reason) for item, reason, again in failures if not again]
        pending = [item for item, _reason, again in failures if again]
        if not pending:
            return final
        if attempt < backoff.attempts - 1:
            backoff.wait(attempt)
    return final + [(item, "still throttled or failing after retries") for item in pending]


def client_config() -> Any:
    """boto3 clients retry a little themselves; the batch loop above does the rest."""
    from botocore.config import Config

    return Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=10, read_timeout=30)
