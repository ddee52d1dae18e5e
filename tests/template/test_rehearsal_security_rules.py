"""The deploy rehearsal's rules on who may publish, take and read (devkit/rehearsal_security.py): each
finds exactly what is removed or broken on a copy of template.yaml, and nothing on template.yaml itself
for any parameter set the project rehearses.
"""

from __future__ import annotations

from typing import Any

import pytest

from devkit.deployed import Deployment
from devkit.rehearsal import DEPLOYMENTS, RULES, SECRET_ARN, evaluated, rehearse
from devkit.rehearsal_security import RULES as SECURITY_RULES
from devkit.rehearsal_security import UNGUARDED_TOPICS
from devkit.template import load_yaml

NOUN_TOPICS = "Resources.TopicPOST, TopicREACTION and 7 more"
NOUN_POLICIES = "Resources.TopicPolicyPOST, TopicPolicyREACTION and 7 more"


@pytest.fixture
def source() -> dict[str, Any]:
    return load_yaml()


def findings(document: dict[str, Any], overrides: dict[str, str] | None = None) -> list[str]:
    return [f"{f.where}: {f.rule}" for f in rehearse("broken", Deployment(overrides=overrides), document)]


def noun_loop(source: dict[str, Any]) -> dict[str, Any]:
    [loop] = [key for key in source["Resources"] if key.startswith("Fn::ForEach::")]
    body: dict[str, Any] = source["Resources"][loop][2]
    return body


def statements(resource: dict[str, Any], document: str = "PolicyDocument") -> list[dict[str, Any]]:
    listed: list[dict[str, Any]] = resource["Properties"][document]["Statement"]
    return listed


def without(listed: list[dict[str, Any]], sid: str) -> None:
    listed[:] = [s for s in listed if not (isinstance(s, dict) and s.get("Sid") == sid)]


@pytest.mark.parametrize("name", DEPLOYMENTS)
def test_template_yaml_breaks_none_of_them(name: str) -> None:
    found: list[str] = []
    template = evaluated(DEPLOYMENTS[name])
    for rule in SECURITY_RULES:
        rule(template, lambda where, rule: found.append(f"{where}: {rule}"))
    assert found == []


def test_they_are_rules_of_the_rehearsal_and_name_their_source() -> None:
    assert set(SECURITY_RULES) <= set(RULES)
    for rule in SECURITY_RULES:
        assert "Source: " in (rule.__doc__ or "") and "https://docs.aws.amazon.com/" in (rule.__doc__ or "")


def test_the_alarm_topic_takes_only_cloudwatchs_alarms_and_the_drift_report() -> None:
    """No topic is left to IAM alone: a forged "OK" on the alarm topic is refused like a forged event."""
    from devkit.policies import Request, decide
    from devkit.rehearsal_security import ADMIN, created

    assert UNGUARDED_TOPICS == {}
    template = evaluated(DEPLOYMENTS["alarm email"])
    topic = str(template.resolve({"Ref": "AlarmTopic"}))
    [policy] = [
        p["PolicyDocument"] for p in created(template, "AWS::SNS::TopicPolicy").values() if topic in p["Topics"]
    ]
    alarms = Request(
        "cloudwatch.amazonaws.com",
        "sns:Publish",
        topic,
        context={"aws:PrincipalServiceName": "cloudwatch.amazonaws.com", "aws:SourceAccount": template.account},
    )
    assert decide([], policy, alarms) == "allow"
    drift = str(template.resolve({"Fn::GetAtt": ["DriftFunctionRole", "Arn"]}))
    assert decide([ADMIN], policy, Request(drift, "sns:Publish", topic)) == "allow"
    admin = f"arn:aws:iam::{template.account}:role/admin"
    assert decide([ADMIN], policy, Request(admin, "sns:Publish", topic)) == "explicit deny"
    assert decide([ADMIN], policy, Request(drift, "sns:Publish", topic, secure_transport=False)) == "explicit deny"


# ----- (a) every topic's policy names its publishers and wants TLS --------------------------------
def test_a_topic_without_a_topic_policy_is_found(source: dict[str, Any]) -> None:
    del noun_loop(source)["TopicPolicy&{Noun}"]
    del source["Resources"]["CatchAllTopicPolicy"]
    rule = "no AWS::SNS::TopicPolicy names it: whoever the account's IAM allows may publish to it"
    assert findings(source) == [f"{NOUN_TOPICS}: {rule}", f"Resources.CatchAllTopic: {rule}"]


def test_a_topic_policy_that_lets_anyone_publish_is_found(source: dict[str, Any]) -> None:
    without(statements(noun_loop(source)["TopicPolicy&{Noun}"]), "OnlyTheReceiverAndOperatorsPublish")
    assert findings(source, {"DeliveryMode": "fifo"}) == [
        f"{NOUN_POLICIES}: does not deny sns:Publish to a principal it does not name (an administrator may publish)"
    ]


def test_publishers_named_by_a_wildcard_are_found(source: dict[str, Any]) -> None:
    """ArnNotLike with role/receiver-*: the outsider is still denied, but whoever can name a role so is not."""
    policy = statements(source["Resources"]["CatchAllTopicPolicy"])
    [deny] = [s for s in policy if s.get("Sid") == "OnlyTheReceiverAndOperatorsPublish"]
    deny["Condition"] = {
        "ArnNotLike": {"aws:PrincipalArn": {"Fn::Sub": "arn:aws:iam::${AWS::AccountId}:role/receiver-*"}}
    }
    assert findings(source) == [
        "Resources.CatchAllTopicPolicy: names who may publish by a wildcard (arn:aws:iam::123456789012:role/receiver-*)"
    ]


