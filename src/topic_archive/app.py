"""Custom::TopicArchive: deactivates a FIFO topic's message archive when CloudFormation deletes the resource.

SNS refuses to delete a topic whose archive policy is active ("Invalid state: Cannot delete a topic
with an ArchivePolicy"), and the archive is inactive once the policy is an empty JSON object (SNS
Developer Guide, "Message archiving for FIFO topic owners":
https://docs.aws.amazon.com/sns/latest/dg/message-archiving-and-replay-topic-owner.html).
template.yaml gives each archived topic a TopicArchive<NOUN> resource that references the topic, so
CloudFormation deletes that resource first (reverse dependency order) on `sam delete`, a removed
noun, a switch to standard topics or the archive turned off; its Delete sets ArchivePolicy to "{}",
which deletes every archived message of the topic, and the topic's own deletion follows.

The topic can be deleted right after the policy is cleared, with no wait: the AWS CDK clears it the
same way, with a custom resource that CloudFormation deletes just before the topic
(aws/aws-cdk#37113, its teardown passing), and terraform-provider-aws's acceptance test
TestAccSNSTopic_fifoWithArchivePolicy sets it to "{}" and destroys the topic in the next step.
"{}" is the value: an empty string or null is refused as InvalidParameter
(hashicorp/terraform-provider-aws#38885; pulumi/pulumi-aws#4370 is the same refusal on delete).

Create and Update change nothing on SNS. The answer names the topic as the PhysicalResourceId, so a
changed TopicArn is a replacement and CloudFormation sends a Delete for the old topic's resource.

The answer is a PUT of a JSON body to the request's presigned ResponseURL (AWS CloudFormation User
Guide, "Custom resource request and response reference": request objects and
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/crpg-ref-responses.html). Every
request is answered, FAILED with a short reason if anything goes wrong: CloudFormation waits for an
answer that never comes until the resource's timeout (an hour by default).
"""

from __future__ import annotations

import functools
import json
import logging
import urllib.request
from collections.abc import Mapping
from typing import Any, NamedTuple, Protocol

from botocore.config import Config
from botocore.exceptions import ClientError

LOGGER = logging.getLogger(__name__)
LOGGER.setLevel(logging.INFO)  # the one line per request is written whatever level the root logger has

# Each SNS attempt takes at most CONNECT + READ seconds; botocore's standard mode retries throttling,
# 5xx and connection errors, a few times, after a backoff of a second or two.
CONNECT_TIMEOUT = 3
READ_TIMEOUT = 5
SNS_CONFIG = Config(
    connect_timeout=CONNECT_TIMEOUT,
    read_timeout=READ_TIMEOUT,
    retries={"mode": "standard", "total_max_attempts": 3},
)
ANSWER_TIMEOUT = 5  # seconds per socket operation of the answer's PUT (connect, send, read)
# An SNS attempt starts only while it, the answer's three socket operations and a margin still fit
# in the invocation (template.yaml: Timeout 60), so that the answer is always sent.
RESERVE_MS = (CONNECT_TIMEOUT + READ_TIMEOUT + 3 * ANSWER_TIMEOUT + 2) * 1000
REASON_LIMIT = 900  # the whole answer must stay under 4,096 bytes
INACTIVE = "{}"
DEADLINE = "topic-archive-deadline"  # the unique id of the time check on the SNS client


class Context(Protocol):
    """The part of the Lambda context the handler reads."""

    def get_remaining_time_in_millis(self) -> int: ...


class OutOfTime(Exception):
    """Raised before an SNS attempt that would leave too little time to answer."""


class Answer(NamedTuple):
    status: str  # SUCCESS or FAILED
    physical_id: str
    outcome: str  # what happened: the log line's end, and the Reason of a FAILED answer


def is_topic_arn(value: object) -> bool:
    """arn:<partition>:sns:<region>:<account>:<name> (a subscription ARN has one part more)."""
    parts = value.split(":") if isinstance(value, str) else []
    return len(parts) == 6 and parts[0] == "arn" and parts[2] == "sns" and all(parts[3:])


def archive_active(policy: object) -> bool:
    """Whether an ArchivePolicy attribute holds a policy: absent, empty or "{}" is inactive; anything
    else (a retention period, or something unreadable) is cleared to be sure."""
    if policy is None or (isinstance(policy, str) and not policy.strip()):
        return False
    try:
        return json.loads(policy) != {} if isinstance(policy, str) else bool(policy)
    except ValueError:
        return True


def error_code(error: Exception) -> str:
    """The AWS error code of a ClientError, else the exception's class (a timeout, a connection error)."""
    if isinstance(error, ClientError):
        return str(error.response.get("Error", {}).get("Code") or "ClientError")
    return type(error).__name__


def deactivate(sns: Any, topic: str) -> str:
    """Sets the topic's ArchivePolicy to "{}" when it holds a policy; a topic already gone is fine."""
    try:
        attributes = sns.get_topic_attributes(TopicArn=topic)["Attributes"]
        if not archive_active(attributes.get("ArchivePolicy")):
            return "archive already inactive"
        sns.set_topic_attributes(TopicArn=topic, AttributeName="ArchivePolicy", AttributeValue=INACTIVE)
    except ClientError as error:
        if error_code(error) == "NotFound":
            return "topic already deleted"
        raise
    return "archive deactivated"


