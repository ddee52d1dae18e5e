"""examples/post-subscriber: its template is valid, and end to end it handles exactly what it subscribes to.

The receiver runs on the stack emulated from template.yaml; the example's queue, dead-letter queue,
subscription and table are created in moto from examples/post-subscriber/template.yaml, its filter
policy included; then what reached the queue is handed to the example's handler as Lambda would.
"""

from __future__ import annotations

import copy
import importlib.util
import json
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3
import pytest
from cfnlint.api import ManualArgs, lint_file
from samtranslator.translator.transform import transform

from devkit.events import LambdaContext
from devkit.template import Template
from tests.conftest import Receiver, raw, sample
from tests.subscriber.helpers import REGION, receive_all, sqs_event
from webhook_events import clients

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "post-subscriber"
NETWORK = "CAxOmI7I7t"


@dataclass
class SubscriberTemplate(Template):
    """The example's template, its `Fn::ImportValue`s answered by the receiver stack's exports."""

    exports: dict[str, str] = field(default_factory=dict)

    def _functions(self) -> dict[str, Any]:
        return {**super()._functions(), "Fn::ImportValue": lambda name: self.exports[self.resolve(name)]}


def receiver_exports(template: Template) -> dict[str, str]:
    outputs = [
        o for o in template.document["Outputs"].values() if "Condition" not in o or template.condition(o["Condition"])
    ]
    return {template.resolve(o["Export"]["Name"]): template.resolve(o["Value"]) for o in outputs if "Export" in o}


# ----- the template ------------------------------------------------------------------------------
class NoManagedPolicies:
    def load(self) -> dict[str, str]:
        return {}


@pytest.fixture(scope="module")
def cfn() -> dict[str, Any]:
    template = Template.load(EXAMPLE / "template.yaml", overrides={"NetworkId": NETWORK})
    document = copy.deepcopy(template.document)
    document["Resources"]["PostsFunction"]["Properties"]["CodeUri"] = "s3://packaged-artifacts/posts.zip"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AWS_DEFAULT_REGION", "us-east-1")
        return transform(document, {"NetworkId": NETWORK}, NoManagedPolicies())


def test_cfn_lint_finds_nothing() -> None:
    matches = lint_file(
        EXAMPLE / "template.yaml", config=ManualArgs(regions=["us-east-1", "eu-west-1"], include_checks=["I"])
    )
    assert [str(m) for m in matches] == []


def test_the_function_reports_partial_batch_failures_from_the_queue(cfn: dict[str, Any]) -> None:
    resources = cfn["Resources"]
    function = resources["PostsFunction"]["Properties"]
    assert (function["Runtime"], function["Architectures"], function["Handler"]) == (
        "python3.13",
        ["arm64"],
        "app.lambda_handler",
    )
    [mapping] = [r["Properties"] for r in resources.values() if r["Type"] == "AWS::Lambda::EventSourceMapping"]
    assert mapping["EventSourceArn"] == {"Fn::GetAtt": ["PostsQueue", "Arn"]}
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    queue = resources["PostsQueue"]["Properties"]
    assert queue["SqsManagedSseEnabled"] is True
    assert queue["RedrivePolicy"]["deadLetterTargetArn"] == {"Fn::GetAtt": ["PostsDeadLetterQueue", "Arn"]}
    assert queue["VisibilityTimeout"] >= 6 * function["Timeout"]


