"""handler.publishing with the client it is handed: exactly the SNS and S3 calls, stated by botocore's Stubber."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.stub import ANY, Stubber

from devkit.runtime import fresh_session
from handler.config import from_env
from handler.model import Event
from handler.publishing import POINTER_CLASS, PublishFailed, payload_key, prepare, send

TOPIC = "arn:aws:sns:us-east-1:123456789012:s-OTHER"
EVENT = Event("forum", "e-1", "thread.created", "THREAD", "CREATED", b'{"id":"e-1"}', {"thread_id": "t-9"})


def client(service: str) -> Any:
    return fresh_session().client(service, region_name="us-east-1", aws_access_key_id="k", aws_secret_access_key="s")


def no_aws(service: str) -> Any:
    pytest.fail(f"an event small enough for SNS needs no {service} call to prepare")


def test_send_publishes_the_prepared_message_once_and_returns_its_id() -> None:
    sns = client("sns")
    outgoing = prepare(EVENT, from_env({"CATCH_ALL_TOPIC_ARN": TOPIC}), no_aws)
    with Stubber(sns) as stubber:
        stubber.add_response(
            "publish",
            {"MessageId": "m-1"},
            {"TopicArn": TOPIC, "Message": '{"id":"e-1"}', "MessageAttributes": dict(outgoing.attributes)},
        )
        assert send(outgoing, sns) == "m-1"
        stubber.assert_no_pending_responses()
    assert outgoing.attributes["source"] == {"DataType": "String", "StringValue": "forum"}


def test_a_refused_publish_is_publish_failed_naming_the_topic() -> None:
    sns = client("sns")
    outgoing = prepare(EVENT, from_env({"CATCH_ALL_TOPIC_ARN": TOPIC}), no_aws)
    with Stubber(sns) as stubber:
        stubber.add_client_error("publish", "AuthorizationError", "not allowed", 403)
        with pytest.raises(PublishFailed, match=f"SNS publish to {TOPIC} failed"):
            send(outgoing, sns)


def test_a_body_too_large_for_sns_is_stored_once_and_published_as_a_pointer() -> None:
    s3 = client("s3")
    large = EVENT._replace(body=b'{"id":"e-1","x":"' + b"x" * 300_000 + b'"}')
    settings = from_env({"CATCH_ALL_TOPIC_ARN": TOPIC, "PAYLOAD_BUCKET": "payloads"})
    with Stubber(s3) as stubber:
        stubber.add_response(
            "put_object",
            {},
            {"Bucket": "payloads", "Key": payload_key(large), "Body": large.body, "ContentType": "application/json"},
        )
        outgoing = prepare(large, settings, lambda service: {"s3": s3}[service])
        stubber.assert_no_pending_responses()
    assert outgoing.message.startswith(f'["{POINTER_CLASS}"')
    assert outgoing.attributes["ExtendedPayloadSize"]["StringValue"] == str(len(large.body))


def test_a_refused_store_is_publish_failed() -> None:
    s3 = client("s3")
    large = EVENT._replace(body=b"x" * 300_000)
    settings = from_env({"CATCH_ALL_TOPIC_ARN": TOPIC, "PAYLOAD_BUCKET": "payloads"})
    with Stubber(s3) as stubber:
        stubber.add_client_error(
            "put_object",
            "SlowDown",
            "slow down",
            503,
            expected_params={"Bucket": ANY, "Key": ANY, "Body": ANY, "ContentType": ANY},
        )
        with pytest.raises(PublishFailed, match="storing the large event in S3 failed"):
            prepare(large, settings, lambda service: s3)
