"""Events whose publish failed are kept on the failure queue; a redrive publishes them exactly once."""

from __future__ import annotations

import io
import json
import zipfile
from contextlib import redirect_stdout
from typing import Any

import boto3
import pytest

from handler.publishing import SNS_MAX_MESSAGE_BYTES
from tests.conftest import REGION, Receiver, raw, sample
from tests.support import break_sns, event_of_size, queued, redrive, repair_sns
from webhooks_ops import redrive as redrive_command


def test_failed_publish_is_kept_with_its_claim_and_exact_message(receiver: Receiver) -> None:
    body = raw(sample("post.published"))
    break_sns()
    assert receiver.post(body).status == 503
    [kept] = queued(receiver)
    assert kept["claim_key"] == "bettermode:" + sample("post.published")["data"]["id"]
    assert kept["message"] == body.decode()
    assert kept["topic_arn"] == receiver.stack.topics["TopicPOST"]
    assert kept["attributes"]["event_name"] == {"DataType": "String", "StringValue": "post.published"}
    assert "injected" in kept["reason"]


def test_redrive_publishes_once_when_the_platform_gave_up(receiver: Receiver) -> None:
    break_sns()
    for name in ("post.published", "reaction.added"):
        for _ in range(3):  # three failed attempts each
            assert receiver.post(raw(sample(name))).status == 503
    repair_sns()
    report = redrive()
    assert (report.received, report.published, report.duplicates, report.failed) == (6, 2, 4, 0)
    received = receiver.received()
    assert len(received["TopicPOST"]) == 1
    assert len(received["TopicREACTION"]) == 1
    assert received["TopicPOST"][0].body.encode() == raw(sample("post.published"))
    assert redrive().received == 0  # the queue is empty
    assert receiver.post(raw(sample("post.published"))).status == 200  # a late platform retry: a duplicate
    assert receiver.received() == {}


def test_redrive_after_the_platforms_retry_succeeded_publishes_nothing(receiver: Receiver) -> None:
    body = raw(sample("space.created"))
    break_sns()
    assert receiver.post(body).status == 503
    repair_sns()
    assert receiver.post(body).status == 200
    assert len(receiver.received()["TopicSPACE"]) == 1
    report = redrive()
    assert (report.published, report.duplicates) == (0, 1)
    assert receiver.received() == {}


def test_redrive_while_sns_still_fails_leaves_the_message(receiver: Receiver) -> None:
    break_sns()
    assert receiver.post(raw(sample("member.created"))).status == 503
    report = redrive(visibility_seconds=0)
    assert report.failed >= 1
    assert report.published == 0
    repair_sns()
    assert redrive().published == 1
    assert len(receiver.received()["TopicMEMBER"]) == 1


def test_large_failed_event_is_kept_as_its_s3_pointer(receiver: Receiver) -> None:
    body = event_of_size(400_000)
    break_sns()
    assert receiver.post(body).status == 503
    [kept] = queued(receiver)
    assert kept["message"].startswith('["software.amazon.payloadoffloading.PayloadS3Pointer"')
    repair_sns()
    assert redrive().published == 1
    [message] = receiver.received()["TopicPOST"]
    assert message.body == kept["message"]
    assert message.attributes["ExtendedPayloadSize"] == str(len(body))


def test_foreign_messages_are_left_for_a_person(receiver: Receiver) -> None:
    boto3.client("sqs", region_name=REGION).send_message(QueueUrl=receiver.stack.failure_queue_url, MessageBody="hi")
    report = redrive(visibility_seconds=0)
    assert report.invalid >= 1
    assert report.published == 0


def kept_envelope(receiver: Receiver, **changes: Any) -> dict[str, Any]:
    """The envelope a failed publish of a post leaves on the queue (read back), with `changes`."""
    break_sns()
    assert receiver.post(raw(sample("post.published"))).status == 503
    repair_sns()
    sqs = boto3.client("sqs", region_name=REGION)
    url = receiver.stack.failure_queue_url
    [message] = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return {**json.loads(message["Body"]), **changes}


