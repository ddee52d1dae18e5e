"""Publishing an Event to its noun's SNS topic: the only code that talks to SNS and S3.

The message body is the webhook body exactly as received, so subscribers see what the platform
sent. Message attributes carry what subscription filter policies need; SQS raw delivery drops a
message with more than 10 attributes, so there are at most 9 of them, leaving room for one more:

An event too large for SNS (256 KiB with its attributes) is stored in S3 and the message is a
pointer in the format of the AWS SNS and SQS Extended Client libraries,
`["software.amazon.payloadoffloading.PayloadS3Pointer", {"s3BucketName": ..., "s3Key": ...}]`,
with the `ExtendedPayloadSize` attribute, so that those libraries fetch the body transparently.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from typing import Any, NamedTuple

from handler.aws_clients import ClientFactory
from handler.config import Settings
from handler.errors import PayloadTooLarge
from handler.model import Event

MAX_FILTER_ATTRIBUTES = 9
MAX_ATTRIBUTE_LENGTH = 256  # filter values are short ids and names; longer is noise, not a filter key
SNS_MAX_MESSAGE_BYTES = 262_144  # body and attributes together
POINTER_CLASS = "software.amazon.payloadoffloading.PayloadS3Pointer"

SIZE_ATTRIBUTE = "ExtendedPayloadSize"


class PublishFailed(Exception):
    """SNS (or S3) did not take the message; the claim must be released so that a retry can publish."""


class Outgoing(NamedTuple):
    """An SNS message ready to publish: the topic, the message text and its SNS attributes, and for a
    FIFO topic its message group and deduplication ids."""

    topic_arn: str
    message: str
    attributes: Mapping[str, Mapping[str, str]]
    group_id: str | None = None
    deduplication_id: str | None = None


# SNS FIFO ids: at most 128 characters, letters, digits and punctuation (Publish, MessageGroupId and
# MessageDeduplicationId: https://docs.aws.amazon.com/sns/latest/api/API_Publish.html).
MAX_FIFO_ID = 128
_FIFO_ID = re.compile(r"[A-Za-z0-9!\"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~]{1,128}")
_OBJECT_ID = re.compile(r"[A-Za-z0-9_.:-]{1,100}")


def is_fifo_id(value: object) -> bool:
    """Whether SNS takes `value` as a MessageGroupId or MessageDeduplicationId."""
    return isinstance(value, str) and _FIFO_ID.fullmatch(value) is not None


def fifo_id(value: str) -> str:
    """`value` when SNS takes it as a FIFO id as it is, else a digest of it (same value, same id)."""
    if is_fifo_id(value):
        return value
    return "sha256:" + hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()


def group_id(event: Event) -> str:
    """The event's FIFO message group: the object it is about, as its provider names it, or (never
    empty) its source and noun. An object id that is not a plain id (a sender's choice, of any
    length) is replaced by its digest, so a group is always a bounded, valid id."""
    if event.group:
        kind, _, object_id = event.group.partition(":")
        if object_id and not _OBJECT_ID.fullmatch(object_id):
            object_id = hashlib.sha256(object_id.encode("utf-8", "surrogatepass")).hexdigest()[:32]
        return fifo_id(f"{event.source}:{kind}:{object_id}" if object_id else f"{event.source}:{kind}")
    return fifo_id(f"{event.source}:{event.noun.lower()}")


def deduplication_id(event: Event) -> str:
    """The event's claim key (source and event id): a publish again within SNS's deduplication
    interval, by a retry or the redrive, is dropped by SNS."""
    return fifo_id(f"{event.source}:{event.event_id}")


def message_attributes(event: Event) -> dict[str, str]:
    """The filter attributes of an event: the shared ones first, then the provider's own.

    Values are cleaned of characters SNS refuses and cut at 256 characters; empty ones are left
    out (SNS rejects them), and the list is cut at nine.
    """
    attributes: dict[str, str] = {
        "source": event.source,
        "event_id": event.event_id,
        "event_name": event.name,
        "noun": event.noun,
    }
    if event.verb:
        attributes["verb"] = event.verb
    for name, value in event.attributes.items():
        if value and name not in attributes:
            attributes[name] = value
    cleaned = {name: clean(value) for name, value in attributes.items() if value}
    kept = {name: value for name, value in cleaned.items() if value}
    return dict(list(kept.items())[:MAX_FILTER_ATTRIBUTES])


def _allowed(character: str) -> bool:
    """XML's character range, which SNS and SQS attribute values must keep to (no lone surrogates)."""
    code = ord(character)
    return code in (0x9, 0xA, 0xD) or 0x20 <= code <= 0xD7FF or 0xE000 <= code <= 0xFFFD or 0x10000 <= code <= 0x10FFFF


