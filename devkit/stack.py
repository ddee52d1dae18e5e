"""The stack's resources, created from template.yaml in an emulated AWS (moto), plus subscriber queues.

Works against whatever endpoint the given boto3 session reaches: moto in-process (`mock_aws`) for
tests and the demo, or the moto server over HTTP for the local endpoint.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from devkit.archive import ArchiveWriter, EmulatedArchive
from devkit.queues import subscribe_queue
from devkit.snapshot import EmulatedState
from devkit.template import Template

FUNCTION_TYPE = "AWS::Serverless::Function"
ClientFactory = Callable[[str], Any]


@dataclass
class EmulatedStack:
    """What a local run needs: the function's environment and where its messages can be read."""

    template: Template
    function: str
    environment: dict[str, str]
    table_name: str
    topics: dict[str, str]  # topic logical id -> ARN
    bucket: str | None = None  # the payload bucket (events over 256 KiB)
    failure_queue_url: str | None = None
    queues: dict[str, str] = field(default_factory=dict)  # topic logical id -> subscriber queue URL
    archive: EmulatedArchive | None = None  # with EnableArchive=true (devkit/archive.py: what is emulated)

    def topic_name(self, logical: str) -> str:
        """The topic's short name: `<stack>-POST` -> `POST`, `<stack>-OTHER` -> `OTHER`."""
        return self.topics[logical].rsplit(":", 1)[1].removeprefix(f"{self.template.stack_name}-")


def _name(template: Template, logical: str, explicit: Any) -> str:
    if explicit:
        return str(template.resolve(explicit))
    return f"{template.stack_name}-{logical}"  # deterministic, so env.json can name it


def topic_attributes(props: Mapping[str, Any]) -> dict[str, str]:
    """A topic's attributes as CreateTopic takes them: FIFO and its deduplication. (moto keeps no
    archive policy or throughput scope: devkit/fifo.py says what of FIFO topics is emulated.)"""
    if str(props.get("FifoTopic", "")).lower() != "true":
        return {}
    return {
        "FifoTopic": "true",
        "ContentBasedDeduplication": str(props.get("ContentBasedDeduplication", False)).lower(),
    }


RECEIVER_HANDLER = "handler.app.lambda_handler"


def webhook_function(template: Template) -> str:
    """The logical id of the receiver's function: the one whose handler is the receiver's."""
    functions = [
        logical
        for logical in template.of_type(FUNCTION_TYPE)
        if template.function(logical).get("Handler") == RECEIVER_HANDLER
    ]
    if len(functions) != 1:
        raise ValueError(f"expected one {FUNCTION_TYPE} with {RECEIVER_HANDLER} in the template, found {functions}")
    return functions[0]


