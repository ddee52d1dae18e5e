"""The failure queue, on the request path: events answered non-2xx without being published are kept there.

Whatever stopped the publish (the claim, SNS or S3, releasing the claim, another request holding
it), the event is put on an SQS queue before the 503: no platform documents retrying every 5xx,
so the answer alone could lose it. The operator's redrive (`webhooks_ops.redrive`) republishes what
is there through the same claim, so whichever comes first (a sender's retry or the redrive)
publishes and the other is a duplicate: exactly once still holds, as long as the redrive runs
within the dedupe window (DEDUPE_TTL_DAYS). The envelope below is the contract between the two.
"""

from __future__ import annotations

import json
import time
from typing import Any

from aws_lambda_powertools import Logger

from handler import publishing
from handler.aws_clients import ClientFactory
from handler.config import Settings
from handler.errors import Unavailable
from handler.model import Event
from handler.publishing import Outgoing

logger = Logger(child=True)
ENVELOPE_VERSION = 1
SQS_MAX_MESSAGE_BYTES = 262_144


def envelope(
    event: Event, outgoing: Outgoing | None, claim_key: str, reason: str, fifo: bool = False
) -> dict[str, Any]:
    """What the queue keeps: the exact SNS message (or the raw body, if it never got that far) and its claim."""
    group: str | None
    deduplication: str | None
    if outgoing is None and fifo:  # never got as far as a message: the ids it would have had
        group, deduplication = publishing.group_id(event), publishing.deduplication_id(event)
    else:
        group, deduplication = (outgoing.group_id, outgoing.deduplication_id) if outgoing else (None, None)
    return {
        "version": ENVELOPE_VERSION,
        "claim_key": claim_key,
        "source": event.source,
        "event_id": event.event_id,
        "topic_arn": outgoing.topic_arn if outgoing else None,
        "message": outgoing.message if outgoing else event.body.decode("utf-8"),
        "attributes": dict(outgoing.attributes) if outgoing else None,
        # FIFO topics only: kept so that the redrive publishes with the same group and deduplication
        # ids, and SNS drops it should a retry of the sender have published it within the interval
        "message_group_id": group,
        "message_deduplication_id": deduplication,
        "failed_at": int(time.time()),
        "reason": reason[:500],
    }


def record(
    event: Event, outgoing: Outgoing | None, claim_key: str, reason: str, *, settings: Settings, clients: ClientFactory
) -> bool:
    """Put the event on the failure queue; False (and an error log) when it cannot be kept there.

    The message kept is what SNS would have been sent: the body, or for an event too large for SNS
    the S3 pointer it is published as. An envelope still too large for the queue (a body near
    SNS's limit that JSON escaping doubles) keeps the same pointer instead. The log never holds the
    body: member events carry personal data, and the log is kept longer and read more widely than
    the queue.
    """
    from botocore.exceptions import BotoCoreError, ClientError

    if not settings.failure_queue_url:
        return _not_kept(event, claim_key, "no failure queue is configured")
    try:
        if outgoing is None:
            outgoing = publishing.prepare(event, settings, clients)  # a large body goes to S3, as a publish would
    except Unavailable:  # no topic configured: keep the body, the redrive uses the catch-all
        outgoing = None
    except publishing.PublishFailed as error:  # S3 refused the large body
        return _not_kept(event, claim_key, str(error))
    body = _envelope_body(event, outgoing, claim_key, reason, settings.fifo)
    if len(body.encode("utf-8")) > SQS_MAX_MESSAGE_BYTES and outgoing is not None and settings.payload_bucket:
        try:
            outgoing = _offloaded(event, outgoing, settings.payload_bucket, clients("s3"))
        except publishing.PublishFailed as error:
            return _not_kept(event, claim_key, str(error))
        body = _envelope_body(event, outgoing, claim_key, reason, settings.fifo)
    if len(body.encode("utf-8")) > SQS_MAX_MESSAGE_BYTES:
        return _not_kept(event, claim_key, "too large for the failure queue and no payload bucket")
    try:
        clients("sqs").send_message(
            QueueUrl=settings.failure_queue_url,
            MessageBody=body,
            MessageAttributes={
                "source": {"DataType": "String", "StringValue": event.source},
                "event_id": {"DataType": "String", "StringValue": publishing.clean(event.event_id) or "-"},
            },
        )
    except (BotoCoreError, ClientError) as error:
        return _not_kept(event, claim_key, f"the failure queue refused it: {error}")
    return True


def _envelope_body(event: Event, outgoing: Outgoing | None, claim_key: str, reason: str, fifo: bool) -> str:
    return json.dumps(envelope(event, outgoing, claim_key, reason, fifo), separators=(",", ":"))


def _offloaded(event: Event, outgoing: Outgoing, bucket: str, s3: Any) -> Outgoing:
    """The same message as the S3 pointer large events are published as (subscribers resolve it)."""
    if outgoing.message.startswith(f'["{publishing.POINTER_CLASS}"'):
        return outgoing
    size = {"DataType": "Number", "StringValue": str(len(event.body))}
    attributes = {**outgoing.attributes, publishing.SIZE_ATTRIBUTE: size}
    return outgoing._replace(message=publishing.offload(event, bucket, s3), attributes=attributes)


def _not_kept(event: Event, claim_key: str, why: str) -> bool:
    """An event neither published nor kept: what identifies it, never its body (it may name people)."""
    logger.error(
        "event NOT kept: neither published nor on the failure queue",
        extra={
            "why": why,
            "claim_key": claim_key,
            "event_id": event.event_id,
            "event_name": event.name,
            "source": event.source,
            "body_bytes": len(event.body),
        },
    )
    return False