def clean(value: str) -> str:
    """An attribute value SNS accepts: no refused characters, at most 256 characters."""
    if value.isascii() and value.isprintable():
        return value[:MAX_ATTRIBUTE_LENGTH]
    return "".join(character for character in value if _allowed(character))[:MAX_ATTRIBUTE_LENGTH]


def sns_attributes(attributes: Mapping[str, str]) -> dict[str, dict[str, str]]:
    """Attributes in SNS's `MessageAttributes` shape, all of type String."""
    return {name: {"DataType": "String", "StringValue": value} for name, value in attributes.items()}


def message_size(message: str, attributes: Mapping[str, Mapping[str, str]]) -> int:
    """What SNS counts against its limit: the message and every attribute's name, type and value."""
    size = len(message.encode("utf-8"))
    for name, value in attributes.items():
        size += len(name.encode()) + len(value["DataType"].encode()) + len(value["StringValue"].encode())
    return size


def payload_key(event: Event) -> str:
    """The S3 key of an offloaded body: one per event, so a retried publish rewrites the same object."""
    digest = hashlib.sha256(f"{event.source}:{event.event_id}".encode("utf-8", "surrogatepass")).hexdigest()
    return f"payloads/{event.source}/{digest[:40]}.json"


def inline(event: Event, settings: Settings) -> Outgoing:
    """The message for an event with its body as is, whatever its size."""
    topic, message = settings.topic_for(event.noun), event.body.decode("utf-8")
    attributes = sns_attributes(message_attributes(event))
    if settings.fifo:
        return Outgoing(topic, message, attributes, group_id(event), deduplication_id(event))
    return Outgoing(topic, message, attributes)


def prepare(event: Event, settings: Settings, clients: ClientFactory) -> Outgoing:
    """The message for an event: its body as is, or, when too large for SNS, a pointer to it in S3."""
    outgoing = inline(event, settings)
    if message_size(outgoing.message, outgoing.attributes) <= SNS_MAX_MESSAGE_BYTES:
        return outgoing
    if not settings.payload_bucket:
        raise PayloadTooLarge("the event is larger than SNS accepts and no payload bucket is configured")
    attributes = {**outgoing.attributes, SIZE_ATTRIBUTE: {"DataType": "Number", "StringValue": str(len(event.body))}}
    return outgoing._replace(message=offload(event, settings.payload_bucket, clients("s3")), attributes=attributes)


def offload(event: Event, bucket: str, s3: Any) -> str:
    """Store the body in S3 and return the pointer message that stands for it."""
    from botocore.exceptions import BotoCoreError, ClientError

    key = payload_key(event)
    try:
        s3.put_object(Bucket=bucket, Key=key, Body=event.body, ContentType="application/json")
    except (BotoCoreError, ClientError) as error:
        raise PublishFailed(f"storing the large event in S3 failed: {error}") from error
    return json.dumps([POINTER_CLASS, {"s3BucketName": bucket, "s3Key": key}])


def send(outgoing: Outgoing, sns: Any) -> str:
    """Publish the prepared message once; returns the SNS message id or raises PublishFailed."""
    from botocore.exceptions import BotoCoreError, ClientError

    fifo = {}
    if outgoing.group_id:
        fifo = {"MessageGroupId": outgoing.group_id, "MessageDeduplicationId": outgoing.deduplication_id}
    try:
        response = sns.publish(
            TopicArn=outgoing.topic_arn, Message=outgoing.message, MessageAttributes=dict(outgoing.attributes), **fifo
        )
    except (BotoCoreError, ClientError) as error:
        raise PublishFailed(f"SNS publish to {outgoing.topic_arn} failed: {error}") from error
    return str(response["MessageId"])
