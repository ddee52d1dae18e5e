"""The example subscriber: published top-level posts of one community, each handled once.

SNS has filtered the posts (see template.yaml); this function turns each SQS record into a typed
`PostEvent`, skips an event id it has already handled, and reports the records that failed so that
only those are retried. From a FIFO queue (the receiver's DeliveryMode=fifo), a failed post holds
back only that post's later events, which are retried after it, in order.
"""

from __future__ import annotations

import os
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    SqsFifoPartialProcessor,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from webhook_events import Deduplicator, Delivery, PostEvent, parse_record

logger = Logger()
processor: BatchProcessor | SqsFifoPartialProcessor = (
    SqsFifoPartialProcessor(skip_group_on_error=True)
    if os.environ.get("FIFO_QUEUE") == "true"
    else BatchProcessor(event_type=EventType.SQS)
)
dedupe = Deduplicator(os.environ["PROCESSED_EVENTS_TABLE"])


def handle_post(delivery: Delivery[PostEvent]) -> None:
    """The business logic: here, one log line per new post."""
    post = delivery.event.post
    logger.info("new post", extra={"event_id": delivery.event_id, "post_id": post.id, "title": post.title})


handle_once = dedupe.once(handle_post)


def record_handler(record: SQSRecord) -> None:
    handle_once(parse_record(record, PostEvent))


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    dedupe.register_lambda_context(context)
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
