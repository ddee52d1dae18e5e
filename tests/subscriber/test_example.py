"""examples/post-subscriber: its template is valid, and end to end it handles exactly what it subscribes to.

The receiver runs on the stack emulated from template.yaml, and its AWS::SSM::Parameter resources
(the topics' ARNs and the payload bucket, under names that never change) are put in moto's Parameter
Store; the example's parameters of type AWS::SSM::Parameter::Value<String> are read from there, as
CloudFormation reads them at each deploy. The example's queue, dead-letter queue, subscription and
table are created in moto from examples/post-subscriber/template.yaml, its filter policy included;
then what reached the queue is handed to the example's handler as Lambda would. The receiver
switching DeliveryMode, or dropping a noun, is followed by deploying the example again.
"""

from __future__ import annotations

import copy
import importlib.util
import json
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from cfnlint.api import ManualArgs, lint_file
from moto.core.base_backend import BackendDict
from samtranslator.translator.transform import transform

from devkit.events import LambdaContext
from devkit.policies import Request, decide
from devkit.template import Template
from tests.conftest import Receiver, raw, sample, start_stack
from tests.subscriber.helpers import REGION, receive_all, sqs_event
from webhook_events import clients

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "post-subscriber"
NETWORK = "CAxOmI7I7t"


SSM_PARAMETER_TYPE = "AWS::SSM::Parameter::Value<String>"
RECEIVER = "community-webhooks"  # the receiver stack name the example's defaults are for


def receiver_parameters(template: Template) -> dict[str, str]:
    """The receiver's AWS::SSM::Parameter resources: name -> value, resolved against its resources."""
    return {
        template.resolve(props["Name"]): template.resolve(props["Value"])
        for props in (resource["Properties"] for resource in template.of_type("AWS::SSM::Parameter").values())
    }


def publish_receiver_parameters(template: Template) -> dict[str, str]:
    """What CloudFormation does with the emulated receiver's AWS::SSM::Parameter resources (the
    emulated stack creates no resource of that type): each one in Parameter Store, its value replaced
    when the receiver's update changes it."""
    ssm = boto3.client("ssm", region_name=REGION)
    published = receiver_parameters(template)
    for name, value in published.items():
        ssm.put_parameter(Name=name, Value=value, Type="String", Overwrite=True)
    return published


def ssm_typed(template: Template) -> dict[str, str]:
    """The example's parameters of an SSM parameter type: name -> the Parameter Store name it is given."""
    return {
        name: template.parameters[name]
        for name, spec in template.document["Parameters"].items()
        if spec["Type"] == SSM_PARAMETER_TYPE
    }


def resolve_ssm_parameters(template: Template) -> dict[str, str]:
    """As CloudFormation resolves them at each create and update of the stack: each SSM-typed
    parameter's value (its Default, or the override) names a parameter in Parameter Store, whose
    current value the template sees; a missing one fails (ParameterNotFound; CloudFormation refuses
    the deploy with a validation error). The names given, by parameter."""
    ssm = boto3.client("ssm", region_name=REGION)
    names = ssm_typed(template)
    for parameter, name in names.items():
        template.parameters[parameter] = ssm.get_parameter(Name=name)["Parameter"]["Value"]
    return names


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


