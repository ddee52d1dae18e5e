"""Who may publish, subscribe, take and read: what IAM would answer to each principal, on the deployed
template of both delivery modes, with and without SubscriberAccountIds.

Each resource policy (topic, failure queue, secret) and each role's identity policies are taken from
the deployed template (`devkit.rehearsal.evaluated`, physical names at their longest) and evaluated by
`devkit.policies` as IAM evaluates them. The emulator cannot show any of this: moto keeps the policies
and enforces none, which the last test shows (the receiver publishes through the emulated stack as it
did before the policies, though AWS would refuse moto's test caller).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest

from devkit.deployed import Deployment
from devkit.policies import Decision, Document, Request, decide
from devkit.rehearsal import WorstCase, evaluated
from devkit.rehearsal_security import ADMIN, UNGUARDED_TOPICS, arn, created, identity_policies
from tests.conftest import REGION, Receiver, raw, sample

ACCOUNT = Deployment().account
ELSEWHERE = "111122223333"  # an account given as SubscriberAccountIds
STRANGER = "999988887777"  # an account never given
MODES = {
    "standard": {},
    "fifo": {"DeliveryMode": "fifo"},
    "standard, subscribers elsewhere": {"SubscriberAccountIds": ELSEWHERE},
    "fifo, subscribers elsewhere": {"DeliveryMode": "fifo", "SubscriberAccountIds": ELSEWHERE},
}
# Roles that are no one the policies name: an administrator of this account, and one of each other account.
ADMIN_ROLE = f"arn:aws:iam::{ACCOUNT}:role/Administrator"
MAY_SUBSCRIBE: Document = {"Statement": [{"Effect": "Allow", "Action": "sns:Subscribe", "Resource": "*"}]}


@dataclass
class Deployed:
    """One deployment's template, and what IAM answers on it."""

    name: str
    template: WorstCase

    def topics(self) -> dict[str, str]:
        """Each topic guarded by a topic policy: logical id -> ARN."""
        return {
            logical: str(self.template.ref(logical))
            for logical in created(self.template, "AWS::SNS::Topic")
            if logical not in UNGUARDED_TOPICS
        }

    def topic_policy(self, topic: str) -> Document:
        [policy] = [
            p["PolicyDocument"]
            for p in created(self.template, "AWS::SNS::TopicPolicy").values()
            if topic in p["Topics"]
        ]
        return policy

    def failure_queue(self) -> tuple[str, Document]:
        """The failure queue's ARN and its policy."""
        url = self.template.ref("FailureQueue")
        [policy] = [
            p["PolicyDocument"] for p in created(self.template, "AWS::SQS::QueuePolicy").values() if url in p["Queues"]
        ]
        return arn(self.template, "FailureQueue"), policy

    def secrets(self) -> dict[str, Document]:
        """Each secret the stack creates (its ARN) and its resource policy."""
        policies = {
            p["SecretId"]: p["ResourcePolicy"]
            for p in created(self.template, "AWS::SecretsManager::ResourcePolicy").values()
        }
        return {
            str(self.template.ref(logical)): policies[str(self.template.ref(logical))]
            for logical in created(self.template, "AWS::SecretsManager::Secret")
        }

    def role(self, logical: str) -> str:
        return arn(self.template, logical)

    def as_role(self, logical: str, action: str, resource: str, policy: Document, *, tls: bool = True) -> Decision:
        """What IAM answers to the stack's role `logical`, holding its own identity policies."""
        request = Request(self.role(logical), action, resource, secure_transport=tls)
        return decide(identity_policies(self.template, logical), policy, request)

    def has(self, logical: str) -> bool:
        return logical in created(self.template, "AWS::IAM::Role")


@pytest.fixture(scope="module", params=list(MODES))
def deployed(request: pytest.FixtureRequest) -> Deployed:
    return Deployed(request.param, evaluated(Deployment(overrides=MODES[request.param])))


def as_admin(principal: str, action: str, resource: str, policy: Document, *, tls: bool = True) -> Decision:
    """What IAM answers to `principal` whose own IAM allows everything."""
    return decide([ADMIN], policy, Request(principal, action, resource, secure_transport=tls))


