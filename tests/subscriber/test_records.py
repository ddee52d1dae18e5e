"""Every shape a subscriber receives an event in, from messages moto's SNS and SQS really delivered.

A signed webhook goes through the receiver (the stack emulated from template.yaml) to its POST
topic; queues subscribed with and without raw delivery get what SNS delivers, and the helper must
give back the same typed event and attributes from each.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
import requests
from aws_lambda_powertools.utilities.data_classes.sns_event import SNSEventRecord
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

from tests.conftest import Receiver, raw, sample
from tests.subscriber.helpers import REGION, receive_all, sns_record, sqs_record, subscribed_queue
from webhook_events import (
    Delivery,
    InvalidSignature,
    NotAnEvent,
    PostEvent,
    SubscriptionConfirmation,
    parse_notification,
    parse_record,
)
from webhook_events.signatures import string_to_sign

EXPECTED_ATTRIBUTES = {
    "source": "bettermode",
    "event_id": "f2d51f56ceef439cf659f06797a66592",
    "event_name": "post.published",
    "noun": "POST",
    "verb": "PUBLISHED",
    "network_id": "CAxOmI7I7t",
    "space_id": "kBMLH6nwC78J",
    "actor_id": "olQ88vTqYp",
}


def moto_fetch(url: str) -> bytes:
    """moto serves the certificate it signed with at the SigningCertURL (over `requests`)."""
    return requests.get(url, timeout=5).content


@pytest.fixture
def delivered(receiver: Receiver) -> dict[str, Any]:
    """One published post, as it reached a raw queue and a wrapped (non-raw) queue."""
    sns, sqs = boto3.client("sns", region_name=REGION), boto3.client("sqs", region_name=REGION)
    topic = receiver.stack.topics["TopicPOST"]
    raw_url, raw_arn = subscribed_queue(sns, sqs, topic, "raw-posts", RawMessageDelivery="true")
    wrapped_url, wrapped_arn = subscribed_queue(sns, sqs, topic, "wrapped-posts")
    body = raw(sample("post.published"))
    assert receiver.post(body).status == 200
    [raw_message] = receive_all(sqs, raw_url)
    [wrapped_message] = receive_all(sqs, wrapped_url)
    return {
        "topic": topic,
        "body": body.decode(),
        "raw": raw_message,
        "raw_arn": raw_arn,
        "wrapped": wrapped_message,
        "wrapped_arn": wrapped_arn,
    }


def assert_the_published_post(delivery: Delivery[Any], body: str) -> None:
    assert isinstance(delivery.event, PostEvent)
    assert delivery.event.post.title == "Hello world" and delivery.event.is_reply is False
    assert delivery.body == body  # byte for byte what the platform sent
    assert dict(delivery.attributes) == EXPECTED_ATTRIBUTES
    assert (delivery.event_id, delivery.source, delivery.event_name, delivery.noun, delivery.verb) == (
        "f2d51f56ceef439cf659f06797a66592",
        "bettermode",
        "post.published",
        "POST",
        "PUBLISHED",
    )


def test_sqs_record_with_raw_delivery(delivered: dict[str, Any]) -> None:
    record = sqs_record(delivered["raw"], delivered["raw_arn"])
    delivery = parse_record(record)
    assert_the_published_post(delivery, delivered["body"])
    assert delivery.message_id == delivered["raw"]["MessageId"]
    assert delivery.topic_arn is None  # raw delivery does not say


def test_sqs_record_wrapping_the_sns_envelope(delivered: dict[str, Any]) -> None:
    envelope = json.loads(delivered["wrapped"]["Body"])
    assert envelope["Type"] == "Notification"  # what moto delivered is SNS's envelope
    delivery = parse_record(sqs_record(delivered["wrapped"], delivered["wrapped_arn"]))
    assert_the_published_post(delivery, delivered["body"])
    assert delivery.message_id == envelope["MessageId"]
    assert delivery.topic_arn == delivered["topic"]


def test_sns_record_of_a_subscribed_function(delivered: dict[str, Any]) -> None:
    envelope = json.loads(delivered["wrapped"]["Body"])
    record = sns_record(envelope, f"{delivered['topic']}:0b5a1f7c")
    assert_the_published_post(parse_record(record), delivered["body"])
    assert_the_published_post(parse_record(SNSEventRecord(record)), delivered["body"])


def test_sns_https_notification_verified_with_the_certificate_sns_signed_with(delivered: dict[str, Any]) -> None:
    notification = delivered["wrapped"]["Body"]  # the very document SNS POSTs to an HTTPS endpoint
    delivery = parse_notification(notification, PostEvent, fetch=moto_fetch)
    assert isinstance(delivery, Delivery)
    assert_the_published_post(delivery, delivered["body"])


def test_a_notification_from_a_topic_not_subscribed_to_is_refused(delivered: dict[str, Any]) -> None:
    """SNS signs every topic's messages: the signature alone does not say the topic is ours."""
    notification = delivered["wrapped"]["Body"]
    ours = parse_notification(notification, fetch=moto_fetch, topic_arns=[delivered["topic"]])
    assert isinstance(ours, Delivery)
    other = delivered["topic"].replace("-POST", "-ELSEWHERE")
    with pytest.raises(InvalidSignature, match="not one subscribed to"):
        parse_notification(notification, fetch=moto_fetch, topic_arns=[other])


