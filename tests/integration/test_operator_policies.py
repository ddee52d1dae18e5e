"""The operator roles of template.yaml allow every call the operator commands make, on its resource, and no more.

Each AWS call of a redrive on the emulated stack is recorded (a botocore before-call hook) as the IAM
action and resource it needs, and matched against everything `RedriveOperatorRole` holds in the
deployed template (devkit/deployed.py), resolved for that stack: its inline policies, its managed
policies (ManagedPolicyArns, each one of the template's AWS::IAM::ManagedPolicy resources), and every
AWS::IAM::ManagedPolicy, AWS::IAM::Policy and AWS::IAM::RolePolicy that attaches itself to it (Roles,
RoleName), with IAM's wildcard matching and the condition operators these policies use. Moto does
not check IAM on these calls (its IAM simulation treats every resource as "*", and skips SQS), so the
matching here is the narrow emulation of it.

sns:Publish is granted topic by topic: the role may publish to each of the stack's topics, and to no
topic of another stack whose name starts with this one's (`<stack>-dev-POST`), which a `<stack>-*`
wildcard allowed. `ReplayOperatorRole` (the archive replay) is checked on its statements: it
publishes to exactly the stack's topics, and lists the archive only under events/.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator
from functools import cache
from typing import Any

import pytest

from devkit.deployed import Deployment, translated_document
from devkit.template import Template, load_yaml
from handler import container
from tests.conftest import REGION, Receiver, raw, sample
from tests.support import break_sns, redrive, repair_sns

ACCOUNT = "123456789012"
IAM_ACTION = {"sns:PublishBatch": "sns:Publish"}  # the action PublishBatch is authorized as


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
        action = f"{service}:{model.name}"
        made.append((IAM_ACTION.get(action, action), resource_of(service, params)))

    for service in ("sqs", "dynamodb", "sns"):
        container.current().clients(service).meta.events.register("provide-client-params.*.*", record, unique_id="iam")
    yield made
    for service in ("sqs", "dynamodb", "sns"):
        container.current().clients(service).meta.events.unregister("provide-client-params.*.*", unique_id="iam")


Statement = dict[str, Any]
ATTACHED = ("AWS::IAM::ManagedPolicy", "AWS::IAM::Policy", "AWS::IAM::RolePolicy")  # policies naming their roles


def listed(value: Any) -> list[Any]:
    return [value] if isinstance(value, (str, dict)) else list(value)


def conditions_hold(condition: dict[str, Any], context: dict[str, str]) -> bool:
    """IAM's StringEquals and StringLike (a key absent from the request does not match); any other
    operator fails the test rather than be guessed."""
    for operator, keys in condition.items():
        for key, values in keys.items():
            if key not in context:
                return False
            if operator == "StringEquals":
                matched = context[key] in listed(values)
            elif operator == "StringLike":
                matched = any(fnmatch.fnmatchcase(context[key], pattern) for pattern in listed(values))
            else:
                raise AssertionError(f"condition operator {operator} is not emulated here")
            if not matched:
                return False
    return True


def applies(statement: Statement, action: str, resource: str, context: dict[str, str]) -> bool:
    unknown = {"NotAction", "NotResource", "NotPrincipal"} & set(statement)
    assert not unknown, f"{unknown} is not emulated here"
    return (
        any(fnmatch.fnmatchcase(action, pattern) for pattern in listed(statement["Action"]))
        and any(fnmatch.fnmatchcase(resource, pattern) for pattern in listed(statement["Resource"]))
        and conditions_hold(statement.get("Condition") or {}, context)
    )


def allowed(statements: list[Statement], action: str, resource: str, context: dict[str, str] | None = None) -> bool:
    """IAM's answer for an identity holding `statements`: an Allow applies and no Deny does."""
    matching = [s for s in statements if applies(s, action, resource, context or {})]
    return any(s["Effect"] == "Allow" for s in matching) and not any(s["Effect"] == "Deny" for s in matching)


