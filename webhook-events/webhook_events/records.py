"""From what a subscriber receives to a typed event: every shape SNS and SQS deliver in.

- an SQS record whose subscription has raw delivery: the body is the event, attributes are SQS's;
- an SQS record without raw delivery: the body is SNS's JSON envelope around the event;
- an SNS record (a Lambda function subscribed to the topic);
- an SNS HTTPS notification (the POST body SNS sends to an HTTPS subscription).

A large event arrives as an S3 pointer (see the receiver's "Large events") and is fetched here, so
a handler always sees the event itself.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar, overload

from pydantic import BaseModel

from webhook_events.clients import client
from webhook_events.models import CommunityEvent, parse_event
from webhook_events.signatures import CertificateFetcher, InvalidSignature, fetch_certificate, verify_notification

POINTER_CLASS = "software.amazon.payloadoffloading.PayloadS3Pointer"
SIZE_ATTRIBUTE = "ExtendedPayloadSize"
NOTIFICATION = "Notification"
CONFIRMATIONS = ("SubscriptionConfirmation", "UnsubscribeConfirmation")

E = TypeVar("E", bound=BaseModel)


@dataclass(frozen=True)
class Delivery(Generic[E]):
    """One event as a subscriber received it: the typed event, its filter attributes, the raw body."""

    event: E
    attributes: Mapping[str, str]
    body: str  # the webhook body exactly as the platform sent it (fetched from S3 if it was offloaded)
    message_id: str  # SQS's or SNS's id of this delivery, not of the event: a redelivery has another
    topic_arn: str | None = None  # absent from raw SQS deliveries
    group_id: str | None = None  # from a FIFO topic through a FIFO queue: the object's message group
    sequence_number: str | None = None  # and its place in that group's order

    @property
    def event_id(self) -> str:
        """The event's id, the same in every delivery of it: the key to drop duplicates by."""
        return self.attributes.get("event_id") or str(getattr(self.event, "event_id", ""))

    @property
    def source(self) -> str:
        return self.attributes.get("source") or str(getattr(self.event, "source", ""))

    @property
    def event_name(self) -> str:
        return self.attributes.get("event_name") or str(getattr(self.event, "name", ""))

    @property
    def noun(self) -> str:
        return self.attributes.get("noun") or str(getattr(self.event, "noun", ""))

    @property
    def verb(self) -> str:
        return self.attributes.get("verb") or str(getattr(self.event, "verb", "") or "")

    def age_seconds(self, now: datetime | None = None) -> float | None:
        """How long ago the event happened (its own time) at `now` (default: now): the consumer's own
        lag, measured like the receiver's EventAge. None when the event carries no time (canD)."""
        occurred = getattr(self.event, "occurred_at", None)
        if not isinstance(occurred, datetime) or occurred.tzinfo is None:
            return None
        return max(0.0, ((now or datetime.now(UTC)) - occurred).total_seconds())


@dataclass(frozen=True)
class SubscriptionConfirmation:
    """SNS asks an HTTPS endpoint (or a queue in another account) to confirm a (un)subscription."""

    type: str  # "SubscriptionConfirmation" or "UnsubscribeConfirmation"
    topic_arn: str
    token: str
    subscribe_url: str
    message: str = field(repr=False)

    def confirm(self, sns: Any | None = None) -> str:
        """Confirm the subscription through the SNS API (no URL is followed); returns its ARN."""
        sns = sns or client("sns")
        return str(sns.confirm_subscription(TopicArn=self.topic_arn, Token=self.token)["SubscriptionArn"])


class NotAnEvent(ValueError):
    """The record is no event notification, e.g. a subscription confirmation that reached a queue."""

    def __init__(self, reason: str, confirmation: SubscriptionConfirmation | None = None) -> None:
        super().__init__(reason)
        self.confirmation = confirmation


