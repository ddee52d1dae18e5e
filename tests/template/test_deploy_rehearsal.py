"""The deploy rehearsal: template.yaml, expanded and translated by AWS's own code for each parameter set,
against CloudFormation's engine-level rules, cfn-lint (every rule, informational ones too) and the
deploy-time checks of the parameters. Each rule's source is listed in devkit/rehearsal.py.
"""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest

from devkit.deployed import Deployment
from devkit.rehearsal import (
    DEPLOYMENTS,
    LONGEST_REGION,
    LONGEST_STACK_NAME,
    MAX_TOPIC_NOUNS,
    Finding,
    lint_findings,
    nouns,
    rehearse,
)
from devkit.template import load_yaml


@pytest.fixture(scope="module")
def source() -> dict[str, Any]:
    return load_yaml()


@pytest.mark.parametrize("name", DEPLOYMENTS)
def test_rehearsal_finds_nothing(name: str) -> None:
    assert [str(finding) for finding in rehearse(name, DEPLOYMENTS[name])] == []


@pytest.mark.parametrize("name", ["defaults", "every documented noun", "longest names", "tracing disabled"])
def test_cfn_lint_every_rule_on_the_deployed_template(name: str) -> None:
    """Informational rules included; the linter is told the deployment's parameter values."""
    assert [str(finding) for finding in lint_findings(name, DEPLOYMENTS[name])] == []


def with_underscore_export(source: dict[str, Any]) -> dict[str, Any]:
    """The template as it was: each noun exported as <stack>-<NOUN>-TopicArn, underscores and all."""
    broken = copy.deepcopy(source)
    [loop] = [key for key in broken["Outputs"] if key.startswith("Fn::ForEach::")]
    body = broken["Outputs"][loop][2]
    [output] = body.values()
    output["Export"]["Name"] = {"Fn::Sub": "${AWS::StackName}-${Noun}-TopicArn"}
    return broken


def test_the_rehearsal_catches_an_export_name_with_an_underscore(source: dict[str, Any]) -> None:
    """One finding for the three nouns with an underscore: the same rule on the same loop's outputs."""
    [finding] = rehearse("defaults", Deployment(), with_underscore_export(source))
    assert finding.where == (
        "Outputs.TopicSPACEMEMBERSHIPArn, TopicMEMBERINVITATIONArn and TopicAPPINSTALLATIONArn (Export.Name)"
    )
    assert finding.rule.startswith("'community-webhooks-SPACE_MEMBERSHIP-TopicArn': only alphanumeric characters")
    assert str(finding).startswith("defaults: Outputs.Topic")


def test_the_rehearsal_catches_an_export_name_that_depends_on_a_resource(source: dict[str, Any]) -> None:
    broken = copy.deepcopy(source)
    broken["Outputs"]["DedupeTableName"]["Export"] = {"Name": {"Fn::Sub": "${DedupeTable}-name"}}
    assert [str(f) for f in rehearse("defaults", Deployment(), broken)] == [
        "defaults: Outputs.DedupeTableName.Export.Name: an export name must not depend on any resource"
    ]


def test_the_rehearsal_catches_a_name_too_long_for_its_service(source: dict[str, Any]) -> None:
    """The archive's stream was named <stack>-archive: 136 characters under a 128-character stack name."""
    broken = copy.deepcopy(source)
    stream = broken["Resources"]["ArchiveDeliveryStream"]["Properties"]
    stream["DeliveryStreamName"] = {"Fn::Sub": "${AWS::StackName}-archive"}
    findings = rehearse("longest names", Deployment(stack_name=LONGEST_STACK_NAME), broken)
    assert [(f.where, f.rule.split(" (")[0]) for f in findings] == [
        ("Resources.ArchiveDeliveryStream.DeliveryStreamName", "136 characters")
    ]
    assert "allows at most 64" in findings[0].rule


def test_the_rehearsal_catches_a_credential_in_an_output(source: dict[str, Any]) -> None:
    """The canD URL output once carried a NoEcho token parameter; a secret's value, resolved, too."""
    broken = copy.deepcopy(source)
    broken["Parameters"]["CandWebhookToken"] = {"Type": "String", "NoEcho": True, "Default": ""}
    broken["Outputs"]["CandWebhookBaseUrl"]["Value"] = {"Fn::Sub": "https://example/webhooks/cand/${CandWebhookToken}"}
    broken["Outputs"]["DashboardName"]["Value"] = {
        "Fn::Sub": "{{resolve:secretsmanager:${CandTokenStore}:SecretString}}"
    }
    findings = rehearse("defaults", Deployment(overrides={"CandWebhookToken": "a" * 32}), broken)
    assert [str(f) for f in findings] == [
        "defaults: Outputs.CandWebhookBaseUrl: shows a credential to whoever may describe the stack",
        "defaults: Outputs.DashboardName: shows a credential to whoever may describe the stack",
    ]