def test_a_tampered_notification_is_refused(delivered: dict[str, Any]) -> None:
    envelope = json.loads(delivered["wrapped"]["Body"])
    forged = json.loads(envelope["Message"])
    forged["data"]["object"]["title"] = "Forged"
    tampered = envelope | {"Message": json.dumps(forged)}
    with pytest.raises(InvalidSignature, match="does not match"):
        parse_notification(json.dumps(tampered), fetch=moto_fetch)
    unchecked = parse_notification(json.dumps(tampered), verify=False)
    assert isinstance(unchecked, Delivery) and isinstance(unchecked.event, PostEvent)
    assert unchecked.event.post.title == "Forged"  # which is why verify=False needs another proof


@pytest.mark.parametrize(
    "url",
    [
        "https://sns.us-east-1.amazonaws.com.attacker.example/cert.pem",
        "http://sns.us-east-1.amazonaws.com/cert.pem",
        "https://attacker.example/sns.us-east-1.amazonaws.com/cert.pem",
        "https://sns.us-east-1.amazonaws.com:8443/cert.pem",
        "https://sns.us-east-1.amazonaws.com/cert.txt",
        "https://sns.us-east-1.amazonaws.com/cert.pem",  # not SNS's certificate path
        "https://sns.s3.amazonaws.com/SimpleNotificationService-0123abcd.pem",  # an S3 bucket named "sns"
        "https://sns.s3-us-west-2.amazonaws.com/SimpleNotificationService-0123abcd.pem",
        "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-0123abcd.pem?x=1",
    ],
)
def test_a_certificate_from_anywhere_but_sns_is_never_fetched(delivered: dict[str, Any], url: str) -> None:
    fetched: list[str] = []
    envelope = json.loads(delivered["wrapped"]["Body"]) | {"SigningCertURL": url}
    with pytest.raises(InvalidSignature, match="certificate"):
        parse_notification(json.dumps(envelope), fetch=lambda u: fetched.append(u) or b"")
    assert fetched == []


def test_powertools_sqs_record_and_a_polled_message_are_accepted(delivered: dict[str, Any]) -> None:
    record = sqs_record(delivered["raw"], delivered["raw_arn"])
    assert_the_published_post(parse_record(SQSRecord(record)), delivered["body"])
    assert_the_published_post(parse_record(delivered["raw"]), delivered["body"])  # boto3 receive_message
    assert_the_published_post(parse_record(delivered["wrapped"]), delivered["body"])