def test_the_subscription_imports_the_receivers_post_topic(cfn: dict[str, Any]) -> None:
    subscription = cfn["Resources"]["PostsSubscription"]["Properties"]
    imported = {"Fn::ImportValue": {"Fn::Sub": "${ReceiverStackName}-POST-TopicArn"}}
    assert subscription["TopicArn"] == imported
    assert (subscription["RawMessageDelivery"], subscription["FilterPolicyScope"]) == (True, "MessageBody")
    [allow] = cfn["Resources"]["PostsQueuePolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert allow["Principal"] == {"Service": "sns.amazonaws.com"} and allow["Action"] == "sqs:SendMessage"
    assert allow["Condition"]["ArnEquals"]["aws:SourceArn"] == imported


def test_the_role_may_read_large_events_and_claims_and_nothing_else(cfn: dict[str, Any]) -> None:
    role = cfn["Resources"]["PostsFunctionRole"]["Properties"]
    [inline] = [
        p["PolicyDocument"]["Statement"] for p in role["Policies"] if p["PolicyName"] == "PostsFunctionRolePolicy0"
    ]
    by_sid = {s["Sid"]: s for s in inline}
    assert by_sid["ReadLargeEvents"]["Action"] == "s3:GetObject"
    bucket = by_sid["ReadLargeEvents"]["Resource"]["Fn::Sub"][1]["Bucket"]
    assert bucket == {"Fn::ImportValue": {"Fn::Sub": "${ReceiverStackName}-PayloadBucket"}}
    assert by_sid["ReadLargeEvents"]["Resource"]["Fn::Sub"][0].endswith("/payloads/*")
    assert by_sid["ClaimEventIds"]["Resource"] == {"Fn::GetAtt": ["ProcessedEventsTable", "Arn"]}


def test_the_exports_it_imports_are_the_receivers() -> None:
    """Every Fn::ImportValue of the example, for any receiver stack name, names one of its exports; a
    noun with an underscore is exported with hyphens (export names allow no underscore)."""
    exports = receiver_exports(Template.load(stack_name="community-webhooks", physical=_fake_physical()))
    assert {"community-webhooks-POST-TopicArn", "community-webhooks-PayloadBucket"} <= set(exports)
    assert "community-webhooks-SPACE-MEMBERSHIP-TopicArn" in exports
    example = Template.load(EXAMPLE / "template.yaml", overrides={"NetworkId": NETWORK})
    imported = {example.resolve(node["Fn::ImportValue"]) for node in _imports(example.document["Resources"])}
    assert imported == {"community-webhooks-POST-TopicArn", "community-webhooks-PayloadBucket"}
    assert imported <= set(exports)


def _imports(node: Any) -> list[dict[str, Any]]:
    if isinstance(node, list):
        return [found for item in node for found in _imports(item)]
    if not isinstance(node, dict):
        return []
    own = [node] if "Fn::ImportValue" in node else []
    return own + [found for value in node.values() for found in _imports(value)]


def test_the_functions_logs_are_kept_for_a_set_time(cfn: dict[str, Any]) -> None:
    function = cfn["Resources"]["PostsFunction"]["Properties"]
    assert function["LoggingConfig"] == {"LogGroup": {"Ref": "PostsFunctionLogs"}}
    assert cfn["Resources"]["PostsFunctionLogs"]["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}


def _fake_physical() -> dict[str, dict[str, str]]:
    template = Template.load()
    return {
        logical: {"Ref": logical, "TopicArn": f"arn:{logical}", "Arn": f"arn:{logical}"}
        for logical in template.document["Resources"]
    }


# ----- end to end --------------------------------------------------------------------------------
@dataclass
class Subscriber:
    """The example stack in moto, and its handler module."""

    app: ModuleType
    queue_url: str
    queue_arn: str
    dead_letter_url: str
    handled: list[str]


def create_example(receiver: Receiver, monkeypatch: pytest.MonkeyPatch, mode: str = "standard") -> Subscriber:
    sns, sqs = boto3.client("sns", region_name=REGION), boto3.client("sqs", region_name=REGION)
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    template = SubscriberTemplate.load(
        EXAMPLE / "template.yaml",
        overrides={"NetworkId": NETWORK, "ReceiverDeliveryMode": mode},
        stack_name="post-subscriber",
        exports=receiver_exports(receiver.stack.template),
    )
    assert template.parameters["ReceiverStackName"] == "community-webhooks"
    template.parameters["ReceiverStackName"] = receiver.stack.template.stack_name  # the emulated receiver's name
    for logical in ("PostsDeadLetterQueue", "PostsQueue"):
        props = template.resolve(template.resources[logical]["Properties"])
        attributes = {"VisibilityTimeout": str(props.get("VisibilityTimeout", 30))}
        if "RedrivePolicy" in props:
            attributes["RedrivePolicy"] = json.dumps(props["RedrivePolicy"])
        if props.get("FifoQueue"):
            attributes["FifoQueue"] = "true"
            attributes["ContentBasedDeduplication"] = str(props.get("ContentBasedDeduplication", False)).lower()
        name = props.get("QueueName", f"post-subscriber-{logical}")
        url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        template.physical[logical] = {"Ref": url, "Arn": arn}
    table = template.resolve(template.resources["ProcessedEventsTable"]["Properties"])
    created = dynamodb.create_table(
        TableName="post-subscriber-processed",
        KeySchema=table["KeySchema"],
        AttributeDefinitions=table["AttributeDefinitions"],
        BillingMode=table["BillingMode"],
    )
    template.physical["ProcessedEventsTable"] = {
        "Ref": "post-subscriber-processed",
        "Arn": created["TableDescription"]["TableArn"],
    }
    subscription = template.resolve(template.resources["PostsSubscription"]["Properties"])
    assert subscription["TopicArn"] == receiver.stack.topics["TopicPOST"]
    sns.subscribe(
        TopicArn=subscription["TopicArn"],
        Protocol=subscription["Protocol"],
        Endpoint=subscription["Endpoint"],
        Attributes={
            "RawMessageDelivery": str(subscription["RawMessageDelivery"]).lower(),
            "FilterPolicyScope": subscription["FilterPolicyScope"],
            "FilterPolicy": json.dumps(subscription["FilterPolicy"]),
        },
    )
    for name, value in template.environment("PostsFunction").items():
        monkeypatch.setenv(name, value)
    clients.client.cache_clear()
    spec = importlib.util.spec_from_file_location("post_subscriber_app", EXAMPLE / "src" / "app.py")
    assert spec is not None and spec.loader is not None
    app = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(app)
    handled: list[str] = []
    # What the business logic did: its one log line per post.
    monkeypatch.setattr(app.logger, "info", lambda _message, extra: handled.append(extra["event_id"]))
    return Subscriber(
        app,
        template.physical["PostsQueue"]["Ref"],
        template.physical["PostsQueue"]["Arn"],
        template.physical["PostsDeadLetterQueue"]["Ref"],
        handled,
    )


def post_with(event_id: str, *, network: str = NETWORK, reply: bool = False, name: str = "post.published") -> bytes:
    document = sample("reply.published" if reply else "post.published")
    document["networkId"] = network
    document["data"] |= {"id": event_id, "name": name, "verb": name.split(".")[1].upper()}
    return raw(document)


def test_signed_webhooks_in_the_subscribers_handler_gets_exactly_what_its_policy_admits(
    receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    subscriber = create_example(receiver, monkeypatch)
    sent = {
        "published post": post_with("a" * 32),
        "another published post": post_with("b" * 32),
        "reply": post_with("c" * 32, reply=True),
        "post in another network": post_with("d" * 32, network="OtherNet01"),
        "post created, not yet published": post_with("e" * 32, name="post.created"),
        "reaction": raw(sample("reaction.added")),
        "duplicate delivery of the first post": post_with("a" * 32),
    }
    for what, body in sent.items():
        assert receiver.post(body).status == 200, what

    messages = receive_all(boto3.client("sqs", region_name=REGION), subscriber.queue_url)
    event = sqs_event(messages, subscriber.queue_arn)
    assert subscriber.app.lambda_handler(event, LambdaContext()) == {"batchItemFailures": []}
    assert sorted(subscriber.handled) == ["a" * 32, "b" * 32]

    # SNS delivers at least once: the same messages again are acknowledged and not handled again.
    assert subscriber.app.lambda_handler(event, LambdaContext()) == {"batchItemFailures": []}
    assert sorted(subscriber.handled) == ["a" * 32, "b" * 32]


def test_a_record_that_fails_is_reported_alone_and_retried_alone(
    receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    subscriber = create_example(receiver, monkeypatch)
    assert receiver.post(post_with("a" * 32)).status == 200
    [message] = receive_all(boto3.client("sqs", region_name=REGION), subscriber.queue_url)
    broken = message | {"MessageId": "broken-1", "Body": '{"type": "SUBSCRIPTION"}'}
    event = sqs_event([broken, message], subscriber.queue_arn)
    assert subscriber.app.lambda_handler(event, LambdaContext()) == {
        "batchItemFailures": [{"itemIdentifier": "broken-1"}]
    }
    assert subscriber.handled == ["a" * 32]


def test_a_handler_that_fails_releases_its_claim_so_the_retry_runs_it(
    receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    subscriber = create_example(receiver, monkeypatch)
    for event_id in ("a" * 32, "b" * 32):
        assert receiver.post(post_with(event_id)).status == 200
    messages = receive_all(boto3.client("sqs", region_name=REGION), subscriber.queue_url)
    event = sqs_event(messages, subscriber.queue_arn)
    first_id = json.loads(messages[0]["Body"])["data"]["id"]
    failures = [RuntimeError("downstream is down")]

    def flaky(_message: str, extra: dict[str, str]) -> None:
        if failures:
            raise failures.pop()
        subscriber.handled.append(extra["event_id"])

    monkeypatch.setattr(subscriber.app.logger, "info", flaky)
    first = subscriber.app.lambda_handler(event, LambdaContext())
    assert first == {"batchItemFailures": [{"itemIdentifier": messages[0]["MessageId"]}]}
    assert subscriber.handled == [json.loads(messages[1]["Body"])["data"]["id"]]
    # Lambda hands the batch again: the failed post runs now, the handled one is skipped.
    assert subscriber.app.lambda_handler(event, LambdaContext()) == {"batchItemFailures": []}
    assert sorted(subscriber.handled) == ["a" * 32, "b" * 32] and subscriber.handled[-1] == first_id


def test_with_a_fifo_receiver_a_failed_post_holds_back_only_its_own_later_events(
    fifo_receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ReceiverDeliveryMode=fifo: FIFO queues, the FIFO batch processor; post A published twice and
    post B once, A's first fails: A's second waits behind it (reported failed), B goes on."""
    subscriber = create_example(fifo_receiver, monkeypatch, "fifo")
    assert subscriber.queue_url.endswith("post-subscriber-posts.fifo")
    for event_id, post_id in (("a1" * 16, "PostA"), ("b1" * 16, "PostB"), ("a2" * 16, "PostA")):
        document = json.loads(post_with(event_id))
        document["data"]["object"]["id"] = post_id
        assert fifo_receiver.post(raw(document)).status == 200
    messages = receive_all(boto3.client("sqs", region_name=REGION), subscriber.queue_url)
    assert {m["Attributes"]["MessageGroupId"] for m in messages} == {"bettermode:post:PostA", "bettermode:post:PostB"}
    event = sqs_event(messages, subscriber.queue_arn)
    failures = [RuntimeError("downstream is down")]

    def first_a_fails(_message: str, extra: dict[str, str]) -> None:
        if extra["event_id"] == "a1" * 16 and failures:
            raise failures.pop()
        subscriber.handled.append(extra["event_id"])

    monkeypatch.setattr(subscriber.app.logger, "info", first_a_fails)
    first = subscriber.app.lambda_handler(event, LambdaContext())
    failed = {item["itemIdentifier"] for item in first["batchItemFailures"]}
    by_event = {json.loads(m["Body"])["data"]["id"]: m["MessageId"] for m in messages}
    assert failed == {by_event["a1" * 16], by_event["a2" * 16]}
    assert subscriber.handled == ["b1" * 16]
    assert subscriber.app.lambda_handler(event, LambdaContext()) == {"batchItemFailures": []}  # the retry
    assert subscriber.handled == ["b1" * 16, "a1" * 16, "a2" * 16]  # A's events in their order