def test_the_rehearsal_catches_a_sub_variable_that_names_nothing(source: dict[str, Any]) -> None:
    broken = copy.deepcopy(source)
    broken["Outputs"]["DashboardName"]["Value"] = {"Fn::Sub": "${Dashbaord}"}
    findings = rehearse("defaults", Deployment(), broken)
    assert [f.where for f in findings] == ["Outputs.DashboardName"]
    assert "Dashbaord" in findings[0].rule


def test_the_largest_topic_nouns_promised_fits_and_one_more_does_not() -> None:
    """TopicNouns promises 28 topics whatever the stack name; 29 of the longest nouns under the
    longest stack name overflow the role's inline policies (10,240 characters)."""
    longest = Deployment(stack_name=LONGEST_STACK_NAME, region=LONGEST_REGION)
    fits = Deployment(longest.stack_name, longest.region, overrides={"TopicNouns": nouns(MAX_TOPIC_NOUNS)})
    too_many = Deployment(longest.stack_name, longest.region, overrides={"TopicNouns": nouns(MAX_TOPIC_NOUNS + 1)})
    assert rehearse("fits", fits) == []
    [finding] = rehearse("too many", too_many)
    assert finding == Finding("too many", "Resources.WebhookFunctionRole", finding.rule)
    assert re.fullmatch(r"inline policies of 1\d{4} characters together, at most 10240", finding.rule)
    assert f"Up to {MAX_TOPIC_NOUNS} whatever the stack's name" in " ".join(
        load_yaml()["Parameters"]["TopicNouns"]["Description"].split()
    )


# ----- the parameters' own deploy-time checks ------------------------------------------------------
def allowed(pattern: str, value: str) -> bool:
    """CloudFormation matches AllowedPattern against the whole value (each item of a list)."""
    return re.fullmatch(pattern, value) is not None


@pytest.mark.parametrize(
    ("noun", "ok"),
    [
        ("POST", True),
        ("SPACE_MEMBERSHIP", True),
        ("PAGE_CUSTOM_RESPONSE", True),
        ("A" * 40, True),
        ("A" * 41, False),
        ("post", False),
        ("Post", False),
        ("OTHER", True),  # the pattern takes it; the TopicNounsLeaveOtherToTheCatchAll rule refuses it
        ("OTHERS", True),
        ("", False),
        ("SPACE-MEMBERSHIP", False),
        ("_POST", False),
        ("9LIVES", False),
    ],
)
def test_each_topic_noun_is_checked_before_anything_is_created(source: dict[str, Any], noun: str, ok: bool) -> None:
    assert allowed(source["Parameters"]["TopicNouns"]["AllowedPattern"], noun) is ok


def test_rules_refuse_other_and_a_key_without_its_secret(source: dict[str, Any]) -> None:
    rules = source["Rules"]
    assert rules["TopicNounsLeaveOtherToTheCatchAll"]["Assertions"][0]["Assert"] == {
        "Fn::Not": [{"Fn::Contains": [{"Ref": "TopicNouns"}, "OTHER"]}]
    }
    kms = rules["KmsKeyGoesWithAnExistingSecret"]
    assert kms["RuleCondition"] == {"Fn::Not": [{"Fn::Equals": [{"Ref": "ExistingSigningSecretKmsKeyArn"}, ""]}]}
    assert kms["Assertions"][0]["Assert"] == {"Fn::Not": [{"Fn::Equals": [{"Ref": "ExistingSigningSecretArn"}, ""]}]}


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("", True),
        ("arn:aws:secretsmanager:us-east-1:123456789012:secret:bettermode/signing-AbCdEf", True),
        ("arn:aws:secretsmanager:us-east-1:123456789012:secret:bettermode/signing", True),
        ("arn:aws-us-gov:secretsmanager:us-gov-west-1:123456789012:secret:s-AbCdEf", True),
        ("bettermode/signing", False),
        ("arn:aws:secretsmanager:us-east-1:123456789012:bettermode", False),
        ("arn:aws:ssm:us-east-1:123456789012:parameter/x", False),
    ],
)
def test_existing_secret_arn_is_a_secret_arn_full_or_partial(source: dict[str, Any], value: str, ok: bool) -> None:
    assert allowed(source["Parameters"]["ExistingSigningSecretArn"]["AllowedPattern"], value) is ok