def test_an_offloaded_large_event_is_fetched_from_s3(receiver: Receiver) -> None:
    document = sample("post.published")
    document["data"]["object"]["shortContent"] = "x" * 300_000
    body = raw(document)
    sns, sqs = boto3.client("sns", region_name=REGION), boto3.client("sqs", region_name=REGION)
    wrapped_url, _ = subscribed_queue(sns, sqs, receiver.stack.topics["TopicPOST"], "wrapped-large")
    assert receiver.post(body).status == 200
    [raw_message] = receive_all(sqs, receiver.stack.queues["TopicPOST"])
    assert json.loads(raw_message["Body"])[0] == "software.amazon.payloadoffloading.PayloadS3Pointer"
    assert raw_message["MessageAttributes"]["ExtendedPayloadSize"]["DataType"] == "Number"
    [wrapped_message] = receive_all(sqs, wrapped_url)
    for record in (sqs_record(raw_message, "arn:aws:sqs:us-east-1:123456789012:q"), wrapped_message):
        delivery = parse_record(record, PostEvent, s3=boto3.client("s3", region_name=REGION))
        assert delivery.body == body.decode()
        assert len(delivery.event.post.short_content or "") == 300_000
        assert delivery.event_id == "f2d51f56ceef439cf659f06797a66592"
        assert "ExtendedPayloadSize" not in delivery.attributes  # transport detail, not a filter attribute


def test_a_record_without_an_event_is_refused() -> None:
    with pytest.raises(NotAnEvent):
        parse_record({"messageId": "1", "eventSource": "aws:sqs"})
    with pytest.raises(json.JSONDecodeError):
        parse_record({"messageId": "1", "body": "not json", "messageAttributes": {}})


# ----- subscription confirmations: SNS's first message to an HTTPS endpoint -------------------------
class SnsSigner:
    """Stands in for SNS's signing key and the certificate it serves."""

    url = "https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-6aad65c2f9911b05cd53efda11f913f9.pem"

    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sns.amazonaws.com")])
        now = datetime.now(UTC)
        self.pem = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=1))
            .sign(self.key, hashes.SHA256())
            .public_bytes(serialization.Encoding.PEM)
        )

    def fetch(self, url: str) -> bytes:
        assert url == self.url
        return self.pem

    def sign(self, message: dict[str, Any], version: str) -> dict[str, Any]:
        algorithm = hashes.SHA1() if version == "1" else hashes.SHA256()  # noqa: S303 - SNS's version 1
        message = message | {"SignatureVersion": version, "SigningCertURL": self.url}
        signature = self.key.sign(string_to_sign(message), padding.PKCS1v15(), algorithm)
        return message | {"Signature": base64.b64encode(signature).decode()}


def confirmation(topic_arn: str) -> dict[str, Any]:
    return {
        "Type": "SubscriptionConfirmation",
        "MessageId": "165545c9-2a5c-472c-8df2-7ff2be2b3b1b",
        "Token": "2336412f37fb687f5d51e6e2425f004aed",
        "TopicArn": topic_arn,
        "Message": f"You have chosen to subscribe to the topic {topic_arn}.",
        "SubscribeURL": "https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription&Token=2336412f",
        "Timestamp": "2026-11-23T08:00:00.000Z",
    }


@pytest.mark.parametrize("version", ["1", "2"])
def test_a_subscription_confirmation_is_returned_to_act_on(aws: None, version: str) -> None:
    sns = boto3.client("sns", region_name=REGION)
    topic = sns.create_topic(Name="community-webhooks-POST")["TopicArn"]
    signer = SnsSigner()
    body = json.dumps(signer.sign(confirmation(topic), version))
    result = parse_notification(body, fetch=signer.fetch)
    assert isinstance(result, SubscriptionConfirmation)
    assert (result.type, result.topic_arn, result.token) == (
        "SubscriptionConfirmation",
        topic,
        "2336412f37fb687f5d51e6e2425f004aed",
    )
    assert result.confirm(sns).startswith(topic)
    forged = json.loads(body) | {"Token": "another-token"}
    with pytest.raises(InvalidSignature):
        parse_notification(json.dumps(forged), fetch=signer.fetch)


def test_a_confirmation_that_reaches_a_queue_fails_its_record_with_the_confirmation_attached() -> None:
    document = confirmation("arn:aws:sns:us-east-1:210987654321:community-webhooks-POST")
    record = {"messageId": "m-1", "body": json.dumps(document), "messageAttributes": {}, "eventSource": "aws:sqs"}
    with pytest.raises(NotAnEvent) as refused:
        parse_record(record)
    assert refused.value.confirmation is not None
    assert refused.value.confirmation.topic_arn == document["TopicArn"]