def create_stack(template: Template, client: ClientFactory, secret_values: Mapping[str, str]) -> EmulatedStack:
    """Create the template's table, topics, buckets and secrets, and a raw-delivery SQS subscriber per topic.

    The archive's Firehose subscriptions become queues that `stack.archive.deliver()` writes to the
    archive bucket from (devkit/archive.py says what is emulated).

    `secret_values` gives each secret's value by logical id (SigningSecretStore, CandTokenStore).
    """
    dynamodb, sns, sqs, secretsmanager = (client(name) for name in ("dynamodb", "sns", "sqs", "secretsmanager"))
    tables = template.of_type("AWS::DynamoDB::Table")
    for logical, resource in tables.items():
        props = template.resolve(resource["Properties"])
        name = _name(template, logical, props.get("TableName"))
        created = dynamodb.create_table(
            TableName=name,
            KeySchema=props["KeySchema"],
            AttributeDefinitions=props["AttributeDefinitions"],
            BillingMode=props.get("BillingMode", "PAY_PER_REQUEST"),
        )
        ttl = props.get("TimeToLiveSpecification")
        if ttl:
            dynamodb.update_time_to_live(TableName=name, TimeToLiveSpecification=ttl)
        template.physical[logical] = {"Ref": name, "Arn": created["TableDescription"]["TableArn"]}
    for logical in template.of_type("AWS::KMS::Key"):  # the FIFO topics' key: the topics name it
        key = client("kms").create_key(Description=f"{template.stack_name}-{logical}")["KeyMetadata"]
        template.physical[logical] = {"Ref": key["KeyId"], "Arn": key["Arn"], "KeyId": key["KeyId"]}
    for logical, resource in template.of_type("AWS::SNS::Topic").items():
        props = template.resolve(resource.get("Properties") or {})
        name = _name(template, logical, props.get("TopicName"))
        arn = sns.create_topic(Name=name, Attributes=topic_attributes(props))["TopicArn"]
        template.physical[logical] = {"Ref": arn, "TopicArn": arn, "TopicName": name}
    for logical, resource in template.of_type("AWS::S3::Bucket").items():
        name = _name(template, logical, (resource.get("Properties") or {}).get("BucketName")).lower()
        client("s3").create_bucket(Bucket=name)
        template.physical[logical] = {
            "Ref": name,
            "Arn": f"arn:aws:s3:::{name}",
            "DomainName": f"{name}.s3.amazonaws.com",
        }
    for logical, resource in template.of_type("AWS::SQS::Queue").items():
        name = _name(template, logical, (resource.get("Properties") or {}).get("QueueName"))
        url = sqs.create_queue(QueueName=name)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        template.physical[logical] = {"Ref": url, "Arn": arn, "QueueName": name, "QueueUrl": url}
    for logical in template.of_type("AWS::SecretsManager::Secret"):
        value = secret_values.get(logical) or secrets.token_urlsafe(30)
        arn = secretsmanager.create_secret(Name=f"{template.stack_name}-{logical}", SecretString=value)["ARN"]
        template.physical[logical] = {"Ref": arn, "Id": arn}
    function = webhook_function(template)
    template.physical.setdefault(function, {"Ref": f"{template.stack_name}-{function}"})
    stack = EmulatedStack(
        template=template,
        function=function,
        environment=template.environment(function),
        table_name=template.physical[next(iter(tables))]["Ref"],
        topics={logical: template.physical[logical]["Ref"] for logical in template.of_type("AWS::SNS::Topic")},
        bucket=template.physical.get("PayloadBucket", {}).get("Ref"),
        failure_queue_url=next((template.physical[q]["Ref"] for q in template.of_type("AWS::SQS::Queue")), None),
    )
    for logical, arn in stack.topics.items():
        stack.queues[logical] = subscribe_queue(sns, sqs, arn, f"{template.physical[logical]['TopicName']}-subscriber")
    stack.archive = emulate_archive(template, client)
    return stack


_built: dict[tuple[tuple[tuple[str, str], ...], ...], tuple[EmulatedStack, EmulatedState]] = {}


def emulated_stack(
    client: ClientFactory, secret_values: Mapping[str, str], overrides: Mapping[str, str] | None = None
) -> EmulatedStack:
    """template.yaml's stack, with its defaults or `overrides`, in the in-process mock just started (`mock_aws()`).

    Built the first time in this process; every later call restores a copy of moto's state as it
    was right after that build (devkit/snapshot.py): the same resources, in milliseconds instead of
    the forty-odd calls a build makes. The returned stack is shared: read it, do not change it.
    """
    key = (tuple(sorted(secret_values.items())), tuple(sorted((overrides or {}).items())))
    if key in _built:
        stack, state = _built[key]
        state.restore()
        return stack
    stack = create_stack(Template.load(overrides=overrides), client, secret_values)
    _built[key] = (stack, EmulatedState.capture())
    return stack


def emulate_archive(template: Template, client: ClientFactory) -> EmulatedArchive | None:
    """A non-raw queue per Firehose subscription, with its filter policy, and the writer that stands for Firehose."""
    subscriptions = {
        logical: resource["Properties"]
        for logical, resource in template.of_type("AWS::SNS::Subscription").items()
        if resource["Properties"].get("Protocol") == "firehose"
    }
    if not subscriptions:
        return None
    sns, sqs = client("sns"), client("sqs")
    queues = {}
    for logical, props in subscriptions.items():
        topic_arn = template.resolve(props["TopicArn"])
        policy = template.resolve(props.get("FilterPolicy"))
        extra = {"FilterPolicy": json.dumps(policy)} if policy else {}
        name = f"{topic_arn.rsplit(':', 1)[1]}-archive"
        queues[logical] = subscribe_queue(sns, sqs, topic_arn, name, RawMessageDelivery="false", **extra)
    writer = ArchiveWriter.from_template(template, client("s3"), template.physical["ArchiveBucket"]["Ref"])
    return EmulatedArchive(writer, sqs, queues)
