"""Every event the stack publishes is in the archive, exactly as published, laid out by source, noun and day.

The delivery stream is emulated (devkit/archive.py): moto hands SNS's envelope to a queue per
Firehose subscription, and the writer lays it out as the template's Prefix says.
"""

from __future__ import annotations

import gzip
import json
import re
from datetime import UTC, datetime

import boto3

from handler.publishing import POINTER_CLASS, SIZE_ATTRIBUTE
from tests.archive.conftest import BETTERMODE, CAND, archived_lines, publish_samples
from tests.conftest import REGION, Receiver, raw, sample
from tests.support import event_of_size

KEY = re.compile(
    r"^events/source=(?P<source>[a-z]+)/noun=(?P<noun>[A-Z_]+)/dt=(?P<dt>\d{4}-\d{2}-\d{2})/"
    r"webhooks-local-ArchiveDeliveryStream-[A-Za-z0-9]+-1-\d{4}(-\d{2}){5}-[0-9a-f-]{36}\.gz$"
)


def test_every_published_event_is_archived_once_exactly_as_published(receiver: Receiver, bucket: str) -> None:
    subscriber_got = {}
    for name in ("post.published", "reaction.added", "widget.spun"):
        assert receiver.post(raw(sample(name))).status == 200
    for messages in receiver.received().values():
        for message in messages:
            subscriber_got[message.attributes["event_id"]] = message
    assert receiver.stack.archive is not None
    receiver.stack.archive.deliver()

    archived = [envelope for lines in archived_lines(bucket).values() for envelope in lines]
    by_id = {envelope["MessageAttributes"]["event_id"]["Value"]: envelope for envelope in archived}
    assert len(archived) == len(by_id) == len(subscriber_got) == 3
    for event_id, message in subscriber_got.items():
        envelope = by_id[event_id]
        assert envelope["Message"] == message.body  # the body as published, byte for byte
        assert {name: value["Value"] for name, value in envelope["MessageAttributes"].items()} == message.attributes
        assert envelope["Type"] == "Notification"
        assert (
            envelope["TopicArn"]
            == receiver.stack.topics[
                {"post.published": "TopicPOST", "reaction.added": "TopicREACTION", "widget.spun": "CatchAllTopic"}[
                    message.attributes["event_name"]
                ]
            ]
        )
        published = datetime.fromisoformat(envelope["Timestamp"])
        assert abs((datetime.now(UTC) - published).total_seconds()) < 60  # the receive time
        assert envelope["MessageId"]


def test_nothing_published_is_missing_from_the_archive(receiver: Receiver, bucket: str) -> None:
    published = publish_samples(receiver)
    assert receiver.stack.archive is not None
    receiver.stack.archive.deliver()
    archived = {
        envelope["MessageAttributes"]["event_id"]["Value"]: envelope["Message"]
        for lines in archived_lines(bucket).values()
        for envelope in lines
    }
    assert len(published) == len(BETTERMODE) + len(CAND)
    assert archived == {event_id: body.decode() for event_id, body in published.items()}


def test_layout_is_source_noun_day_gzip_one_envelope_per_line(receiver: Receiver, bucket: str) -> None:
    publish_samples(receiver)
    assert receiver.stack.archive is not None
    receiver.stack.archive.deliver()
    lines = archived_lines(bucket)
    today = datetime.now(UTC).date().isoformat()
    partitions = set()
    for key, envelopes in lines.items():
        match = KEY.match(key)
        assert match, key
        partitions.add((match["source"], match["noun"]))
        assert match["dt"] == today
        for envelope in envelopes:
            assert envelope["MessageAttributes"]["source"]["Value"] == match["source"]
            assert envelope["TopicArn"].endswith(f":webhooks-local-{match['noun']}")  # the topic's noun
    assert partitions == {
        ("bettermode", "POST"), ("bettermode", "REACTION"), ("bettermode", "SPACE"), ("bettermode", "MEMBER"),
        ("bettermode", "OTHER"), ("cand", "MEMBER"), ("cand", "OTHER"),
    }  # fmt: skip
    s3 = boto3.client("s3", region_name=REGION)
    some_key = next(iter(lines))
    assert s3.get_object(Bucket=bucket, Key=some_key)["Body"].read()[:2] == b"\x1f\x8b"  # GZIP
    assert gzip.decompress(s3.get_object(Bucket=bucket, Key=some_key)["Body"].read()).endswith(b"}\n")


def test_a_large_event_is_archived_as_its_pointer_and_its_body_stays_in_the_payload_bucket(
    receiver: Receiver, bucket: str
) -> None:
    body = event_of_size(300_000, event_id="c" * 32)
    assert receiver.post(body).status == 200
    assert receiver.stack.archive is not None
    receiver.stack.archive.deliver()
    [envelope] = [e for lines in archived_lines(bucket).values() for e in lines]
    assert envelope["MessageAttributes"][SIZE_ATTRIBUTE] == {"Type": "Number", "Value": "300000"}
    kind, pointer = json.loads(envelope["Message"])
    assert kind == POINTER_CLASS
    stored = boto3.client("s3", region_name=REGION).get_object(Bucket=pointer["s3BucketName"], Key=pointer["s3Key"])
    assert stored["Body"].read() == body


def test_the_archive_is_a_subscription_not_a_call_of_the_function(receiver: Receiver) -> None:
    """The function's environment names no archive: its requests make the calls they made before."""
    assert not any("ARCHIVE" in name or "FIREHOSE" in name for name in receiver.stack.environment)