@dataclass(frozen=True)
class _Message:
    """What every shape boils down to: the SNS message text, its attributes, ids."""

    text: str
    attributes: dict[str, str]
    message_id: str
    topic_arn: str | None
    group_id: str | None = None
    sequence_number: str | None = None


def _raw(record: Any) -> Mapping[str, Any]:
    """The record as a mapping: Powertools' data classes keep it in `raw_event`."""
    raw = getattr(record, "raw_event", record)
    if not isinstance(raw, Mapping):
        raise NotAnEvent(f"expected an SQS or SNS record, got {type(record).__name__}")
    return raw


def _envelope(text: str) -> Mapping[str, Any] | None:
    """SNS's JSON envelope (delivery without raw message delivery), or None for a raw body."""
    if '"TopicArn"' not in text:  # cheap: a webhook body never has this key at its top
        return None
    try:
        document = json.loads(text)
    except ValueError:
        return None
    if isinstance(document, dict) and "TopicArn" in document and document.get("Type") in (NOTIFICATION, *CONFIRMATIONS):
        return document
    return None


def _sns_attributes(attributes: Mapping[str, Any] | None) -> dict[str, str]:
    """SNS's `{"Type": ..., "Value": ...}` attributes as name -> value."""
    return {name: str(value.get("Value", "")) for name, value in (attributes or {}).items()}


def _from_sns(document: Mapping[str, Any]) -> _Message:
    kind = document.get("Type")
    if kind in CONFIRMATIONS:
        raise NotAnEvent(
            f"an SNS {kind}, not an event: confirm it with .confirmation.confirm()", _confirmation(document)
        )
    if kind != NOTIFICATION:
        raise NotAnEvent(f"unknown SNS message type {kind!r}")
    return _Message(
        text=str(document["Message"]),
        attributes=_sns_attributes(document.get("MessageAttributes")),
        message_id=str(document.get("MessageId", "")),
        topic_arn=document.get("TopicArn"),
        group_id=document.get("MessageGroupId"),
        sequence_number=document.get("SequenceNumber"),
    )


def _confirmation(document: Mapping[str, Any]) -> SubscriptionConfirmation:
    return SubscriptionConfirmation(
        type=str(document["Type"]),
        topic_arn=str(document["TopicArn"]),
        token=str(document.get("Token", "")),
        subscribe_url=str(document.get("SubscribeURL", "")),
        message=str(document.get("Message", "")),
    )


def _message(record: Any) -> _Message:
    """Unwrap an SQS record (Lambda's or `receive_message`'s shape, raw or not) or an SNS Lambda record."""
    raw = _raw(record)
    if "Sns" in raw:  # Lambda subscribed to the topic
        return _from_sns(raw["Sns"])
    body = raw.get("body", raw.get("Body"))
    if not isinstance(body, str):
        raise NotAnEvent("the record has neither an SQS body nor an SNS message")
    # a FIFO queue's record: its group and sequence number (Lambda's `attributes`, boto3's `Attributes`)
    system = raw.get("attributes", raw.get("Attributes")) or {}
    fifo = {"group_id": system.get("MessageGroupId"), "sequence_number": system.get("SequenceNumber")}
    envelope = _envelope(body)
    if envelope is not None:
        return dataclasses.replace(_from_sns(envelope), **{k: v for k, v in fifo.items() if v})
    attributes = raw.get("messageAttributes", raw.get("MessageAttributes")) or {}
    return _Message(
        text=body,
        attributes={
            name: str(value.get("stringValue", value.get("StringValue", ""))) for name, value in attributes.items()
        },
        message_id=str(raw.get("messageId", raw.get("MessageId", ""))),
        topic_arn=None,
        **fifo,
    )


def s3_pointer(text: str) -> tuple[str, str] | None:
    """(bucket, key) of an offloaded body, or None for an event itself (always a JSON object)."""
    if not text.lstrip().startswith("["):
        return None
    document = json.loads(text)
    if (
        isinstance(document, list)
        and len(document) == 2
        and document[0] == POINTER_CLASS
        and isinstance(document[1], dict)
    ):
        return str(document[1]["s3BucketName"]), str(document[1]["s3Key"])
    return None


