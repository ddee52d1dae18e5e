"""The operator policies of template.yaml allow every call the operator commands make, on its resource.

Each AWS call of a redrive on the emulated stack is recorded (a botocore before-call hook) as the IAM
action and resource it needs, and matched against `RedriveOperatorPolicy` as resolved for that
stack, with IAM's wildcard matching. Moto does not check IAM on these calls (its IAM simulation
treats every resource as "*", and skips SQS), so the matching here is the narrow emulation of it.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator
from typing import Any

import pytest

from handler import container
from tests.conftest import REGION, Receiver, raw, sample
from tests.support import break_sns, redrive, repair_sns

ACCOUNT = "123456789012"


def resource_of(service: str, params: dict[str, Any]) -> str:
    """The resource ARN IAM authorizes the call against."""
    if service == "sqs":
        name = params["QueueUrl"].rsplit("/", 1)[1]
        return f"arn:aws:sqs:{REGION}:{ACCOUNT}:{name}"
    if service == "dynamodb":
        return f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{params['TableName']}"
    if service == "sns":
        return str(params["TopicArn"])
    raise AssertionError(f"the redrive called {service}, which the test does not know")


@pytest.fixture
def calls(receiver: Receiver) -> Iterator[list[tuple[str, str]]]:
    """(IAM action, resource) of every call the handler's clients make from now on."""
    made: list[tuple[str, str]] = []

    def record(model: Any, params: dict[str, Any], **_: Any) -> None:
        service = model.service_model.endpoint_prefix
        made.append((f"{service}:{model.name}", resource_of(service, params)))

    for service in ("sqs", "dynamodb", "sns"):
        container.current().clients(service).meta.events.register("provide-client-params.*.*", record, unique_id="iam")
    yield made
    for service in ("sqs", "dynamodb", "sns"):
        container.current().clients(service).meta.events.unregister("provide-client-params.*.*", unique_id="iam")


def allowed(policy: dict[str, Any], action: str, resource: str) -> bool:
    def listed(value: str | list[str]) -> list[str]:
        return [value] if isinstance(value, str) else value

    return any(
        statement["Effect"] == "Allow"
        and any(fnmatch.fnmatchcase(action, pattern) for pattern in listed(statement["Action"]))
        and any(fnmatch.fnmatchcase(resource, pattern) for pattern in listed(statement["Resource"]))
        for statement in policy["Statement"]
    )


def redrive_policy(receiver: Receiver) -> dict[str, Any]:
    template = receiver.stack.template
    function = template.physical.setdefault(receiver.stack.function, {})
    function.setdefault("Arn", f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:webhooks-local-function")
    resource = template.document["Resources"]["RedriveOperatorPolicy"]["Properties"]["PolicyDocument"]
    return template.resolve(resource)


def test_every_call_of_a_redrive_is_allowed_by_the_redrive_operator_policy(
    receiver: Receiver, calls: list[tuple[str, str]]
) -> None:
    break_sns()
    for name in ("post.published", "reaction.added"):
        assert receiver.post(raw(sample(name))).status == 503
    repair_sns()
    calls.clear()
    report = redrive()
    assert (report.received, report.published) == (2, 2)
    made = set(calls)
    assert {action for action, _ in made} >= {
        "sqs:ReceiveMessage",
        "sqs:DeleteMessage",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "sns:Publish",
    }
    policy = redrive_policy(receiver)
    assert [call for call in sorted(made) if not allowed(policy, *call)] == []
    # and nothing broader than the stack: another stack's queue or table is not covered
    assert not allowed(policy, "sqs:ReceiveMessage", f"arn:aws:sqs:{REGION}:{ACCOUNT}:someone-elses")
    assert not allowed(policy, "dynamodb:PutItem", f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/other")
    assert not allowed(policy, "sns:Publish", f"arn:aws:sns:{REGION}:{ACCOUNT}:other-stack-POST")