# ----- publishing -------------------------------------------------------------------------------------
def test_the_function_and_the_operator_roles_may_publish_to_every_topic(deployed: Deployed) -> None:
    fifo = "fifo" in deployed.name
    publishers = ["WebhookFunctionRole", "RedriveOperatorRole", *([] if fifo else ["ReplayOperatorRole"])]
    assert deployed.has("ReplayOperatorRole") is not fifo  # FIFO topics replay their own archive
    assert len(deployed.topics()) == 10  # nine nouns and the catch-all
    for topic in deployed.topics().values():
        policy = deployed.topic_policy(topic)
        assert {role: deployed.as_role(role, "sns:Publish", topic, policy) for role in publishers} == dict.fromkeys(
            publishers, "allow"
        )


def test_no_one_else_publishes_whatever_their_iam_allows(deployed: Deployed) -> None:
    """An administrator of the account (sns:* on *, here * on *), and the stack's other roles with the
    same IAM, are refused by the topic policy itself: an explicit deny."""
    others = [ADMIN_ROLE, deployed.role("ForgetOperatorRole"), deployed.role("CredentialsOperatorRole")]
    others += [f"arn:aws:iam::{account}:role/Administrator" for account in (ELSEWHERE, STRANGER)]
    for topic in deployed.topics().values():
        policy = deployed.topic_policy(topic)
        assert {who: as_admin(who, "sns:Publish", topic, policy) for who in others} == dict.fromkeys(
            others, "explicit deny"
        )
        assert as_admin("sns.amazonaws.com", "sns:Publish", topic, policy) == "explicit deny"  # no aws:PrincipalArn


def test_nothing_is_published_or_subscribed_without_tls(deployed: Deployed) -> None:
    for topic in deployed.topics().values():
        policy = deployed.topic_policy(topic)
        assert deployed.as_role("WebhookFunctionRole", "sns:Publish", topic, policy, tls=False) == "explicit deny"
        assert deployed.as_role("RedriveOperatorRole", "sns:Publish", topic, policy, tls=False) == "explicit deny"
        assert as_admin(ADMIN_ROLE, "sns:Subscribe", topic, policy, tls=False) == "explicit deny"


# ----- subscribing ------------------------------------------------------------------------------------
def subscribes(principal: str, topic: str, policy: Document, iam: Document | None = MAY_SUBSCRIBE) -> Decision:
    return decide([iam] if iam else [], policy, Request(principal, "sns:Subscribe", topic))


def test_this_account_subscribes_with_its_own_iam(deployed: Deployed) -> None:
    """The topic policy allows no one of this account by itself: within the account IAM decides."""
    for topic in deployed.topics().values():
        policy = deployed.topic_policy(topic)
        assert subscribes(f"arn:aws:iam::{ACCOUNT}:role/orders-service", topic, policy) == "allow"
        assert subscribes(f"arn:aws:iam::{ACCOUNT}:role/orders-service", topic, policy, iam=None) == "implicit deny"


def test_subscriber_accounts_subscribe_with_their_own_iam_and_no_other_account_does(deployed: Deployed) -> None:
    given = "elsewhere" in deployed.name
    for topic in deployed.topics().values():
        policy = deployed.topic_policy(topic)
        theirs = f"arn:aws:iam::{ELSEWHERE}:role/orders-service"
        assert subscribes(theirs, topic, policy) == ("allow" if given else "explicit deny")
        # across accounts the topic policy's Allow alone is not enough: their IAM must allow it too
        assert subscribes(theirs, topic, policy, iam=None) == ("implicit deny" if given else "explicit deny")
        assert subscribes(f"arn:aws:iam::{STRANGER}:role/orders-service", topic, policy) == "explicit deny"


# ----- the failure queue ---------------------------------------------------------------------------
def test_only_the_function_puts_events_on_the_failure_queue(deployed: Deployed) -> None:
    queue, policy = deployed.failure_queue()
    assert deployed.as_role("WebhookFunctionRole", "sqs:SendMessage", queue, policy) == "allow"
    for someone in (ADMIN_ROLE, deployed.role("RedriveOperatorRole"), deployed.role("ForgetOperatorRole")):
        assert as_admin(someone, "sqs:SendMessage", queue, policy) == "explicit deny"
    assert deployed.as_role("WebhookFunctionRole", "sqs:SendMessage", queue, policy, tls=False) == "explicit deny"


@pytest.mark.parametrize("action", ["sqs:ReceiveMessage", "sqs:DeleteMessage"])
def test_only_the_redrive_and_forget_roles_take_events_off_it(deployed: Deployed, action: str) -> None:
    queue, policy = deployed.failure_queue()
    for role in ("RedriveOperatorRole", "ForgetOperatorRole"):
        assert deployed.as_role(role, action, queue, policy) == "allow"
        assert deployed.as_role(role, action, queue, policy, tls=False) == "explicit deny"
    for someone in (ADMIN_ROLE, deployed.role("WebhookFunctionRole"), deployed.role("CredentialsOperatorRole")):
        assert as_admin(someone, action, queue, policy) == "explicit deny"
    assert as_admin(ADMIN_ROLE, "sqs:PurgeQueue", queue, policy) == "explicit deny"