def resolve_body(text: str, s3: Any | None = None) -> str:
    """The event body: `text` itself, or the S3 object it points to."""
    pointer = s3_pointer(text)
    if pointer is None:
        return text
    bucket, key = pointer
    obj = (s3 or client("s3")).get_object(Bucket=bucket, Key=key)
    return bytes(obj["Body"].read()).decode("utf-8")


def _deliver(message: _Message, model: type[E] | None, s3: Any | None) -> Delivery[Any]:
    body = resolve_body(message.text, s3)
    event: Any = parse_event(body) if model is None else model.model_validate_json(body)
    attributes = {name: value for name, value in message.attributes.items() if name != SIZE_ATTRIBUTE}
    return Delivery(
        event, attributes, body, message.message_id, message.topic_arn, message.group_id, message.sequence_number
    )


@overload
def parse_record(record: Any, model: None = None, *, s3: Any | None = None) -> Delivery[CommunityEvent]: ...
@overload
def parse_record(record: Any, model: type[E], *, s3: Any | None = None) -> Delivery[E]: ...
def parse_record(record: Any, model: type[E] | None = None, *, s3: Any | None = None) -> Delivery[Any]:
    """The event in an SQS record (raw or SNS-wrapped) or an SNS Lambda record.

    Accepts the Lambda event's record dict, Powertools' `SQSRecord`/`SNSRecord`, or a message from
    boto3's `receive_message`. With `model` (e.g. `PostEvent`) the event is validated as that model;
    without, `parse_event` picks the family. Raises `NotAnEvent` for a subscription confirmation and
    `pydantic.ValidationError` for a body that is no event: let either fail the record.
    """
    return _deliver(_message(record), model, s3)


@overload
def parse_notification(
    body: str | bytes,
    model: None = None,
    *,
    verify: bool = True,
    fetch: CertificateFetcher = ...,
    s3: Any | None = None,
    topic_arns: Collection[str] | None = None,
) -> Delivery[CommunityEvent] | SubscriptionConfirmation: ...
@overload
def parse_notification(
    body: str | bytes,
    model: type[E],
    *,
    verify: bool = True,
    fetch: CertificateFetcher = ...,
    s3: Any | None = None,
    topic_arns: Collection[str] | None = None,
) -> Delivery[E] | SubscriptionConfirmation: ...
def parse_notification(
    body: str | bytes,
    model: type[E] | None = None,
    *,
    verify: bool = True,
    fetch: CertificateFetcher = fetch_certificate,
    s3: Any | None = None,
    topic_arns: Collection[str] | None = None,
) -> Delivery[Any] | SubscriptionConfirmation:
    """The event in the body of an SNS HTTPS notification, or the confirmation SNS asks for.

    The signature is verified first (`InvalidSignature` if it fails: answer 403); pass
    `verify=False` only where something else proves the sender. A `SubscriptionConfirmation` is
    returned, not raised: call its `confirm()` once you trust the topic, then answer 200.

    A valid signature proves the message is from SNS, not from *your* topic: pass `topic_arns` (the
    receiver's topics you subscribed to) and a message from any other topic raises
    `InvalidSignature` before it is confirmed or its S3 pointer followed.
    """
    document = json.loads(body)
    if not isinstance(document, dict):
        raise NotAnEvent("an SNS notification is a JSON object")
    if verify:
        verify_notification(document, fetch)
    if topic_arns is not None and document.get("TopicArn") not in topic_arns:
        raise InvalidSignature(f"the message is from topic {document.get('TopicArn')!r}, not one subscribed to")
    if document.get("Type") in CONFIRMATIONS:
        return _confirmation(document)
    return _deliver(_from_sns(document), model, s3)