@pytest.mark.parametrize(
    "changes",
    [
        {"attributes": {"event_name": {"DataType": "String", "StringValue": 7}}},
        {"attributes": {"event_name": "post.published"}},
        {"attributes": {"event_name": {"DataType": "Binary", "StringValue": "x"}}},
        {"attributes": {"event_name": {"DataType": "String", "StringValue": ""}}},
        {"attributes": {f"a{n}": {"DataType": "String", "StringValue": "x"} for n in range(11)}},
        {"attributes": ["event_name"]},
        {"message": {"data": 1}},
        {"topic_arn": 12},
        {"attributes": {"size": {"DataType": "Number", "StringValue": "abc"}}},
        {"attributes": {"size": {"DataType": "Number", "StringValue": "nan"}}},
        {"attributes": {"size": {"DataType": "Number", "StringValue": "inf"}}},
        {"attributes": {"size": {"DataType": "Number", "StringValue": "1e400"}}},
        {"attributes": {"size": {"DataType": "Number", "StringValue": "1_000"}}},
        {"message": "x" * SNS_MAX_MESSAGE_BYTES},  # the queue takes 1 MiB; SNS, with the attributes, 256 KiB
        {"message": "\ud800"},  # JSON carries a lone surrogate; UTF-8, and so SNS, cannot
        {"claim_key": None},
        {"claim_key": 123},
        {"claim_key": ""},
        {"source": None},
    ],
    ids=[
        "number-value",
        "bare-value",
        "binary-type",
        "empty-value",
        "eleven",
        "list",
        "object-message",
        "topic",
        "not-a-number",
        "nan",
        "infinity",
        "out-of-range-number",
        "underscored-number",
        "too-large-for-sns",
        "lone-surrogate",
        "null-claim-key",
        "number-claim-key",
        "empty-claim-key",
        "null-source",
    ],
)
def test_a_tampered_envelope_is_left_for_a_person(receiver: Receiver, changes: dict[str, Any]) -> None:
    """What the redrive sends is checked first: the clients leave parameter validation to AWS."""
    sqs = boto3.client("sqs", region_name=REGION)
    url = receiver.stack.failure_queue_url
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps(kept_envelope(receiver, **changes)))
    report = redrive(visibility_seconds=0)
    assert (report.received, report.invalid, report.published, report.failed) == (1, 1, 0, 0)
    assert receiver.received() == {}
    assert len(sqs.receive_message(QueueUrl=url, VisibilityTimeout=0).get("Messages", [])) == 1  # still there


def test_an_envelope_for_a_topic_not_the_stacks_is_left_for_a_person(receiver: Receiver) -> None:
    """Whoever can write to the failure queue must not make the redrive publish elsewhere."""
    sns, sqs = boto3.client("sns", region_name=REGION), boto3.client("sqs", region_name=REGION)
    foreign = sns.create_topic(Name="someone-elses-topic")["TopicArn"]
    spy_url = sqs.create_queue(QueueName="someone-elses-queue")["QueueUrl"]
    spy = sqs.get_queue_attributes(QueueUrl=spy_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=foreign, Protocol="sqs", Endpoint=spy)
    url = receiver.stack.failure_queue_url
    tampered = kept_envelope(receiver, topic_arn=foreign, claim_key="bettermode:" + "f" * 32)
    good = {**kept_envelope(receiver), "claim_key": "bettermode:" + "e" * 32}
    for envelope in (tampered, good):
        sqs.send_message(QueueUrl=url, MessageBody=json.dumps(envelope))
    items_before = receiver.items()
    report = redrive(visibility_seconds=0)
    assert (report.received, report.invalid, report.published, report.failed) == (2, 1, 1, 0)
    assert sqs.receive_message(QueueUrl=spy_url, WaitTimeSeconds=0).get("Messages", []) == []
    assert len(receiver.received()["TopicPOST"]) == 1  # the good one, in the same run
    [left] = sqs.receive_message(QueueUrl=url, VisibilityTimeout=0).get("Messages", [])
    assert json.loads(left["Body"])["topic_arn"] == foreign
    assert len(receiver.items()) == len(items_before) + 1  # the good one's claim; no claim for the refused one


def test_an_envelope_read_back_unchanged_is_redriven(receiver: Receiver) -> None:
    sqs = boto3.client("sqs", region_name=REGION)
    sqs.send_message(QueueUrl=receiver.stack.failure_queue_url, MessageBody=json.dumps(kept_envelope(receiver)))
    assert redrive().published == 1
    [message] = receiver.received()["TopicPOST"]
    assert message.body.encode() == raw(sample("post.published"))
    assert message.attributes["event_name"] == "post.published"


def test_cand_events_are_kept_and_redriven_too(receiver: Receiver) -> None:
    body = json.dumps({"module": "MOIM", "type": "member.joined", "context": {}, "payload": {"id": "M1"}}).encode()
    break_sns()
    assert receiver.post_cand(body).status == 503
    repair_sns()
    assert redrive().published == 1
    assert receiver.received()["TopicMEMBER"][0].attributes["source"] == "cand"


def test_redrive_command_reads_the_deployed_functions_configuration(receiver: Receiver) -> None:
    """`webhooks-ops redrive --function NAME` takes the queue and table from the function."""
    iam = boto3.client("iam", region_name=REGION)
    role = iam.create_role(RoleName="webhooks", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("handler/app.py", "")
    boto3.client("lambda", region_name=REGION).create_function(
        FunctionName="webhooks-WebhookFunction",
        Runtime="python3.13",
        Role=role,
        Handler="handler.app.lambda_handler",
        Code={"ZipFile": code.getvalue()},
        Environment={"Variables": receiver.stack.environment},
    )
    break_sns()
    assert receiver.post(raw(sample("network.updated"))).status == 503
    repair_sns()
    out = io.StringIO()
    with redirect_stdout(out):
        assert redrive_command.main("webhooks-WebhookFunction", None) == 0
    assert "received 1: published 1, already published 0, failed 0" in out.getvalue()
    assert len(receiver.received()["TopicNETWORK"]) == 1


def test_redrive_command_without_a_queue_says_what_to_do(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FAILURE_QUEUE_URL", raising=False)
    out = io.StringIO()
    with redirect_stdout(out):
        assert redrive_command.main(None, None) == 2
    assert "--function" in out.getvalue()
