"""Events on both sides of SNS's 256 KiB limit reach their subscribers; large ones through S3."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from devkit.runtime import reset_handler_state
from handler import container
from handler.publishing import POINTER_CLASS, SIZE_ATTRIBUTE, SNS_MAX_MESSAGE_BYTES, message_size
from tests.conftest import REGION, Receiver
from tests.support import event_of_size


def sns_size_of(receiver: Receiver, body: bytes) -> int:
    """What SNS would count for this body with the attributes the receiver sends."""
    from handler.providers import bettermode
    from handler.publishing import message_attributes, sns_attributes

    event = bettermode.parse(__import__("handler.model", fromlist=["Request"]).Request({}, body)).event
    return message_size(body.decode(), sns_attributes(message_attributes(event)))


def test_largest_event_that_fits_is_published_inline(receiver: Receiver) -> None:
    probe = event_of_size(200_000)
    overhead = sns_size_of(receiver, probe) - len(probe)
    body = event_of_size(SNS_MAX_MESSAGE_BYTES - overhead)
    assert sns_size_of(receiver, body) == SNS_MAX_MESSAGE_BYTES
    assert receiver.post(body).status == 200
    [message] = receiver.received()["TopicPOST"]
    assert message.body.encode() == body
    assert SIZE_ATTRIBUTE not in message.attributes
    assert boto3.client("s3", region_name=REGION).list_objects_v2(Bucket=receiver.stack.bucket).get("KeyCount") == 0


@pytest.mark.parametrize("extra", [1, 500_000, None], ids=["one-byte-over", "half-a-megabyte-over", "at-the-limit"])
def test_larger_event_goes_through_s3_as_an_extended_client_pointer(receiver: Receiver, extra: int | None) -> None:
    probe = event_of_size(200_000)
    overhead = sns_size_of(receiver, probe) - len(probe)
    limit = int(receiver.stack.environment["MAX_BODY_BYTES"])  # the largest body accepted
    body = event_of_size(limit if extra is None else SNS_MAX_MESSAGE_BYTES - overhead + extra)
    assert receiver.post(body).status == 200
    [message] = receiver.received()["TopicPOST"]
    pointer = json.loads(message.body)
    assert pointer[0] == POINTER_CLASS
    assert pointer[1]["s3BucketName"] == receiver.stack.bucket
    assert message.attributes[SIZE_ATTRIBUTE] == str(len(body))
    assert message.attributes["event_id"] == "b" * 32  # filter attributes are kept
    assert len(message.attributes) <= 10
    stored = boto3.client("s3", region_name=REGION).get_object(
        Bucket=pointer[1]["s3BucketName"], Key=pointer[1]["s3Key"]
    )
    assert stored["Body"].read() == body
    assert stored["ContentType"] == "application/json"


def test_redelivered_large_event_is_neither_stored_nor_published_again(receiver: Receiver) -> None:
    body = event_of_size(400_000)
    assert receiver.post(body).status == 200
    receiver.received()
    calls: list[str] = []
    container.current().clients("s3").meta.events.register(
        "before-call.s3.*", lambda model, **_: calls.append(model.name)
    )
    assert receiver.post(body).status == 200
    assert receiver.received() == {}
    assert calls == []


def test_without_a_bucket_a_large_event_is_a_413_and_leaves_no_claim(
    receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PAYLOAD_BUCKET")
    reset_handler_state()
    response = receiver.post(event_of_size(300_000))
    assert response.status == 413
    assert "no payload bucket" in response.json()["message"]
    assert receiver.items() == [] and receiver.received() == {}


def test_s3_failure_releases_the_claim_and_keeps_the_event(receiver: Receiver) -> None:
    from botocore.exceptions import ClientError

    def fail(**_: Any) -> None:
        raise ClientError({"Error": {"Code": "SlowDown", "Message": "injected"}}, "PutObject")

    container.current().clients("s3").meta.events.register("before-call.s3.PutObject", fail, unique_id="fail")
    body = event_of_size(300_000)
    assert receiver.post(body).status == 503
    assert receiver.items() == []
    container.current().clients("s3").meta.events.unregister("before-call.s3.PutObject", unique_id="fail")
    assert receiver.post(body).status == 200
    assert len(receiver.received()["TopicPOST"]) == 1


READ_WITH_THE_EXTENDED_CLIENT = """
import hashlib, sys
import sqs_extended_client  # noqa: F401 - replaces boto3's Session with the extended one
import boto3
sqs = boto3.session.Session().client("sqs")
messages = sqs.receive_message(QueueUrl=sys.argv[1], MaxNumberOfMessages=10, MessageAttributeNames=["All"])
for message in messages.get("Messages", []):
    names = ",".join(sorted(message.get("MessageAttributes", {})))
    print(hashlib.sha256(message["Body"].encode()).hexdigest(), names)
"""


def test_the_aws_sqs_extended_client_reads_a_large_event_transparently() -> None:
    """The official Python SQS Extended Client, in its own process, over HTTP to the emulated AWS."""
    import hashlib
    import subprocess
    import sys

    from devkit import sender
    from devkit.endpoint import LocalEndpoint
    from devkit.runtime import EMULATED_AWS
    from devkit.samples import LOCAL_SECRET

    body = event_of_size(600_000, event_id="e" * 32)
    with LocalEndpoint() as endpoint:
        assert sender.send(endpoint.url, body, LOCAL_SECRET).status == 200
        environment = {"PATH": "/usr/bin:/bin", **EMULATED_AWS, "AWS_ENDPOINT_URL": endpoint.aws_url}
        result = subprocess.run(  # noqa: S603 - our interpreter, our script
            [sys.executable, "-c", READ_WITH_THE_EXTENDED_CLIENT, endpoint.stack.queues["TopicPOST"]],
            env=environment,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
    [line] = result.stdout.splitlines()
    digest, names = line.split(" ")
    assert digest == hashlib.sha256(body).hexdigest()  # the whole body, fetched from S3 by the library
    assert "event_id" in names.split(",")
    assert "ExtendedPayloadSize" not in names.split(",")  # the library consumed its marker