def test_rehearse_your_own_deployment_with_cfn_lint(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`python -m devkit rehearse --stack-name ... --region ... --parameter-overrides ...`: the stack
    you are about to deploy, checked offline; 1 and the finding when CloudFormation would refuse it."""
    from devkit import rehearsal
    from devkit.__main__ import main

    fine = ["rehearse", "--stack-name", "my-community", "--region", "eu-west-1", "--parameter-overrides"]
    assert main([*fine, "DeliveryMode=fifo", "TopicNouns=POST,SPACE"]) == 0
    assert "1 parameter set(s), their values, 11 rules and cfn-lint, 0 findings" in capsys.readouterr().out
    too_many = ",".join(f"NOUN{index}" for index in range(MAX_TOPIC_NOUNS + 10))
    monkeypatch.setattr(rehearsal, "lint_findings", lambda *_: [])  # the rehearsal's own rule finds this one
    assert (
        main(["rehearse", "--stack-name", LONGEST_STACK_NAME, "--parameter-overrides", f"TopicNouns={too_many}"]) == 1
    )
    out = capsys.readouterr().out
    assert re.search(r"your deployment: Resources.WebhookFunctionRole: inline policies of \d+ characters", out)


def test_a_fifo_topic_archive_over_a_year_is_found_before_the_deploy() -> None:
    """SNS keeps a FIFO topic's archive 1 to 365 days; the S3 archive (standard) has no such bound."""
    too_long = rehearse("fifo, 400 days", Deployment(overrides={"DeliveryMode": "fifo", "ArchiveRetentionDays": "400"}))
    assert [finding.where for finding in too_long] == [  # the nine default nouns' topics, as one; the catch-all
        "Resources.TopicPOST, TopicREACTION and 7 more (ArchivePolicy.MessageRetentionPeriod)",
        "Resources.CatchAllTopic.ArchivePolicy.MessageRetentionPeriod",
    ]
    assert all("1 to 365 days" in finding.rule for finding in too_long)
    assert (
        rehearse("fifo, 365 days", Deployment(overrides={"DeliveryMode": "fifo", "ArchiveRetentionDays": "365"})) == []
    )
    assert rehearse("standard, 400 days", Deployment(overrides={"ArchiveRetentionDays": "400"})) == []


def test_parameters_are_checked_as_cloudformation_checks_them_before_anything_is_created() -> None:
    """An unknown parameter, a value outside its AllowedValues, AllowedPattern (each item of a list),
    MinValue or MaxValue: found, where the rest of the rehearsal would have checked the default."""

    def found(**given: str) -> list[str]:
        return [
            f"{f.where}: {f.rule}" for f in rehearse("given", Deployment(overrides=given)) if "Parameters." in f.where
        ]

    assert found(DriftHistoryDay="3") == [
        "Parameters.DriftHistoryDay: the template has no such parameter (CloudFormation refuses the stack)"
    ]
    assert found(DriftHistoryDays="0") == ["Parameters.DriftHistoryDays: '0': below MinValue 1"]
    assert found(DriftHistoryDays="91") == ["Parameters.DriftHistoryDays: '91': above MaxValue 90"]
    assert found(DeliveryMode="FIFO") == ["Parameters.DeliveryMode: 'FIFO': not one of standard, fifo"]
    assert found(TopicNouns="POST,bad-noun") == [
        "Parameters.TopicNouns: 'bad-noun': does not match ^[A-Z][A-Z0-9_]{0,39}$"
    ]
    # CloudFormation takes a decimal Number; the receiver's environment wants whole numbers
    [decimal] = found(DedupeTtlDays="7.5")
    assert decimal.startswith("Parameters.DedupeTtlDays: '7.5': a Number may be a decimal, but the receiver reads")
    assert found(Api5xxRatePercent="2.5", DriftHistoryDays="7.5") == []  # an alarm threshold; the drift job rounds
    assert found(DeliveryMode="fifo", DriftHistoryDays="30", TopicNouns="POST,SPACE", EnableAlarms="false") == []


def test_sam_deploys_long_form_of_a_parameter_is_read_too() -> None:
    from devkit.deployed import overrides

    assert overrides(["ParameterKey=DeliveryMode,ParameterValue=fifo", "TopicNouns=POST,SPACE"]) == {
        "DeliveryMode": "fifo",
        "TopicNouns": "POST,SPACE",
    }