# ----- the secrets ----------------------------------------------------------------------------------
def test_only_the_function_and_the_credentials_role_read_each_secret(deployed: Deployed) -> None:
    secrets = deployed.secrets()
    assert len(secrets) == 2  # the signing secret and canD's token
    for secret, policy in secrets.items():
        for role in ("WebhookFunctionRole", "CredentialsOperatorRole"):
            assert deployed.as_role(role, "secretsmanager:GetSecretValue", secret, policy) == "allow"
        for someone in (ADMIN_ROLE, deployed.role("RedriveOperatorRole"), deployed.role("ForgetOperatorRole")):
            assert as_admin(someone, "secretsmanager:GetSecretValue", secret, policy) == "explicit deny"


# ----- the evaluator's own rules, each as the IAM User Guide states it ------------------------------
TOPIC = f"arn:aws:sns:us-east-1:{ACCOUNT}:community-webhooks-POST"


def only(*arns: str, operator: str = "ArnNotEquals") -> Document:
    return {
        "Statement": [
            {
                "Effect": "Deny",
                "Principal": "*",
                "Action": "sns:Publish",
                "Resource": TOPIC,
                "Condition": {operator: {"aws:PrincipalArn": list(arns)}},
            }
        ]
    }


def test_a_negated_condition_on_a_key_the_request_lacks_holds() -> None:
    """Condition operators: "If the policy condition requires that the key is not matched, such as
    StringNotLike or ArnNotLike, and the right key is not present, the condition is true": a service
    principal has no aws:PrincipalArn, so the Deny applies to it; a positive operator does not match."""
    listed = f"arn:aws:iam::{ACCOUNT}:role/publisher"
    assert as_admin("sns.amazonaws.com", "sns:Publish", TOPIC, only(listed)) == "explicit deny"
    assert as_admin(listed, "sns:Publish", TOPIC, only(listed)) == "allow"
    positive = {
        "Statement": [{**only(listed)["Statement"][0], "Condition": {"ArnEquals": {"aws:PrincipalArn": listed}}}]
    }
    assert (
        as_admin("sns.amazonaws.com", "sns:Publish", TOPIC, positive) == "implicit deny"
    )  # nor does anything allow it


def test_arn_wildcards_match_within_each_part() -> None:
    """ARN operators compare each of the six colon-separated parts, with * and ? inside a part."""
    policy = only(f"arn:aws:iam::{ACCOUNT}:role/ops-*", operator="ArnNotLike")
    assert as_admin(f"arn:aws:iam::{ACCOUNT}:role/ops-redrive", "sns:Publish", TOPIC, policy) == "allow"
    assert as_admin(f"arn:aws:iam::{STRANGER}:role/ops-redrive", "sns:Publish", TOPIC, policy) == "explicit deny"
    assert as_admin(f"arn:aws:iam::{ACCOUNT}:role/dev-ops-x", "sns:Publish", TOPIC, policy) == "explicit deny"


def test_same_account_needs_one_allow_and_cross_account_both() -> None:
    """Policy evaluation logic: within an account an Allow in either policy suffices; across accounts
    both must allow; naming an account delegates to its IAM; an explicit deny wins over any allow."""
    role = f"arn:aws:iam::{ACCOUNT}:role/publisher"
    theirs = f"arn:aws:iam::{ELSEWHERE}:role/publisher"
    grant = {
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": [role, theirs]}, "Action": "sns:*", "Resource": TOPIC}]
    }
    account = {"Statement": [{"Effect": "Allow", "Principal": {"AWS": ACCOUNT}, "Action": "sns:*", "Resource": TOPIC}]}
    publish = {"Statement": [{"Effect": "Allow", "Action": "SNS:Pub*", "Resource": "arn:aws:sns:*:*:community-*"}]}
    assert decide([], grant, Request(role, "sns:Publish", TOPIC)) == "allow"
    assert decide([], account, Request(role, "sns:Publish", TOPIC)) == "implicit deny"
    assert decide([publish], None, Request(role, "sns:Publish", TOPIC)) == "allow"
    assert decide([], grant, Request(theirs, "sns:Publish", TOPIC)) == "implicit deny"
    assert decide([publish], grant, Request(theirs, "sns:Publish", TOPIC)) == "allow"
    assert decide([publish], None, Request(theirs, "sns:Publish", TOPIC)) == "implicit deny"
    assert (
        decide(
            [publish, {"Statement": {"Effect": "Deny", "Action": "*", "Resource": "*"}}],
            grant,
            Request(role, "sns:Publish", TOPIC),
        )
        == "explicit deny"
    )