def topic_of(event: Mapping[str, Any]) -> str | None:
    """The topic a request is about. On Delete, the one the resource was created for (its physical
    id), which is the old topic when a changed TopicArn replaced the resource; else the TopicArn
    property (also on a Delete whose physical id no answer gave: CloudFormation made one up)."""
    if event.get("RequestType") == "Delete" and is_topic_arn(event.get("PhysicalResourceId")):
        return str(event["PhysicalResourceId"])
    properties = event.get("ResourceProperties")
    given = properties.get("TopicArn") if isinstance(properties, Mapping) else None
    return str(given) if is_topic_arn(given) else None


def known_id(event: Mapping[str, Any]) -> str:
    """The physical id to answer with when the request names no topic: the one CloudFormation has,
    else the logical id (the value must not be empty)."""
    return str(event.get("PhysicalResourceId") or event.get("LogicalResourceId") or "TopicArchive")


def respond(event: Mapping[str, Any], sns: Any) -> Answer:
    """What to answer, after doing what a Delete asks (an exception is the caller's to answer)."""
    request_type, topic = event.get("RequestType"), topic_of(event)
    if request_type == "Delete":
        if topic is None:  # a resource whose Create failed before it named a topic: nothing to release
            return Answer("SUCCESS", known_id(event), "no topic named, nothing to deactivate")
        return Answer("SUCCESS", str(event.get("PhysicalResourceId") or topic), deactivate(sns, topic))
    if request_type in ("Create", "Update"):
        if topic is None:
            return Answer("FAILED", known_id(event), "the TopicArn property is not an SNS topic ARN")
        return Answer("SUCCESS", topic, "nothing to change")
    return Answer("FAILED", str(event.get("PhysicalResourceId") or topic or known_id(event)), "unknown request type")


def summary(event: Mapping[str, Any], answer: Answer) -> str:
    """One line: the request type, the topic and the outcome (nothing else of the event)."""
    return f"{event.get('RequestType', '')} {topic_of(event) or '(no topic)'}: {answer.status} {answer.outcome}"


def body(event: Mapping[str, Any], answer: Answer) -> bytes:
    """The response object: the request's ids copied back verbatim, a Reason when it failed."""
    document = {
        "Status": answer.status,
        "PhysicalResourceId": answer.physical_id[:1024],
        "StackId": event.get("StackId", ""),
        "RequestId": event.get("RequestId", ""),
        "LogicalResourceId": event.get("LogicalResourceId", ""),
    }
    if answer.status == "FAILED":
        document["Reason"] = summary(event, answer)[:REASON_LIMIT]
    return json.dumps(document).encode("utf-8")


def put(url: str, data: bytes) -> None:
    """PUT the answer to the presigned URL, with an empty Content-Type: the URL was signed without one."""
    if not url.startswith(("https://", "http://")):
        raise ValueError("the ResponseURL is not an HTTP(S) URL")
    headers = {"Content-Type": "", "Content-Length": str(len(data))}
    request = urllib.request.Request(url, data=data, method="PUT", headers=headers)  # noqa: S310 - scheme checked
    with urllib.request.urlopen(request, timeout=ANSWER_TIMEOUT) as response:  # noqa: S310 - scheme checked
        response.read()


def handle(event: Mapping[str, Any], context: Context, sns: Any) -> Answer:
    """Does what the request asks with this SNS client, then answers CloudFormation.

    Raises only when the answer itself could not be sent: CloudFormation invokes the function
    asynchronously, so Lambda's retries send the request again (a Delete is safe to repeat).
    """

    def in_time(**_: Any) -> None:
        if context.get_remaining_time_in_millis() < RESERVE_MS:
            raise OutOfTime("too little time left to call SNS and still answer")

    sns.meta.events.register("before-send.sns", in_time, unique_id=DEADLINE)
    try:
        answer = respond(event, sns)
    except Exception as error:  # whatever went wrong, CloudFormation gets an answer
        physical = str(event.get("PhysicalResourceId") or topic_of(event) or known_id(event))
        answer = Answer("FAILED", physical, error_code(error))
    finally:
        sns.meta.events.unregister("before-send.sns", unique_id=DEADLINE)
    try:
        put(str(event.get("ResponseURL", "")), body(event, answer))
    except Exception as error:
        LOGGER.error("%s; the answer was not sent: %s", summary(event, answer), error_code(error))
        raise
    LOGGER.info("%s", summary(event, answer))
    return answer


@functools.cache
def _sns() -> Any:
    """One client per container, from the runtime's boto3, bounded by SNS_CONFIG."""
    import boto3

    return boto3.client("sns", config=SNS_CONFIG)


def handler(event: dict[str, Any], context: Context) -> None:
    """The Lambda entry point (template.yaml: TopicArchiveFunction)."""
    handle(event, context, _sns())
