"""The shared clients send what plain boto3 sends, while encoding an SNS body only once."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import boto3
import botocore.awsrequest
import pytest
from botocore.awsrequest import AWSResponse

from handler import aws_clients

REGION = "us-east-1"
TOPIC = "arn:aws:sns:us-east-1:123456789012:webhooks-POST"
MESSAGE = json.dumps({"text": "Grüße, 你好 & <b>a+b=c</b> %20 ~", "n": 1}, ensure_ascii=False) * 50
ATTRIBUTES = {
    "noun": {"DataType": "String", "StringValue": "POST"},
    "space": {"DataType": "String", "StringValue": "Café & Co"},
    "size": {"DataType": "Number", "StringValue": "10240"},
}
PUBLISHED = b"<PublishResponse><PublishResult><MessageId>m-1</MessageId></PublishResult></PublishResponse>"


class _Raw:
    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._body


@pytest.fixture
def credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)


@contextmanager
def counted_encodings() -> Iterator[list[int]]:
    """How often a body is form-encoded, by botocore or by the shared client's hook."""
    count = [0]
    encode = botocore.awsrequest.urlencode

    def counting(*args: Any, **kwargs: Any) -> str:
        count[0] += 1
        return encode(*args, **kwargs)

    with pytest.MonkeyPatch.context() as patched:
        patched.setattr(botocore.awsrequest, "urlencode", counting)
        patched.setattr(aws_clients, "urlencode", counting)
        yield count


def sent_body(client: Any) -> tuple[str, int]:
    """The bytes one Publish puts on the wire, and how often a body was form-encoded for it."""
    sent: list[str] = []

    def answer(request: Any, **_: Any) -> AWSResponse:
        sent.append(request.body)
        return AWSResponse(request.url, 200, {"content-type": "text/xml"}, _Raw(PUBLISHED))

    client.meta.events.register_first("before-send", answer)
    with counted_encodings() as encodings:
        client.publish(TopicArn=TOPIC, Message=MESSAGE, MessageAttributes=ATTRIBUTES)
    assert len(sent) == 1
    return sent[0], encodings[0]


def test_the_sns_body_is_the_one_boto3_sends_encoded_once(credentials: None) -> None:
    plain, plain_encodings = sent_body(boto3.session.Session().client("sns", region_name=REGION))
    ours, our_encodings = sent_body(aws_clients.Clients()("sns"))

    assert ours == plain
    assert plain_encodings >= 2  # once to sign, once to send: what the shared client saves
    assert our_encodings == 1


def test_a_message_reaches_a_subscriber_unchanged(credentials: None) -> None:
    from moto import mock_aws

    with mock_aws():
        sns, sqs = boto3.client("sns", region_name=REGION), boto3.client("sqs", region_name=REGION)
        topic = sns.create_topic(Name="webhooks-POST")["TopicArn"]
        queue = sqs.create_queue(QueueName="subscriber")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn, Attributes={"RawMessageDelivery": "true"})

        aws_clients.Clients()("sns").publish(TopicArn=topic, Message=MESSAGE, MessageAttributes=ATTRIBUTES)

        received = sqs.receive_message(QueueUrl=queue, MessageAttributeNames=["All"])["Messages"]
    assert [message["Body"] for message in received] == [MESSAGE]
    assert received[0]["MessageAttributes"]["space"]["StringValue"] == "Café & Co"
    assert received[0]["MessageAttributes"]["size"]["StringValue"] == "10240"


def test_retried_publish_sends_the_same_bytes_again(credentials: None) -> None:
    """A throttled first attempt is retried with the body already encoded, not encoded twice over."""
    client = aws_clients.Clients()("sns")
    sent: list[str] = []

    def answer(request: Any, **_: Any) -> AWSResponse:
        sent.append(request.body)
        if len(sent) == 1:
            throttled = (
                b"<ErrorResponse><Error><Code>Throttling</Code><Message>slow down</Message></Error></ErrorResponse>"
            )
            return AWSResponse(request.url, 400, {"content-type": "text/xml"}, _Raw(throttled))
        return AWSResponse(request.url, 200, {"content-type": "text/xml"}, _Raw(PUBLISHED))

    client.meta.events.register_first("before-send", answer)
    with counted_encodings() as encodings:
        response = client.publish(TopicArn=TOPIC, Message=MESSAGE)

    assert response["MessageId"] == "m-1"
    assert encodings == [1]  # for both attempts
    assert len(sent) == 2 and sent[0] == sent[1]
    assert "&Message=" in sent[0] and "%C3%BC" in sent[0]  # form-encoded once: "ü", not "%25C3"