def test_a_topic_policy_without_its_tls_deny_is_found(source: dict[str, Any]) -> None:
    without(statements(source["Resources"]["CatchAllTopicPolicy"]), "TlsOnly")
    assert findings(source) == [
        "Resources.CatchAllTopicPolicy: does not deny sns:Publish without TLS (aws:SecureTransport false)",
        "Resources.CatchAllTopicPolicy: does not deny sns:Subscribe without TLS (aws:SecureTransport false)",
    ]


# ----- (b) sns:Publish on named topics only ----------------------------------------------------------
def test_publish_granted_on_a_name_prefix_is_found(source: dict[str, Any]) -> None:
    [grant] = statements(source["Resources"]["OperatorPublishOTHER"])
    grant["Resource"] = {"Fn::Sub": "arn:${AWS::Partition}:sns:${AWS::Region}:${AWS::AccountId}:${AWS::StackName}-*"}
    assert findings(source) == [
        "Resources.OperatorPublishOTHER: allows sns:Publish on "
        "arn:aws:sns:us-east-1:123456789012:community-webhooks-*: grant it on each topic's ARN"
    ]


@pytest.mark.parametrize(("action", "resource"), [("sns:*", "*"), ("*", "arn:aws:sns:*:*:*"), ("SNS:Pub?ish", "*")])
def test_publish_through_a_wider_action_on_a_wildcard_is_found(
    source: dict[str, Any], action: str, resource: str
) -> None:
    function = source["Resources"]["WebhookFunction"]["Properties"]["Policies"][0]["Statement"]
    [grant] = [s for s in function if isinstance(s, dict) and s.get("Sid") == "PublishToCatchAllTopic"]
    grant |= {"Action": action, "Resource": resource}
    assert findings(source) == [
        "Resources.WebhookFunctionRole.Policies.WebhookFunctionRolePolicy0: allows sns:Publish on "
        f"{resource}: grant it on each topic's ARN"
    ]


# ----- (c) the failure queue names who may take from it, over TLS only -------------------------------
def test_a_failure_queue_without_a_queue_policy_is_found(source: dict[str, Any]) -> None:
    del source["Resources"]["FailureQueuePolicy"]
    assert findings(source) == [
        "Resources.FailureQueue: the failure queue has no AWS::SQS::QueuePolicy: whoever the account's IAM "
        "allows may take the events kept there"
    ]


def test_a_failure_queue_policy_that_lets_anyone_take_is_found(source: dict[str, Any]) -> None:
    without(statements(source["Resources"]["FailureQueuePolicy"]), "OnlyOperatorsTakeEvents")
    assert findings(source) == [
        "Resources.FailureQueuePolicy: does not deny sqs:ReceiveMessage to a principal it does not name "
        "(an administrator may take the failed events)"
    ]


def test_a_failure_queue_policy_that_denies_everyone_names_no_taker(source: dict[str, Any]) -> None:
    [take] = [s for s in statements(source["Resources"]["FailureQueuePolicy"]) if s["Sid"] == "OnlyOperatorsTakeEvents"]
    del take["Condition"]
    assert findings(source) == [
        "Resources.FailureQueuePolicy: its deny of sqs:ReceiveMessage names no one by ARN who may take the failed "
        "events"
    ]


def test_a_failure_queue_policy_without_its_tls_deny_is_found(source: dict[str, Any]) -> None:
    without(statements(source["Resources"]["FailureQueuePolicy"]), "TlsOnly")
    assert findings(source) == [
        "Resources.FailureQueuePolicy: does not deny sqs:SendMessage without TLS (aws:SecureTransport false)",
        "Resources.FailureQueuePolicy: does not deny sqs:ReceiveMessage without TLS (aws:SecureTransport false)",
    ]


# ----- (d) each secret has a resource policy --------------------------------------------------------
def test_a_secret_without_a_resource_policy_is_found(source: dict[str, Any]) -> None:
    del source["Resources"]["CandTokenPolicy"]
    assert findings(source) == [
        "Resources.CandTokenStore: no AWS::SecretsManager::ResourcePolicy: whoever the account's IAM allows may read it"
    ]
    assert findings(source, {"ExistingCandTokenArn": SECRET_ARN.replace("signing", "cand")}) == []  # not the stack's


def test_a_secret_policy_that_lets_the_account_read_is_found(source: dict[str, Any]) -> None:
    [deny] = statements(source["Resources"]["SigningSecretPolicy"], "ResourcePolicy")
    deny["Condition"] = {"ArnNotLike": {"aws:PrincipalArn": {"Fn::Sub": "arn:aws:iam::${AWS::AccountId}:role/*"}}}
    assert findings(source) == [
        "Resources.SigningSecretPolicy: does not deny secretsmanager:GetSecretValue to a principal it does not "
        "name (an administrator may read the secret)"
    ]


def test_a_policy_it_cannot_evaluate_is_a_finding_not_a_crash(source: dict[str, Any]) -> None:
    statements(source["Resources"]["CatchAllTopicPolicy"])[0]["Condition"] = {"StringEqualsIfExists": {"a": "b"}}
    [finding] = findings(source)
    assert finding == (
        "Resources.CatchAllTopicPolicy: cannot be evaluated: the condition operator StringEqualsIfExists is not "
        "evaluated"
    )