@cache
def deployed_document(stack_name: str, parameters: tuple[tuple[str, str], ...]) -> dict[str, Any]:
    """template.yaml as `sam deploy` hands it to CloudFormation, for this stack and these parameters."""
    deployment = Deployment(stack_name=stack_name, region=REGION, account=ACCOUNT, overrides=dict(parameters))
    return translated_document(load_yaml(), deployment)


def deployed(receiver: Receiver) -> Template:
    """The deployed template, resolvable against the emulated stack's resources; IAM's own (roles and
    managed policies, which the emulated stack does not create) named as CloudFormation names them."""
    emulated = receiver.stack.template
    physical = {logical: dict(names) for logical, names in emulated.physical.items()}
    physical[receiver.stack.function]["Arn"] = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:webhooks-local-function"
    parameters = tuple(
        sorted(
            (name, ",".join(value) if isinstance(value, list) else value) for name, value in emulated.parameters.items()
        )
    )
    template = Template(
        document=deployed_document(emulated.stack_name, parameters),
        parameters=dict(emulated.parameters),
        stack_name=emulated.stack_name,
        region=REGION,
        account=ACCOUNT,
        physical=physical,
    )
    for logical in template.of_type("AWS::IAM::Role"):
        name = f"{template.stack_name}-{logical}-ABCDEF"
        physical[logical] = {"Ref": name, "Arn": f"arn:aws:iam::{ACCOUNT}:role/{name}"}
    for logical in template.of_type("AWS::IAM::ManagedPolicy"):
        physical[logical] = {"Ref": f"arn:aws:iam::{ACCOUNT}:policy/{template.stack_name}-{logical}-ABCDEF"}
    return template


def held_by(template: Template, role: str) -> dict[str, list[Statement]]:
    """Every policy `role` holds in `template`, by its logical id (the role's own inline ones by name)."""
    name = template.ref(role)
    properties = template.resources[role]["Properties"]

    def statements(document: Any) -> list[Statement]:
        return listed(template.resolve(document)["Statement"])

    held = {
        f"{role}.{inline['PolicyName']}": statements(inline["PolicyDocument"])
        for inline in properties.get("Policies", [])
    }
    managed = {template.ref(logical): logical for logical in template.of_type("AWS::IAM::ManagedPolicy")}
    arns = template.resolve(properties.get("ManagedPolicyArns", []))
    assert [arn for arn in arns if arn not in managed] == [], "a managed policy from outside the template"
    for logical, resource in template.resources.items():
        if resource["Type"] not in ATTACHED:
            continue
        attached = resource["Properties"]
        roles = template.resolve(attached.get("Roles", [])) + listed(template.resolve(attached.get("RoleName", [])))
        if name in roles or (resource["Type"] == "AWS::IAM::ManagedPolicy" and template.ref(logical) in arns):
            held[logical] = statements(attached["PolicyDocument"])
    return held


def everything(held: dict[str, list[Statement]]) -> list[Statement]:
    return [statement for statements in held.values() for statement in statements]


def publishes_to(statements: list[Statement]) -> list[str]:
    """Every resource an Allow statement covering sns:Publish names (patterns as written)."""
    return sorted(
        resource
        for statement in statements
        if statement["Effect"] == "Allow"
        and any(fnmatch.fnmatchcase("sns:Publish", pattern) for pattern in listed(statement["Action"]))
        for resource in listed(statement["Resource"])
    )


def assert_one_publish_policy_per_topic(
    template: Template, held: dict[str, list[Statement]], managed: str, topics: dict[str, str]
) -> None:
    """The role holds `managed`, which grants no sns:Publish, and one AWS::IAM::Policy per topic
    granting sns:Publish on exactly that topic's ARN, and nothing else."""
    grants = {logical: statements for logical, statements in held.items() if logical != managed}
    assert managed in held and publishes_to(held[managed]) == []
    assert {template.resources[logical]["Type"] for logical in grants} == {"AWS::IAM::Policy"}
    assert sorted(arn for statements in grants.values() for arn in publishes_to(statements)) == sorted(topics.values())
    assert all(len(publishes_to(statements)) == len(statements) == 1 for statements in grants.values())


