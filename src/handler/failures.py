"""The failure queue: events the receiver answered non-2xx without publishing, kept for a redrive.

Whatever stopped the publish (the claim, SNS or S3, releasing the claim, another delivery holding
it), the event is put on an SQS queue before the 503: no platform documents retrying every 5xx
(canD documents no retry at all), so the answer alone could lose it. `redrive` republishes what is
there through the same claim, so whichever comes first (a sender's retry or the redrive) publishes
and the other is a duplicate: exactly once still holds, as long as the redrive runs within the
dedupe window (DEDUPE_TTL_DAYS).
"""

from __future__ import annotations

import contextlib
import json
import re
import time
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools import Logger

from handler import claims, publishing
from handler.aws_clients import client
from handler.config import Settings
from handler.delivery import Event
from handler.errors import InProgress, Unavailable
from handler.publishing import Outgoing

logger = Logger(child=True)
ENVELOPE_VERSION = 1
SQS_MAX_MESSAGE_BYTES = 262_144
SNS_NUMBER_LIMIT = "1e300"  # SNS takes Number values between -10^300 and 10^300
_DECIMAL = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?")


def envelope(event: Event, outgoing: Outgoing | None, claim_key: str, reason: str) -> dict[str, Any]:
    """What the queue keeps: the exact SNS message (or the raw body, if it never got that far) and its claim."""
    return {
        "version": ENVELOPE_VERSION,
        "claim_key": claim_key,
        "source": event.source,
        "event_id": event.event_id,
        "topic_arn": outgoing.topic_arn if outgoing else None,
        "message": outgoing.message if outgoing else event.body.decode("utf-8"),
        "attributes": dict(outgoing.attributes) if outgoing else None,
        "failed_at": int(time.time()),
        "reason": reason[:500],
    }


def record(event: Event, outgoing: Outgoing | None, claim_key: str, settings: Settings, reason: str) -> bool:
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
            outgoing = publishing.prepare(event, settings)  # a large body goes to S3, as a publish would
    except Unavailable:  # no topic configured: keep the body, the redrive uses the catch-all
        outgoing = None
    except publishing.PublishFailed as error:  # S3 refused the large body
        return _not_kept(event, claim_key, str(error))
    body = _envelope_body(event, outgoing, claim_key, reason)
    if len(body.encode("utf-8")) > SQS_MAX_MESSAGE_BYTES and outgoing is not None and settings.payload_bucket:
        try:
            outgoing = _offloaded(event, outgoing, settings.payload_bucket)
        except publishing.PublishFailed as error:
            return _not_kept(event, claim_key, str(error))
        body = _envelope_body(event, outgoing, claim_key, reason)
    if len(body.encode("utf-8")) > SQS_MAX_MESSAGE_BYTES:
        return _not_kept(event, claim_key, "too large for the failure queue and no payload bucket")
    try:
        client("sqs").send_message(
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


def _envelope_body(event: Event, outgoing: Outgoing | None, claim_key: str, reason: str) -> str:
    return json.dumps(envelope(event, outgoing, claim_key, reason), separators=(",", ":"))


def _offloaded(event: Event, outgoing: Outgoing, bucket: str) -> Outgoing:
    """The same message as the S3 pointer large events are published as (subscribers resolve it)."""
    if outgoing.message.startswith(f'["{publishing.POINTER_CLASS}"'):
        return outgoing
    size = {"DataType": "Number", "StringValue": str(len(event.body))}
    return Outgoing(
        outgoing.topic_arn, publishing.offload(event, bucket), {**outgoing.attributes, publishing.SIZE_ATTRIBUTE: size}
    )


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


@dataclass
class RedriveReport:
    """What a redrive did with each message it received."""

    received: int = 0
    published: int = 0
    duplicates: int = 0  # already published by a retry of the platform: removed, not republished
    failed: int = 0  # left on the queue; they come back after the visibility timeout
    invalid: int = 0  # not an envelope of ours: left on the queue for a person to look at


class _Lease:
    """A claim's lease during a redrive: as long as the message stays invisible to other readers."""

    def __init__(self, seconds: int) -> None:
        self.deadline = time.monotonic() + seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.deadline - time.monotonic()) * 1000))


