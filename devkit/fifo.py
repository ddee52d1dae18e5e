"""What the emulated SNS (moto) does not do for FIFO topics, emulated as narrowly as possible.

moto checks a FIFO topic's ids and hands the group and deduplication ids to SQS FIFO subscribers,
which deduplicate and keep each group's order. It does not deduplicate at the topic, which SNS does:
a message whose deduplication id the topic took in the last 5 minutes is accepted (its first message
id returned) and delivered to no subscriber ("Message deduplication for FIFO topics",
https://docs.aws.amazon.com/sns/latest/dg/fifo-message-dedup.html). With the topic's throughput
scope MessageGroup, deduplication is within the message group (`FifoThroughputScope`, AWS::SNS::Topic).
`topic_deduplication` adds exactly that, and nothing else.

Not emulated at all (docs/delivery-modes.md lists them): the topic's message archive
(`ArchivePolicy`) and a subscription's `ReplayPolicy`, throughput quotas, and FIFO delivery to
standard queues' best-effort order.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

DEDUPLICATION_SECONDS = 300  # SNS's deduplication interval for FIFO topics: 5 minutes
PRUNE_AT = 10_000  # ids remembered before those older than the interval are dropped


@contextmanager
def topic_deduplication(
    interval: float = DEDUPLICATION_SECONDS, clock: Callable[[], float] = time.monotonic
) -> Iterator[None]:
    """While active, an emulated FIFO topic drops a message whose (group, deduplication id) it took
    less than `interval` seconds before, and answers with the first message's id."""
    from moto.sns.models import SNSBackend

    original = SNSBackend.publish
    lock = threading.Lock()
    taken: dict[tuple[str, str | None, str], tuple[float, str]] = {}

    def publish(self: SNSBackend, message: str, arn: str | None, *args: Any, **kwargs: Any) -> str:
        group, deduplication = kwargs.get("group_id"), kwargs.get("deduplication_id")
        if not (arn and str(arn).endswith(".fifo") and deduplication):
            return original(self, message, arn, *args, **kwargs)
        key = (str(arn), group, str(deduplication))
        with lock:
            now = clock()
            if len(taken) >= PRUNE_AT:  # a long `make serve` forgets what the interval has passed
                for stale in [k for k, (when, _) in taken.items() if now - when >= interval]:
                    del taken[stale]
            first = taken.get(key)
            if first and now - first[0] < interval:
                return first[1]
            message_id = original(self, message, arn, *args, **kwargs)
            taken[key] = (now, message_id)
            return message_id

    SNSBackend.publish = publish  # type: ignore[method-assign]
    try:
        yield
    finally:
        SNSBackend.publish = original  # type: ignore[method-assign]
