"""The failure-queue redrive, an operator's command: republish every kept event once, through its claim.

The receiver keeps on the failure queue what it answered non-2xx without publishing
(`handler.failures`); this reads each envelope back, checks it is one of ours and sendable,
and publishes it through the same claim as the receiver would, so whichever comes first (a
platform's retry or the redrive) publishes and the other is a duplicate. It runs on an operator's
machine with the deployed function's environment, never in the request path.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import time
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools import Logger

from handler import failures, platforms, publishing
from handler.aws_clients import ClientFactory, Clients
from handler.claims import ClaimFailed, Claims
from handler.config import Settings
from handler.errors import InProgress
from handler.providers import id_lifetime
from handler.publishing import Outgoing

logger = Logger(service="webhooks-ops")
SNS_NUMBER_LIMIT = "1e300"  # SNS takes Number values between -10^300 and 10^300
_DECIMAL = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?")


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


def redrive(
    settings: Settings,
    clients: ClientFactory,
    *,
    max_messages: int | None = None,
    visibility_seconds: int = 60,
    wait_seconds: int = 1,
) -> RedriveReport:
    """Republish what the failure queue holds, once per event, through the same claims.

    Each receive long-polls `wait_seconds`: SQS's short polling samples a subset of its servers and
    can answer empty while messages wait; the run ends at the first receive that brings none new.
    """
    from botocore.exceptions import BotoCoreError, ClientError

    report = RedriveReport()
    if not settings.failure_queue_url:
        return report
    sqs = clients("sqs")
    claims = Claims(settings.require_table(), clients("dynamodb"))
    seen: set[str] = set()  # a message that failed may come back in the same run: one try per run
    while max_messages is None or report.received < max_messages:
        batch = sqs.receive_message(
            QueueUrl=settings.failure_queue_url,
            MaxNumberOfMessages=10 if max_messages is None else max(1, min(10, max_messages - report.received)),
            VisibilityTimeout=visibility_seconds,
            WaitTimeSeconds=wait_seconds,
        ).get("Messages", [])
        fresh = [message for message in batch if message["MessageId"] not in seen]
        if not fresh:
            break
        for message in fresh:
            seen.add(message["MessageId"])
            report.received += 1
            outcome = _redrive_one(message["Body"], settings, claims, clients("sns"), visibility_seconds)
            setattr(report, outcome, getattr(report, outcome) + 1)
            if outcome in ("published", "duplicates"):
                # If the delete fails, the message comes back and its claim makes it a duplicate.
                with contextlib.suppress(BotoCoreError, ClientError):
                    sqs.delete_message(QueueUrl=settings.failure_queue_url, ReceiptHandle=message["ReceiptHandle"])
    return report


def _redrive_one(body: str, settings: Settings, claims: Claims, sns: Any, visibility_seconds: int) -> str:
    """Republish one envelope; "invalid" for what is not ours, so that a person looks at it.

    The claim key is taken as it is, never through str(): a null or a number would become a key
    ("None", "123") that distinct events share, and dedupe would drop all but one of them.
    """
    try:
        kept = json.loads(body)
        if kept.get("version") != failures.ENVELOPE_VERSION:
            return "invalid"
        topic_arn = kept["topic_arn"] or settings.catch_all_topic_arn
        if not isinstance(topic_arn, str):
            return "invalid"
        outgoing = Outgoing(
            topic_arn,
            kept["message"],
            kept["attributes"] or {},
            kept.get("message_group_id"),
            kept.get("message_deduplication_id"),
        )
        claim_key, source = kept["claim_key"], kept.get("source", "")
    except (ValueError, KeyError, TypeError, AttributeError):
        return "invalid"
    if not (isinstance(claim_key, str) and claim_key and isinstance(source, str)):
        return "invalid"
    provider = platforms.by_source(source)
    lifetime = id_lifetime(provider, settings) if provider else settings.dedupe_ttl_seconds
    if not _sendable(outgoing):
        return "invalid"
    if outgoing.topic_arn not in _stack_topics(settings):
        # the queue is data: whoever could write to it must not make the redrive publish elsewhere
        logger.warning("redrive refused a topic that is not the stack's", extra={"topic_arn": outgoing.topic_arn})
        return "invalid"

    def publish_it() -> dict[str, Any]:
        return {"topic_arn": outgoing.topic_arn, "message_id": publishing.send(outgoing, sns)}

    try:
        result = claims.run_once(claim_key, _Lease(visibility_seconds), publish_it, lifetime)
    except (publishing.PublishFailed, ClaimFailed, InProgress) as error:
        logger.warning("redrive failed; the message stays on the queue", extra={"error": str(error)})
        return "failed"
    return "duplicates" if result.get("duplicate") else "published"


def _stack_topics(settings: Settings) -> set[str]:
    """The topics the receiver itself publishes to: its noun topics and the catch-all."""
    return {*settings.topic_arns.values(), *filter(None, [settings.catch_all_topic_arn])}


def _sendable(outgoing: Outgoing) -> bool:
    """Whether a message read back from the queue has the shape `publishing.send` gives SNS.

    The clients do not validate parameters (see handler.aws_clients), and the queue holds whatever its
    writers put there, so a redrive checks before it sends: what SNS refuses would fail on every
    redrive and come back on the queue for ever, instead of being left for a person.
    """
    attributes = outgoing.attributes
    if not (isinstance(outgoing.topic_arn, str) and outgoing.topic_arn.startswith("arn:")):
        return False
    if not isinstance(outgoing.message, str) or not isinstance(attributes, dict) or len(attributes) > 10:
        return False
    fifo_ids = (outgoing.group_id, outgoing.deduplication_id)
    if outgoing.topic_arn.endswith(".fifo"):  # a FIFO topic refuses a message without both ids
        if not all(publishing.is_fifo_id(value) for value in fifo_ids):
            return False
    elif fifo_ids != (None, None):  # and a standard topic refuses a message with them
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


def function_environment(function_name: str) -> dict[str, str]:
    """The environment a deployed function runs with: table, topics, failure queue, ..."""
    import boto3

    configuration: dict[str, Any] = boto3.client("lambda").get_function_configuration(FunctionName=function_name)
    return dict((configuration.get("Environment") or {}).get("Variables") or {})


def main(function_name: str | None, max_messages: int | None) -> int:
    """Republish the failure queue through the same claims; prints what happened to the messages."""
    from handler import config

    environment = function_environment(function_name) if function_name else dict(os.environ)
    settings = config.from_env(environment)
    if not settings.failure_queue_url:
        print("no failure queue: pass --function <deployed function name>, or set FAILURE_QUEUE_URL")
        return 2
    report = redrive(settings, Clients(), max_messages=max_messages)
    print(
        f"received {report.received}: published {report.published}, already published {report.duplicates}, "
        f"failed {report.failed} (left on the queue), invalid {report.invalid} (left on the queue)"
    )
    return 0 if report.failed == 0 and report.invalid == 0 else 1