def redrive(settings: Settings, *, max_messages: int | None = None, visibility_seconds: int = 60) -> RedriveReport:
    """Republish what the failure queue holds, once per event, through the same claims."""
    from botocore.exceptions import BotoCoreError, ClientError

    report = RedriveReport()
    if not settings.failure_queue_url:
        return report
    sqs = client("sqs")
    seen: set[str] = set()  # a message that failed may come back in the same run: one try per run
    while max_messages is None or report.received < max_messages:
        batch = sqs.receive_message(
            QueueUrl=settings.failure_queue_url,
            MaxNumberOfMessages=10 if max_messages is None else max(1, min(10, max_messages - report.received)),
            VisibilityTimeout=visibility_seconds,
            WaitTimeSeconds=1,
        ).get("Messages", [])
        fresh = [message for message in batch if message["MessageId"] not in seen]
        if not fresh:
            break
        for message in fresh:
            seen.add(message["MessageId"])
            report.received += 1
            outcome = _redrive_one(message["Body"], settings, visibility_seconds)
            setattr(report, outcome, getattr(report, outcome) + 1)
            if outcome in ("published", "duplicates"):
                # If the delete fails, the message comes back and its claim makes it a duplicate.
                with contextlib.suppress(BotoCoreError, ClientError):
                    sqs.delete_message(QueueUrl=settings.failure_queue_url, ReceiptHandle=message["ReceiptHandle"])
    return report


def _redrive_one(body: str, settings: Settings, visibility_seconds: int) -> str:
    """Republish one envelope; "invalid" for what is not ours, so that a person looks at it.

    The claim key is taken as it is, never through str(): a null or a number would become a key
    ("None", "123") that distinct events share, and dedupe would drop all but one of them.
    """
    try:
        kept = json.loads(body)
        if kept.get("version") != ENVELOPE_VERSION:
            return "invalid"
        topic_arn = kept["topic_arn"] or settings.catch_all_topic_arn
        if not isinstance(topic_arn, str):
            return "invalid"
        outgoing = Outgoing(topic_arn, kept["message"], kept["attributes"] or {})
        claim_key, source = kept["claim_key"], kept.get("source", "")
    except (ValueError, KeyError, TypeError, AttributeError):
        return "invalid"
    if not (isinstance(claim_key, str) and claim_key and isinstance(source, str)):
        return "invalid"
    lifetime = settings.dedupe_ttl_for(source)
    if not _sendable(outgoing):
        return "invalid"
    if outgoing.topic_arn not in _stack_topics(settings):
        # the queue is data: whoever could write to it must not make the redrive publish elsewhere
        logger.warning("redrive refused a topic that is not the stack's", extra={"topic_arn": outgoing.topic_arn})
        return "invalid"

    def publish_it() -> dict[str, Any]:
        return {"topic_arn": outgoing.topic_arn, "message_id": publishing.send(outgoing)}

    try:
        result = claims.run_once(settings, claim_key, _Lease(visibility_seconds), publish_it, lifetime)
    except (publishing.PublishFailed, claims.ClaimFailed, InProgress) as error:
        logger.warning("redrive failed; the message stays on the queue", extra={"error": str(error)})
        return "failed"
    return "duplicates" if result.get("duplicate") else "published"


def _stack_topics(settings: Settings) -> set[str]:
    """The topics the receiver itself publishes to: its noun topics and the catch-all."""
    return {*settings.topic_arns.values(), *filter(None, [settings.catch_all_topic_arn])}


def _sendable(outgoing: Outgoing) -> bool:
    """Whether a message read back from the queue has the shape `publishing.send` gives SNS.

    The clients do not validate parameters (see aws_clients), and the queue holds whatever its
    writers put there, so a redrive checks before it sends: what SNS refuses would fail on every
    redrive and come back on the queue for ever, instead of being left for a person.
    """
    attributes = outgoing.attributes
    if not (isinstance(outgoing.topic_arn, str) and outgoing.topic_arn.startswith("arn:")):
        return False
    if not isinstance(outgoing.message, str) or not isinstance(attributes, dict) or len(attributes) > 10:
        return False
    if not all(
        isinstance(name, str)
        and isinstance(value, dict)
        and set(value) == {"DataType", "StringValue"}
        and value["DataType"] in ("String", "Number")
        and isinstance(value["StringValue"], str)
        and value["StringValue"] != ""
        and (value["DataType"] == "String" or _number(value["StringValue"]))
        for name, value in attributes.items()
    ):
        return False
    try:
        return publishing.message_size(outgoing.message, attributes) <= publishing.SNS_MAX_MESSAGE_BYTES
    except UnicodeEncodeError:  # a lone surrogate: JSON carries it, UTF-8 (and so SNS) cannot
        return False


def _number(value: str) -> bool:
    """Whether SNS takes `value` as a Number: a finite decimal within ±10^300, not "nan" or "1e400"."""
    from decimal import Decimal  # only the redrive needs it, not the receiver's cold start

    if _DECIMAL.fullmatch(value) is None:
        return False
    try:
        return abs(Decimal(value)) <= Decimal(SNS_NUMBER_LIMIT)
    except ArithmeticError:  # an exponent beyond what Decimal holds, far out of range either way
        return False