def test_the_subscription_takes_the_receivers_post_topic_from_a_parameter(cfn: dict[str, Any]) -> None:
    subscription = cfn["Resources"]["PostsSubscription"]["Properties"]
    topic = {"Ref": "PostTopicArn"}
    assert subscription["TopicArn"] == topic
    assert (subscription["RawMessageDelivery"], subscription["FilterPolicyScope"]) == (True, "MessageBody")
    [allow] = cfn["Resources"]["PostsQueuePolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert allow["Principal"] == {"Service": "sns.amazonaws.com"} and allow["Action"] == "sqs:SendMessage"
    assert allow["Condition"]["ArnEquals"]["aws:SourceArn"] == topic
    assert cfn["Parameters"]["PostTopicArn"]["Type"] == SSM_PARAMETER_TYPE


def test_the_role_may_read_large_events_and_claims_and_nothing_else(cfn: dict[str, Any]) -> None:
    role = cfn["Resources"]["PostsFunctionRole"]["Properties"]
    [inline] = [p["PolicyDocument"]["Statement"] for p in role["Policies"]]
    by_sid = {s["Sid"]: s for s in inline}
    assert by_sid["ReadLargeEvents"]["Action"] == "s3:GetObject"
    assert by_sid["ReadLargeEvents"]["Resource"] == {
        "Fn::Sub": "arn:${AWS::Partition}:s3:::${PayloadBucketName}/payloads/*"
    }
    assert by_sid["ClaimEventIds"]["Resource"] == {"Fn::GetAtt": ["ProcessedEventsTable", "Arn"]}


SQS_MANAGED_POLICY = "arn:aws:iam::aws:policy/service-role/AWSLambdaSQSQueueExecutionRole"


def test_the_role_reaches_its_own_queue_only(cfn: dict[str, Any]) -> None:
    """SAM gives a role it generates for an SQS event source AWSLambdaSQSQueueExecutionRole (receive and
    delete on every queue of the account); the function's own role takes from PostsQueue and no other
    queue, as IAM would answer (devkit.policies)."""
    assert cfn["Resources"]["PostsFunction"]["Properties"]["Role"] == {"Fn::GetAtt": ["PostsFunctionRole", "Arn"]}
    assert SQS_MANAGED_POLICY not in json.dumps(cfn)
    queue = "arn:aws:sqs:us-east-1:123456789012:post-subscriber-{}"
    template = Template(
        document=cfn,
        parameters={"PayloadBucketName": "receiver-payloads"},
        physical={
            "PostsQueue": {"Arn": queue.format("PostsQueue")},
            "ProcessedEventsTable": {"Arn": "arn:aws:dynamodb:us-east-1:123456789012:table/processed"},
        },
    )
    role = template.resolve(cfn["Resources"]["PostsFunctionRole"]["Properties"])
    assert role["ManagedPolicyArns"] == [
        "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",  # its logs
        "arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess",  # Tracing: Active
    ]
    policies = [policy["PolicyDocument"] for policy in role["Policies"]]
    on_sqs = [
        statement["Resource"]
        for policy in policies
        for statement in policy["Statement"]
        if any(action.startswith("sqs:") for action in _listed(statement["Action"]))
    ]
    assert on_sqs == [queue.format("PostsQueue")]  # no sqs action on "*" or any pattern
    caller = "arn:aws:iam::123456789012:role/post-subscriber-PostsFunctionRole"
    for action in ("sqs:ReceiveMessage", "sqs:DeleteMessage"):
        assert decide(policies, None, Request(caller, action, queue.format("PostsQueue"))) == "allow"
        for other in (queue.format("PostsDeadLetterQueue"), "arn:aws:sqs:us-east-1:123456789012:orders"):
            assert decide(policies, None, Request(caller, action, other)) == "implicit deny"


def _listed(value: Any) -> list[str]:
    return value if isinstance(value, list) else [value]


def test_its_parameters_name_parameters_the_receiver_creates_and_it_imports_nothing() -> None:
    """Every SSM-typed parameter default of the example names a parameter the receiver template creates
    (for the receiver stack named community-webhooks), and the example has no Fn::ImportValue at all:
    no export of the receiver is imported, so CloudFormation never refuses the receiver's mode switch
    or noun removal (which change or remove its exports) because of this stack."""
    published = receiver_parameters(Template.load(stack_name=RECEIVER, physical=_fake_physical()))
    topics = {f"/webhooks/{RECEIVER}/topics/{noun}" for noun in ("POST", "SPACE_MEMBERSHIP", "OTHER")}
    assert topics | {f"/webhooks/{RECEIVER}/payload-bucket"} <= set(published)
    assert published[f"/webhooks/{RECEIVER}/topics/POST"] == "arn:TopicPOST"
    assert published[f"/webhooks/{RECEIVER}/payload-bucket"] == "PayloadBucket"
    example = Template.load(EXAMPLE / "template.yaml", overrides={"NetworkId": NETWORK})
    defaults = ssm_typed(example)
    assert defaults == {
        "PostTopicArn": f"/webhooks/{RECEIVER}/topics/POST",
        "PayloadBucketName": f"/webhooks/{RECEIVER}/payload-bucket",
    }
    assert set(defaults.values()) <= set(published)
    assert _imports(example.document) == []


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


def example_overrides(receiver: Receiver, mode: str = "standard", topic: str = "POST") -> dict[str, str]:
    """The parameters to deploy the example with next to the emulated receiver (whose stack name is
    not community-webhooks): the Parameter Store names of its stack, and its delivery mode."""
    prefix = f"/webhooks/{receiver.stack.template.stack_name}"
    return {
        "NetworkId": NETWORK,
        "ReceiverDeliveryMode": mode,
        "PostTopicArn": f"{prefix}/topics/{topic}",
        "PayloadBucketName": f"{prefix}/payload-bucket",
    }


def create_example(
    receiver: Receiver, monkeypatch: pytest.MonkeyPatch, mode: str = "standard", topic: str = "POST"
) -> Subscriber:
    """Deploy the example: its SSM-typed parameters resolved from the receiver's parameters, then its
    queues, subscription and table created in moto."""
    sns, sqs = boto3.client("sns", region_name=REGION), boto3.client("sqs", region_name=REGION)
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    publish_receiver_parameters(receiver.stack.template)
    template = Template.load(
        EXAMPLE / "template.yaml", overrides=example_overrides(receiver, mode, topic), stack_name="post-subscriber"
    )
    resolve_ssm_parameters(template)
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
    topic_logical = "CatchAllTopic" if topic == "OTHER" else f"Topic{topic.replace('_', '')}"
    assert subscription["TopicArn"] == receiver.stack.topics[topic_logical]
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


# ----- the receiver changes its topics; the subscriber deploys again -----------------------------
def switch_receiver(monkeypatch: pytest.MonkeyPatch, overrides: dict[str, str]) -> Receiver:
    """The receiver after an update that replaces or deletes topics (DeliveryMode switched, a noun left
    out of TopicNouns): emulated afresh with those parameters and the same stack name. The emulated
    stack is built into (or restored over) an empty emulated AWS, so what was there before is gone,
    the old topics and their subscriptions with it; deploying the example again creates its part."""
    BackendDict.reset()  # what starting `mock_aws()` does
    return Receiver(start_stack(monkeypatch, overrides))


def test_after_the_receiver_switches_to_fifo_the_example_deployed_again_gets_its_posts(
    receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The receiver in standard, the example deployed; the receiver switched to fifo (every topic
    replaced: its parameter keeps its name and now holds the .fifo topic's ARN); the example deployed
    again with the same parameter names and ReceiverDeliveryMode=fifo: subscribed to the new topic, its
    FIFO queue gets what the fifo receiver publishes, and its handler takes it."""
    ssm, sqs = boto3.client("ssm", region_name=REGION), boto3.client("sqs", region_name=REGION)
    name = example_overrides(receiver)["PostTopicArn"]
    before = create_example(receiver, monkeypatch)
    standard_arn = ssm.get_parameter(Name=name)["Parameter"]["Value"]
    assert standard_arn == receiver.stack.topics["TopicPOST"] and not standard_arn.endswith(".fifo")
    assert receiver.post(post_with("a" * 32)).status == 200
    assert [json.loads(m["Body"])["data"]["id"] for m in receive_all(sqs, before.queue_url)] == ["a" * 32]

    fifo = switch_receiver(monkeypatch, {"DeliveryMode": "fifo"})
    assert fifo.stack.template.stack_name == receiver.stack.template.stack_name
    assert example_overrides(fifo, "fifo")["PostTopicArn"] == name  # the same name, deployed again
    after = create_example(fifo, monkeypatch, "fifo")
    fifo_arn = ssm.get_parameter(Name=name)["Parameter"]["Value"]
    assert fifo_arn == fifo.stack.topics["TopicPOST"] == f"{standard_arn}.fifo"
    assert after.queue_url.endswith("post-subscriber-posts.fifo")

    document = json.loads(post_with("b" * 32))
    document["data"]["object"]["id"] = "PostB"
    assert fifo.post(raw(document)).status == 200
    messages = receive_all(sqs, after.queue_url)
    assert [json.loads(m["Body"])["data"]["id"] for m in messages] == ["b" * 32]
    assert messages[0]["Attributes"]["MessageGroupId"] == "bettermode:post:PostB"
    assert after.app.lambda_handler(sqs_event(messages, after.queue_arn), LambdaContext()) == {"batchItemFailures": []}
    assert after.handled == ["b" * 32]


def test_after_the_receiver_drops_the_post_noun_the_example_takes_posts_from_other(
    receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    """TopicNouns without POST: the POST topic and its parameter are deleted, and posts go to the
    catch-all topic. Deployed again as it was, the example is refused (its parameter no longer exists:
    CloudFormation fails the deploy with a validation error, and changes nothing); with
    PostTopicArn=/webhooks/<stack>/topics/OTHER it takes the posts from OTHER, through its filter."""
    nouns = [noun for noun in receiver.stack.template.parameters["TopicNouns"] if noun != "POST"]
    create_example(receiver, monkeypatch)
    without_post = switch_receiver(monkeypatch, {"TopicNouns": ",".join(nouns)})
    assert "TopicPOST" not in without_post.stack.topics
    with pytest.raises(ClientError) as refused:
        create_example(without_post, monkeypatch)
    assert refused.value.response["Error"]["Code"] == "ParameterNotFound"

    subscriber = create_example(without_post, monkeypatch, topic="OTHER")
    sent = {
        "published post": post_with("a" * 32),
        "reply": post_with("c" * 32, reply=True),
        "post in another network": post_with("d" * 32, network="OtherNet01"),
    }
    for what, body in sent.items():
        assert without_post.post(body).status == 200, what
    messages = receive_all(boto3.client("sqs", region_name=REGION), subscriber.queue_url)
    event = sqs_event(messages, subscriber.queue_arn)
    assert subscriber.app.lambda_handler(event, LambdaContext()) == {"batchItemFailures": []}
    assert subscriber.handled == ["a" * 32]
