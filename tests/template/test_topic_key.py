"""The FIFO topics' key: SNS replays a topic's archive only when the key policy lets the SNS service use
the key for kms:Decrypt and kms:GenerateDataKey, which the AWS managed alias/aws/sns key's policy never
does (SNS Developer Guide, "Message archiving for FIFO topic owners", Grant access to an encrypted
archive: https://docs.aws.amazon.com/sns/latest/dg/message-archiving-and-replay-topic-owner.html).
Every publisher to an encrypted topic needs the same two actions on its key (SNS Developer Guide,
"Encryption at rest", key management).
"""

from __future__ import annotations

from typing import Any

import pytest

from devkit.deployed import Deployment
from devkit.rehearsal import WorstCase, evaluated

DATA_KEYS = {"kms:Decrypt", "kms:GenerateDataKey"}


def _template(**overrides: str) -> WorstCase:
    return evaluated(Deployment(overrides=overrides))


def _statements(document: dict[str, Any]) -> list[dict[str, Any]]:
    statements = document["Statement"]
    return statements if isinstance(statements, list) else [statements]


def _actions(statement: dict[str, Any]) -> set[str]:
    actions = statement["Action"]
    return {actions} if isinstance(actions, str) else set(actions)


def _topics(template: WorstCase) -> dict[str, dict[str, Any]]:
    return {
        logical: template.resolve(resource["Properties"])
        for logical, resource in template.resources.items()
        if resource["Type"] == "AWS::SNS::Topic"
    }


@pytest.mark.parametrize("archive", ["true", "false"])
def test_every_fifo_topic_is_encrypted_with_the_stacks_rotating_key(archive: str) -> None:
    template = _template(DeliveryMode="fifo", EnableArchive=archive)
    key = template.resolve({"Fn::GetAtt": ["TopicKey", "Arn"]})
    assert {props["KmsMasterKeyId"] for props in _topics(template).values()} == {key}
    properties = template.resolve(template.resources["TopicKey"]["Properties"])
    assert properties["EnableKeyRotation"] is True


def test_standard_topics_keep_the_aws_managed_key_and_no_key_is_made() -> None:
    template = _template()
    assert {props["KmsMasterKeyId"] for props in _topics(template).values()} == {"alias/aws/sns"}
    assert "TopicKey" not in template.resources


def test_the_key_policy_lets_sns_replay_and_deliver_for_this_account_only() -> None:
    template = _template(DeliveryMode="fifo")
    policy = template.resolve(template.resources["TopicKey"]["Properties"]["KeyPolicy"])
    sns = [s for s in _statements(policy) if s.get("Principal", {}).get("Service") == "sns.amazonaws.com"]
    assert len(sns) == 1 and sns[0]["Effect"] == "Allow"
    assert _actions(sns[0]) == DATA_KEYS
    assert sns[0]["Condition"] == {"StringEquals": {"aws:SourceAccount": template.account}}


def test_the_function_and_the_redrive_may_publish_to_the_encrypted_topics() -> None:
    """Through IAM, which the key policy's account statement lets grant (a statement naming the role
    in the key policy would make a circle: role -> its topic policies -> topics -> key -> role)."""
    template = _template(DeliveryMode="fifo")
    key = template.resolve({"Fn::GetAtt": ["TopicKey", "Arn"]})
    use = template.resolve(template.resources["TopicKeyUse"]["Properties"])
    assert use["Roles"] == [template.resolve({"Ref": "WebhookFunctionRole"})]
    [statement] = _statements(use["PolicyDocument"])
    assert _actions(statement) == DATA_KEYS and statement["Resource"] == key
    via_sns = {"StringEquals": {"kms:ViaService": f"sns.{template.region}.amazonaws.com"}}
    assert statement["Condition"] == via_sns
    redrive = template.resolve(template.resources["RedriveOperatorPolicy"]["Properties"]["PolicyDocument"])
    assert any(_actions(s) == DATA_KEYS and s["Resource"] == key for s in _statements(redrive))
    standard = _template()
    redrive = standard.resolve(standard.resources["RedriveOperatorPolicy"]["Properties"]["PolicyDocument"])
    assert not any(a.startswith("kms:") for s in _statements(redrive) for a in _actions(s))


def test_the_account_keeps_administering_the_key() -> None:
    """Without it no one could change or delete the key (KMS Developer Guide, "Default key policy")."""
    template = _template(DeliveryMode="fifo")
    policy = template.resolve(template.resources["TopicKey"]["Properties"]["KeyPolicy"])
    root = f"arn:aws:iam::{template.account}:root"
    assert any(s.get("Principal", {}).get("AWS") == root and _actions(s) == {"kms:*"} for s in _statements(policy))
