"""Where a replay goes: one SQS queue, one Lambda function, one HTTPS endpoint, or the stack's topics.

Every target gets the original body (an event over 256 KiB stays the S3 pointer it was published
as, with `ExtendedPayloadSize`, which subscribers already resolve; the HTTPS endpoint gets the body
itself) and the original attributes plus `replay_id`.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

from archive_format import ArchivedEvent
from archive_replay.marking import SIZE_ATTRIBUTE, Attributes, attributes_size, replay_attributes
from archive_replay.retry import Backoff, send_batch

MAX_BATCH_BYTES = 262_144  # SQS SendMessageBatch and SNS PublishBatch: all entries together
POINTER_CLASS = "software.amazon.payloadoffloading.PayloadS3Pointer"


class TargetError(ValueError):
    """The target cannot be used (it does not exist, or its address is not allowed)."""


@dataclass(frozen=True)
class Replayed:
    """One event as it is sent: the archived event, the message and its attributes."""

    event: ArchivedEvent
    message: str
    attributes: Attributes

    @property
    def size(self) -> int:
        return len(self.message.encode("utf-8")) + attributes_size(self.attributes)


def replayed(event: ArchivedEvent, replay_id: str) -> Replayed:
    return Replayed(event, event.message, replay_attributes(event, replay_id))


class Target(Protocol):
    """Sends a batch (at most `max_entries`, `max_bytes` together); returns what failed, with why."""

    max_entries: ClassVar[int]
    max_bytes: ClassVar[int]

    def check(self) -> None: ...

    def send(self, batch: list[Replayed]) -> list[tuple[Replayed, str]]: ...


def _typed(attributes: Attributes) -> dict[str, dict[str, str]]:
    return {name: {"DataType": kind, "StringValue": value} for name, (kind, value) in attributes.items()}


@dataclass
class QueueTarget:
    """An SQS queue, as a raw-delivery subscription would fill it: the body, the attributes."""

    sqs: Any
    url: str
    backoff: Backoff
    max_entries: ClassVar[int] = 10
    max_bytes: ClassVar[int] = MAX_BATCH_BYTES

    def check(self) -> None:
        try:
            self.sqs.get_queue_attributes(QueueUrl=self.url, AttributeNames=["QueueArn"])
        except Exception as error:
            raise TargetError(f"the queue {self.url} cannot be used: {error}") from error

    def send(self, batch: list[Replayed]) -> list[tuple[Replayed, str]]:
        def call(items: list[Replayed]) -> list[tuple[Replayed, str, bool]]:
            entries = [
                {"Id": str(i), "MessageBody": r.message, "MessageAttributes": _typed(r.attributes)}
                for i, r in enumerate(items)
            ]
            answer = self.sqs.send_message_batch(QueueUrl=self.url, Entries=entries)
            return [
                (items[int(f["Id"])], f"{f.get('Code')}: {f.get('Message', '')}", not f.get("SenderFault", False))
                for f in answer.get("Failed", [])
            ]

        return send_batch(batch, call, self.backoff)


@dataclass
class TopicsTarget:
    """The stack's topics, each event to the topic it was published to (the envelope's TopicArn).

    Only topics in `allowed` (the stack's own, or ones the operator names): the archive is data, and
    whoever could write into it must not be able to make a replay publish anywhere else.
    """

    sns: Any
    backoff: Backoff
    allowed: frozenset[str]
    max_entries: ClassVar[int] = 10
    max_bytes: ClassVar[int] = MAX_BATCH_BYTES

    def check(self) -> None:
        """Topics come from the events themselves; a deleted one fails its events, nothing else."""
        if not self.allowed:
            raise TargetError("no topic is allowed: name the stack (--stack) or the topics (--allow-topic)")

    def send(self, batch: list[Replayed]) -> list[tuple[Replayed, str]]:
        by_topic: dict[str, list[Replayed]] = {}
        failed: list[tuple[Replayed, str]] = []
        for item in batch:
            if item.event.topic_arn in self.allowed:
                by_topic.setdefault(item.event.topic_arn, []).append(item)
            else:
                failed.append((item, f"topic not allowed: {item.event.topic_arn}"))
        for topic_arn, items in by_topic.items():

            def call(pending: list[Replayed], topic_arn: str = topic_arn) -> list[tuple[Replayed, str, bool]]:
                entries = [
                    {"Id": str(i), "Message": r.message, "MessageAttributes": _typed(r.attributes)}
                    for i, r in enumerate(pending)
                ]
                answer = self.sns.publish_batch(TopicArn=topic_arn, PublishBatchRequestEntries=entries)
                return [
                    (pending[int(f["Id"])], f"{f.get('Code')}: {f.get('Message', '')}", not f.get("SenderFault", False))
                    for f in answer.get("Failed", [])
                ]

            failed += send_batch(items, call, self.backoff)
        return failed


def sns_event(item: Replayed) -> dict[str, Any]:
    """The event SNS gives a subscribed function, for this message (one record, as SNS sends)."""
    event = item.event
    return {
        "Records": [
            {
                "EventSource": "aws:sns",
                "EventVersion": "1.0",
                "EventSubscriptionArn": f"{event.topic_arn}:replay",
                "Sns": {
                    "Type": "Notification",
                    "MessageId": str(uuid.uuid4()),
                    "TopicArn": event.topic_arn,
                    "Subject": None,
                    "Message": item.message,
                    "Timestamp": event.timestamp,
                    "SignatureVersion": "1",
                    "Signature": "",
                    "SigningCertUrl": "",
                    "UnsubscribeUrl": "",
                    "MessageAttributes": {name: {"Type": k, "Value": v} for name, (k, v) in item.attributes.items()},
                },
            }
        ]
    }


@dataclass
class FunctionTarget:
    """A Lambda function, invoked as SNS invokes a subscribed one: asynchronously, one record per call."""

    lambda_client: Any
    name: str
    backoff: Backoff
    max_entries: ClassVar[int] = 10
    max_bytes: ClassVar[int] = 10 * MAX_BATCH_BYTES  # one call per event: only the count bounds a batch

    def check(self) -> None:
        try:
            self.lambda_client.get_function_configuration(FunctionName=self.name)
        except Exception as error:
            raise TargetError(f"the function {self.name} cannot be used: {error}") from error

    def send(self, batch: list[Replayed]) -> list[tuple[Replayed, str]]:
        def call(items: list[Replayed]) -> list[tuple[Replayed, str, bool]]:
            [item] = items
            answer = self.lambda_client.invoke(
                FunctionName=self.name, InvocationType="Event", Payload=json.dumps(sns_event(item)).encode()
            )
            status = int(answer.get("StatusCode", 0))
            return [] if 200 <= status < 300 else [(item, f"Lambda answered {status}", status >= 500)]

        return [failure for item in batch for failure in send_batch([item], call, self.backoff)]


def _local(host: str | None) -> bool:
    return host in ("localhost", "127.0.0.1", "::1")


@dataclass
class EndpointTarget:
    """An HTTPS endpoint: a POST of the body itself, the attributes as `X-Message-Attribute-<name>` headers.

    A large event's pointer is resolved from S3 first (HTTP has no 256 KiB limit). 429 and 5xx are
    retried, honouring Retry-After; any other non-2xx fails the event.
    """

    url: str
    s3: Any
    backoff: Backoff
    headers: dict[str, str]
    timeout: float = 10.0
    max_entries: ClassVar[int] = 10
    max_bytes: ClassVar[int] = 10 * MAX_BATCH_BYTES

    def check(self) -> None:
        parsed = urllib.parse.urlsplit(self.url)
        if parsed.scheme != "https" and not (parsed.scheme == "http" and _local(parsed.hostname)):
            raise TargetError(f"the endpoint must be https:// (plain http only to localhost): {self.url}")

    def body(self, item: Replayed) -> tuple[bytes, Attributes]:
        if SIZE_ATTRIBUTE not in item.attributes:
            return item.message.encode("utf-8"), item.attributes
        pointer = json.loads(item.message)
        if not (isinstance(pointer, list) and len(pointer) == 2 and pointer[0] == POINTER_CLASS):
            return item.message.encode("utf-8"), item.attributes
        stored = self.s3.get_object(Bucket=pointer[1]["s3BucketName"], Key=pointer[1]["s3Key"])["Body"]
        attributes = {name: value for name, value in item.attributes.items() if name != SIZE_ATTRIBUTE}
        return stored.read(), attributes

    def post(self, item: Replayed) -> tuple[bool, str, float]:
        """(sent, why not, seconds the server asked to wait)."""
        try:
            body, attributes = self.body(item)
        except Exception as error:
            return False, f"the large event's body could not be read from S3: {error}", -1.0
        headers = {"Content-Type": "application/json", **self.headers}
        for name, (_kind, value) in attributes.items():
            headers[f"X-Message-Attribute-{name}"] = value if value.isascii() else urllib.parse.quote(value)
        request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=self.timeout):  # noqa: S310 - scheme checked
                return True, "", 0.0
        except urllib.error.HTTPError as error:
            wait = float(error.headers.get("Retry-After", "0") or 0) if error.headers else 0.0
            return False, f"HTTP {error.code}", wait if error.code == 429 or error.code >= 500 else -1.0
        except (urllib.error.URLError, TimeoutError, OSError) as error:
            return False, f"no answer: {error}", 0.0

    def send(self, batch: list[Replayed]) -> list[tuple[Replayed, str]]:
        failed: list[tuple[Replayed, str]] = []
        for item in batch:
            for attempt in range(self.backoff.attempts):
                sent, reason, wait = self.post(item)
                if sent:
                    break
                if wait < 0 or attempt == self.backoff.attempts - 1:
                    failed.append((item, reason))
                    break
                self.backoff.wait(attempt, at_least=min(wait, 60.0))
        return failed