@pytest.mark.parametrize(
    "statement",
    [
        {"Effect": "Deny", "NotPrincipal": {"AWS": "x"}, "Action": "*", "Resource": "*"},
        {
            "Effect": "Deny",
            "Principal": "*",
            "Action": "*",
            "Resource": "*",
            "Condition": {"StringEqualsIfExists": {"a": "b"}},
        },
        {"Effect": "Deny", "Principal": "*", "Action": "*", "Resource": "*", "Condition": {"Null": {"a": "true"}}},
        {"Effect": "Deny", "Principal": "*", "Action": "*", "Resource": "${aws:username}"},
    ],
)
def test_what_it_does_not_evaluate_it_refuses(statement: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=r"not evaluated|NotPrincipal"):
        decide([], {"Statement": [statement]}, Request(ADMIN_ROLE, "sns:Publish", TOPIC))


# ----- the emulated stack: unchanged ---------------------------------------------------------------
def emulated_policies(receiver: Receiver) -> Iterator[tuple[str, str, Any]]:
    """The stack's resource policies resolved against the emulated resources: (type, resource, document).
    The roles are not emulated: their ARNs are made up as CloudFormation would name them."""
    template = dataclasses.replace(receiver.stack.template, physical=dict(receiver.stack.template.physical))
    for role in (
        "WebhookFunctionRole",
        "RedriveOperatorRole",
        "ReplayOperatorRole",
        "ForgetOperatorRole",
        "CredentialsOperatorRole",
    ):
        template.physical[role] = {"Ref": role, "Arn": f"arn:aws:iam::{ACCOUNT}:role/{template.stack_name}-{role}"}
    for props in (template.resolve(r["Properties"]) for r in template.of_type("AWS::SNS::TopicPolicy").values()):
        for topic in props["Topics"]:
            yield "topic", topic, props["PolicyDocument"]
    for props in (template.resolve(r["Properties"]) for r in template.of_type("AWS::SQS::QueuePolicy").values()):
        for queue in props["Queues"]:
            yield "queue", queue, props["PolicyDocument"]
    for props in (
        template.resolve(r["Properties"]) for r in template.of_type("AWS::SecretsManager::ResourcePolicy").values()
    ):
        yield "secret", props["SecretId"], props["ResourcePolicy"]


def test_the_receiver_still_publishes_through_the_emulated_stack(receiver: Receiver) -> None:
    """The policies applied to the emulated topics, failure queue and secrets, a signed post is verified
    (the secret read), claimed and published as before: moto stores the policies and evaluates none. AWS
    would refuse the very caller moto lets through, which is why the decisions above are the evaluator's."""
    sns, sqs = boto3.client("sns", region_name=REGION), boto3.client("sqs", region_name=REGION)
    secretsmanager = boto3.client("secretsmanager", region_name=REGION)
    applied = list(emulated_policies(receiver))
    assert sorted({kind for kind, _, _ in applied}) == ["queue", "secret", "topic"]
    for kind, resource, document in applied:
        if kind == "topic":
            sns.set_topic_attributes(TopicArn=resource, AttributeName="Policy", AttributeValue=json.dumps(document))
        elif kind == "queue":
            sqs.set_queue_attributes(QueueUrl=resource, Attributes={"Policy": json.dumps(document)})
        else:
            secretsmanager.put_resource_policy(
                SecretId=resource, ResourcePolicy=json.dumps(document), BlockPublicPolicy=True
            )
    post = receiver.stack.topics["TopicPOST"]
    assert json.loads(sns.get_topic_attributes(TopicArn=post)["Attributes"]["Policy"]) == next(
        document for kind, resource, document in applied if resource == post
    )

    response = receiver.post(raw(sample("post.published")))

    assert response.status == 200
    [message] = receiver.received()["TopicPOST"]
    assert json.loads(message.body)["data"]["name"] == "post.published"
    caller = boto3.client("sts", region_name=REGION).get_caller_identity()["Arn"]
    policy = next(document for kind, resource, document in applied if resource == post)
    assert as_admin(caller, "sns:Publish", post, policy) == "explicit deny"  # what AWS would answer moto's caller
