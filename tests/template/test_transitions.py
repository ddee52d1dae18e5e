"""The stack's life after its first deploy: every parameter change a user makes, and `sam delete`,
planned offline (devkit/plan.py) against the template CloudFormation receives. Each transition has no
step CloudFormation or a service refuses, and what it destroys is what the docs say; the refusals the
plan knows (an imported export changed, an archived topic deleted with nothing to clear its archive,
a custom-named resource replaced, a retired parameter) are shown on a template that has the bug.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from devkit.changes import compare, create_only
from devkit.deployed import Deployment
from devkit.plan import from_samconfig, imports_of, main, plan, render
from devkit.rehearsal import SECRET_ARN
from devkit.template import ROOT, load_yaml

NOUNS = "POST,REACTION,SPACE,SPACE_MEMBERSHIP,MEMBER,MEMBER_INVITATION,MODERATION,NETWORK,APP_INSTALLATION"
FIFO = {"DeliveryMode": "fifo"}
CAND_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:cand/token-AbCdEf"


def at(**overrides: str) -> Deployment:
    return Deployment(overrides=overrides)


# (deployed parameters, new parameters); None: `sam delete`
TRANSITIONS: dict[str, tuple[dict[str, str], dict[str, str] | None]] = {
    "standard -> fifo": ({}, FIFO),
    "fifo -> standard": (FIFO, {}),
    "noun added": ({}, {"TopicNouns": NOUNS + ",TAG"}),
    "noun added, fifo": (FIFO, {**FIFO, "TopicNouns": NOUNS + ",TAG"}),
    "noun removed": ({}, {"TopicNouns": NOUNS.removesuffix(",APP_INSTALLATION")}),
    "noun removed, fifo": (FIFO, {**FIFO, "TopicNouns": NOUNS.removesuffix(",APP_INSTALLATION")}),
    "archive off": ({}, {"EnableArchive": "false"}),
    "archive on": ({"EnableArchive": "false"}, {}),
    "archive off, fifo": (FIFO, {**FIFO, "EnableArchive": "false"}),
    "archive on, fifo": ({**FIFO, "EnableArchive": "false"}, FIFO),
    "drift report off": ({}, {"EnableDriftReport": "false"}),
    "drift report on": ({"EnableDriftReport": "false"}, {}),
    "alarms off": ({}, {"EnableAlarms": "false"}),
    "alarms on": ({"EnableAlarms": "false"}, {}),
    "alarm email added": ({}, {"AlarmEmail": "ops@example.com"}),
    "generated signing secret -> existing ARN": ({}, {"ExistingSigningSecretArn": SECRET_ARN}),
    "generated canD token -> existing ARN": ({}, {"ExistingCandTokenArn": CAND_ARN}),
    "tracing disabled": ({}, {"Tracing": "Disabled"}),
    "tracing pass-through": ({}, {"Tracing": "PassThrough"}),
    "tracing active again": ({"Tracing": "Disabled"}, {}),
    "reserved concurrency": ({}, {"ReservedConcurrency": "50"}),
    "sam delete": ({}, None),
    "sam delete, fifo": (FIFO, None),
    "sam delete, fifo, archive off": ({**FIFO, "EnableArchive": "false"}, None),
}


@pytest.mark.parametrize("name", TRANSITIONS)
def test_no_step_is_refused(name: str) -> None:
    before, after = TRANSITIONS[name]
    result = plan(at(**before), None if after is None else at(**after))
    assert result.refused == [], render(result, name)
    assert result.findings == [], render(result, name)


def test_a_mode_switch_replaces_every_topic_and_keeps_what_subscribers_read() -> None:
    """TopicName and FifoTopic are create-only (the SNS topic's registry schema): every topic is
    replaced and every topic export changes value, but the subscriber parameters keep their names."""
    assert set(create_only("AWS::SNS::Topic")) >= {("TopicName",), ("FifoTopic",)}
    diff = compare(at(), at(**FIFO))
    replaced = {change.logical for change in diff.of("replace")}
    topics = {logical for logical, r in diff.before.resources.items() if r.kind == "AWS::SNS::Topic"}
    assert replaced == topics
    assert len(diff.exports_changed) == len(topics)
    parameters = [c for c in diff.changes if c.kind == "AWS::SSM::Parameter" and c.logical.startswith("TopicArn")]
    assert {c.action for c in parameters} == {"modify"} and len(parameters) == len(topics)
    assert all(change.properties == ("Value",) for change in parameters)


def test_leaving_fifo_deletes_each_archive_through_its_release_resource() -> None:
    result = plan(at(**FIFO), at())
    text = render(result, "fifo -> standard")
    assert result.refused == []
    assert "each message archive (up to 90 days of events) is deleted by its TopicArchive resource" in text
    gone = {change.logical for change in result.diff.gone}
    archives = {logical for logical, r in result.diff.before.resources.items() if r.kind == "Custom::TopicArchive"}
    assert archives and archives <= gone  # each removed, so CloudFormation clears the archive before the topic


def test_removing_a_noun_in_fifo_touches_only_its_topic() -> None:
    result = plan(at(**FIFO), at(**FIFO, TopicNouns=NOUNS.removesuffix(",APP_INSTALLATION")))
    gone = sorted(change.logical for change in result.diff.gone)
    assert gone == [
        "OperatorPublishAPPINSTALLATION",
        "PublishToAPPINSTALLATION",
        "TopicAPPINSTALLATION",
        "TopicArchiveAPPINSTALLATION",
        "TopicArchiveGrantAPPINSTALLATION",
        "TopicArnParameterAPPINSTALLATION",
        "TopicPolicyAPPINSTALLATION",
    ]
    assert result.diff.exports_removed == ["community-webhooks-APP-INSTALLATION-TopicArn"]


@pytest.mark.parametrize(
    ("parameters", "kept"),
    [
        ({}, {"ArchiveBucket", "CandTokenStore", "DedupeTable", "FailureQueue", "PayloadBucket", "SigningSecretStore"}),
        (FIFO, {"CandTokenStore", "DedupeTable", "FailureQueue", "PayloadBucket", "SigningSecretStore"}),
    ],
)
def test_sam_delete_keeps_the_history_and_the_credentials(parameters: dict[str, str], kept: set[str]) -> None:
    result = plan(at(**parameters), None)
    retained = {c.logical for c in result.diff.of("remove") if c.retained and not c.kind.endswith("BucketPolicy")}
    assert retained == kept
    assert result.refused == []


def test_an_imported_export_that_changes_is_refused_with_the_way_around(tmp_path: Path) -> None:
    """CloudFormation refuses to change an export another stack imports: a subscriber stack importing
    the POST topic (as the example did before it read the subscriber parameter) blocks a mode switch."""
    importer = tmp_path / "subscriber.yaml"
    importer.write_text(
        "Parameters:\n  ReceiverStackName: {Type: String, Default: community-webhooks}\n"
        "Resources:\n  Subscription:\n    Type: AWS::SNS::Subscription\n    Properties:\n"
        "      Protocol: sqs\n      Endpoint: arn:aws:sqs:us-east-1:123456789012:q\n"
        "      TopicArn: {'Fn::ImportValue': {'Fn::Sub': '${ReceiverStackName}-POST-TopicArn'}}\n"
    )
    imported = imports_of(importer)
    assert imported == {"community-webhooks-POST-TopicArn"}
    result = plan(at(), at(**FIFO), imported=imported)
    assert len(result.refused) == 1
    assert "community-webhooks-POST-TopicArn changes value, and a stack imports it" in result.refused[0]
    assert "/webhooks/<stack>/topics/<NOUN>" in result.refused[0]
    assert plan(at(), at(EnableAlarms="false"), imported=imported).refused == []  # exports unchanged


def test_the_example_subscriber_imports_nothing() -> None:
    """It reads the subscriber parameters, so no change of the receiver is refused because of it."""
    assert imports_of(ROOT / "examples" / "post-subscriber" / "template.yaml") == set()


def _without_archive_release(document: dict[str, Any]) -> dict[str, Any]:
    """The template as deployed before the TopicArchive resources existed."""
    old = copy.deepcopy(document)
    loop = old["Resources"]["Fn::ForEach::NounTopics"][2]
    for key in [key for key in loop if key.startswith("TopicArchive")]:
        del loop[key]
    for key in [key for key in old["Resources"] if key.startswith("TopicArchive")]:
        del old["Resources"][key]
    return old


def test_an_archived_topic_with_nothing_to_clear_it_is_refused() -> None:
    old = _without_archive_release(load_yaml())
    for after in (at(), None):  # fifo -> standard, and sam delete
        result = plan(at(**FIFO), after, before_document=old)
        assert len(result.refused) == 1
        assert "hold a message archive and nothing clears it first" in result.refused[0]
        assert "Deploy this version once with the same DeliveryMode" in result.refused[0]
    upgrade = plan(at(**FIFO), at(**FIFO), before_document=old)  # the documented first step
    assert upgrade.refused == []
    assert {c.logical for c in upgrade.diff.of("add") if c.kind == "Custom::TopicArchive"}


def test_a_custom_named_resource_that_must_be_replaced_is_refused() -> None:
    changed = load_yaml()
    changed["Resources"]["FailureQueue"]["Properties"]["QueueName"] = "webhooks-failures"
    before = copy.deepcopy(changed)
    changed["Resources"]["FailureQueue"]["Properties"]["FifoQueue"] = True
    result = plan(at(), at(), before_document=before, after_document=changed)
    assert [c.logical for c in result.diff.of("replace")] == ["FailureQueue"]
    assert result.refused == [
        "FailureQueue must be replaced (FifoQueue) but keeps its name webhooks-failures: "
        "CloudFormation refuses to replace a custom-named resource"
    ]


def test_a_secret_whose_value_source_changes_is_flagged() -> None:
    before = load_yaml()
    before["Resources"]["SigningSecretStore"]["Properties"]["GenerateSecretString"]["PasswordLength"] = 32
    result = plan(at(), at(), before_document=before)
    assert result.destroys == ["SigningSecretStore: CloudFormation writes a new value into the secret"]


@pytest.mark.parametrize("retired", ["SigningSecret", "CandWebhookToken"])
def test_a_stack_deployed_with_a_retired_secret_parameter_gets_the_way_across(retired: str) -> None:
    result = plan(at(**{retired: "a-value-given-at-deploy-time-0123"}), at())
    existing = "ExistingSigningSecretArn" if retired == "SigningSecret" else "ExistingCandTokenArn"
    assert len(result.refused) == 1 and existing in result.refused[0]


def test_samconfig_environments_are_read_as_sam_reads_them(tmp_path: Path) -> None:
    config = tmp_path / "samconfig.toml"
    config.write_text(
        'version = 0.1\n[prod.global.parameters]\nstack_name = "hooks-prod"\n'
        '[prod.deploy.parameters]\nregion = "eu-west-1"\n'
        'parameter_overrides = "LogLevel=INFO \\"AlarmEmail=ops@example.com\\" '
        'ParameterKey=Tracing,ParameterValue=Disabled"\n'
    )
    deployment = from_samconfig(config, "prod")
    assert (deployment.stack_name, deployment.region) == ("hooks-prod", "eu-west-1")
    assert deployment.overrides == {"LogLevel": "INFO", "AlarmEmail": "ops@example.com", "Tracing": "Disabled"}
    for env in ("default", "dev", "prod"):  # the project's own file names only parameters the template has
        given = from_samconfig(ROOT / "samconfig.toml", env).overrides or {}
        assert set(given) <= set(load_yaml()["Parameters"]), env


def test_the_command_prints_the_plan_and_fails_on_a_refusal(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(config_env="prod", changes=["DeliveryMode=fifo"]) == 0
    out = capsys.readouterr().out
    assert "Change plan (update): community-webhooks-prod in us-east-1" in out
    assert "REPLACE" in out and "The stack community-webhooks-prod will hold:" in out
    assert "community-webhooks-prod-<APP_INSTALLATION|MEMBER|" in out and ">.fifo" in out
    assert main(config_env="default", first=True) == 0
    assert "topics (10)" in capsys.readouterr().out
    assert main(config_env="default", deployed=["SigningSecret=given-at-deploy-0123456789"]) == 1
    assert "REFUSED" in capsys.readouterr().out


def test_the_plan_in_the_deploy_page_is_what_the_command_prints(capsys: pytest.CaptureFixture[str]) -> None:
    page = (ROOT / "docs" / "deploy.md").read_text()
    block = page.split('```text\n$ make plan ARGS="', 1)[1].split("\n```", 1)[0]
    command, printed = block.split("\n", 1)
    words = command.rstrip('"').split()
    assert words[:4] == ["--config-env", "prod", "--deployed", "DeliveryMode=fifo"]
    assert main(config_env="prod", deployed=[words[3]], changes=words[4:]) == 0
    assert capsys.readouterr().out.rstrip("\n") == printed


def test_a_shorter_retention_is_flagged_as_deleting_the_older_history() -> None:
    """ArchiveRetentionDays' default went from 365 to 90 days: a stack deployed with the old default
    and no value of its own loses what is older at its next deploy, and the plan says so."""
    before = load_yaml()
    before["Parameters"]["ArchiveRetentionDays"]["Default"] = 365
    result = plan(at(), at(), before_document=before)
    assert (
        "ArchiveBucket: objects of rule ExpireArchivedEvents older than 90 days are deleted (kept 365 days until now)"
        in result.destroys
    )
    fifo = plan(at(**FIFO), at(**FIFO), before_document=before)
    assert "TopicPOST: archived messages older than 90 days are deleted (kept 365 days until now)" in fifo.destroys
    assert plan(at(), at(ArchiveRetentionDays="365"), before_document=before).destroys == []