def other_stacks_topics(receiver: Receiver) -> list[str]:
    """Topics of other stacks whose names start with this one's: what a `<stack>-*` grant would cover."""
    stack = receiver.stack.template.stack_name
    return [
        f"arn:aws:sns:{REGION}:{ACCOUNT}:{stack}-dev-POST",
        f"arn:aws:sns:{REGION}:{ACCOUNT}:{stack}-dev-OTHER",
        f"arn:aws:sns:{REGION}:{ACCOUNT}:{stack}-staging-MEMBER.fifo",
        f"arn:aws:sns:{REGION}:{ACCOUNT}:{stack}-POST-archive",
        f"arn:aws:sns:{REGION}:{ACCOUNT}:other-stack-POST",
    ]


def test_every_call_of_a_redrive_is_allowed_by_what_the_redrive_operator_role_holds(
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
    template = deployed(receiver)
    held = held_by(template, "RedriveOperatorRole")
    topics = receiver.stack.topics
    # the managed policy, and one publish policy per topic attached to the role
    assert_one_publish_policy_per_topic(template, held, "RedriveOperatorPolicy", topics)
    policy = everything(held)
    assert [call for call in sorted(made) if not allowed(policy, *call)] == []
    # and nothing broader than the stack: another stack's queue or table is not covered
    assert not allowed(policy, "sqs:ReceiveMessage", f"arn:aws:sqs:{REGION}:{ACCOUNT}:someone-elses")
    assert not allowed(policy, "dynamodb:PutItem", f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/other")
    # it may publish to each of the stack's topics, named one by one, and to no other stack's
    assert publishes_to(policy) == sorted(topics.values())
    assert all(allowed(policy, "sns:Publish", arn) for arn in topics.values())
    assert [arn for arn in other_stacks_topics(receiver) if allowed(policy, "sns:Publish", arn)] == []


def test_the_replay_operator_role_publishes_to_exactly_the_stacks_topics_and_lists_only_events(
    receiver: Receiver,
) -> None:
    """With the archive in S3 (the default: EnableArchive=true, DeliveryMode=standard)."""
    template = deployed(receiver)
    assert template.condition("ArchiveToS3")
    held = held_by(template, "ReplayOperatorRole")
    topics = receiver.stack.topics
    assert_one_publish_policy_per_topic(template, held, "ReplayOperatorPolicy", topics)
    policy = everything(held)
    assert publishes_to(policy) == sorted(topics.values())
    assert all(allowed(policy, "sns:Publish", arn) for arn in topics.values())
    assert [arn for arn in other_stacks_topics(receiver) if allowed(policy, "sns:Publish", arn)] == []
    # s3:ListBucket on the archive bucket only, and only under events/
    archive = template.physical["ArchiveBucket"]["Arn"]
    listing = [
        s for s in policy if s["Effect"] == "Allow" and allowed([s], "s3:ListBucket", archive, {"s3:prefix": "events/"})
    ]
    assert [(s["Resource"], s.get("Condition")) for s in listing] == [
        (archive, {"StringLike": {"s3:prefix": ["events/*"]}})
    ]
    assert allowed(policy, "s3:ListBucket", archive, {"s3:prefix": "events/2025/01/02/"})
    for prefix in ("", "payloads/", "shapes/", "event"):
        assert not allowed(policy, "s3:ListBucket", archive, {"s3:prefix": prefix}), prefix
    assert not allowed(policy, "s3:ListBucket", archive)  # no prefix: the whole bucket
    assert not allowed(policy, "s3:ListBucket", template.physical["PayloadBucket"]["Arn"], {"s3:prefix": "events/"})
    assert not allowed(policy, "s3:ListBucket", "arn:aws:s3:::someone-elses", {"s3:prefix": "events/"})
