"""The deploy rehearsal's findings read as one finding per mistake: a refused stack name alone, a noun
given twice as the parameter it is, one rule hit on every topic of the loop once, and parameter
combinations CloudFormation takes that do not do what was asked.
"""

from __future__ import annotations

import pytest

from devkit.deployed import Deployment
from devkit.rehearsal import Finding, grouped, lint_findings, rehearse
from devkit.rehearsal_parameters import stack_name_refused
from devkit.template import load_yaml


def given(**overrides: str) -> list[str]:
    """The findings on the parameters of a deployment of template.yaml with these values."""
    findings = rehearse("given", Deployment(overrides=overrides))
    return [f"{f.where}: {f.rule}" for f in findings if f.where.startswith("Parameters.")]


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[str]]:
    from devkit.__main__ import main

    code = main(["rehearse", *argv])
    return code, capsys.readouterr().out.splitlines()


# ----- a noun given twice ---------------------------------------------------------------------------
@pytest.mark.parametrize("nouns", ["POST,POST", "POST,REACTION,POST", "POST, POST"])
def test_a_noun_given_twice_is_one_finding_on_the_parameter(nouns: str) -> None:
    """The loop expansion refuses it ("produced logical IDs that conflict"); the rehearsal says why, once."""
    deployment = Deployment(overrides={"TopicNouns": nouns})
    assert rehearse("twice", deployment) == [
        Finding("twice", "Parameters.TopicNouns", "POST is given twice; each noun is one topic")
    ]
    assert lint_findings("twice", deployment) == []  # nothing to lint: it cannot be expanded


def test_nouns_that_differ_only_in_underscores_make_the_same_topic() -> None:
    """`&{Noun}` keeps letters and digits: SPACE_MEMBERSHIP and SPACEMEMBERSHIP are both TopicSPACEMEMBERSHIP."""
    [finding] = rehearse("same id", Deployment(overrides={"TopicNouns": "SPACE_MEMBERSHIP,POST,SPACEMEMBERSHIP"}))
    assert finding.where == "Parameters.TopicNouns"
    assert finding.rule.startswith("SPACE_MEMBERSHIP and SPACEMEMBERSHIP make the same logical ids")
    assert given(TopicNouns="POST,POST,POST") == [
        "Parameters.TopicNouns: POST is given 3 times; each noun is one topic"
    ]


def test_a_noun_given_twice_on_the_command_line(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = cli(capsys, "--parameter-overrides", "TopicNouns=POST,POST")
    assert code == 1
    assert out == [
        "your deployment: Parameters.TopicNouns: POST is given twice; each noun is one topic",
        "deploy rehearsal: 1 parameter set(s), their values, 11 rules and cfn-lint, 1 findings",
    ]


# ----- the stack name -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "ok"),
    [
        ("community-webhooks", True),
        ("Community-1", True),
        ("w" * 128, True),
        ("w" * 129, False),
        ("my_community", False),
        ("9lives", False),
        ("-community", False),
        ("my.community", False),
        ("", False),
    ],
)
def test_a_stack_name_is_alphanumeric_and_hyphens_from_a_letter_at_most_128(name: str, ok: bool) -> None:
    assert (stack_name_refused(name) is None) is ok


def test_a_refused_stack_name_is_the_only_finding(capsys: pytest.CaptureFixture[str]) -> None:
    """Not one export finding per output: everything named derives from the stack name."""
    deployment = Deployment(stack_name="my_community", overrides={"TopicNouns": "POST,POST"})
    [finding] = rehearse("underscore", deployment)
    assert finding.where == "StackName"
    assert finding.rule.startswith("'my_community': CloudFormation refuses it: a stack name can contain only")
    assert lint_findings("underscore", deployment) == []
    code, out = cli(capsys, "--stack-name", "my_community")
    assert code == 1
    assert len(out) == 2
    assert out[0].startswith("your deployment: StackName: 'my_community': CloudFormation refuses it")
    assert out[1].endswith(", 1 findings")
    [long] = rehearse("long", Deployment(stack_name="w" * 200))
    assert long.rule.startswith(f"'{'w' * 40}...' (200 characters): CloudFormation refuses it")


def test_lint_is_not_run_when_the_transforms_refuse_the_template(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from devkit import rehearsal

    refused = Finding("your deployment", "template", "the transforms refuse it: ...")
    monkeypatch.setattr(rehearsal, "rehearse", lambda *_: [refused])

    def lint(*_: object) -> list[Finding]:
        raise AssertionError("lint translates the template again")

    monkeypatch.setattr(rehearsal, "lint_findings", lint)
    assert rehearsal.main(Deployment()) == 1
    assert capsys.readouterr().out.splitlines()[0] == str(refused)


# ----- one finding per rule and loop ----------------------------------------------------------------
LOOP = {f"Topic{noun}": ("Resources.Fn::ForEach::NounTopics", noun) for noun in ("POST", "REACTION", "SPACE")}
LOOP |= {f"Topic{noun.replace('_', '')}": ("Resources.Fn::ForEach::NounTopics", noun) for noun in ("MEMBER_BADGE",)}
LOOP |= {f"Topic{noun}Arn": ("Outputs.Fn::ForEach::NounTopicOutputs", noun) for noun in ("POST", "REACTION")}


def test_the_same_rule_on_each_topic_of_a_loop_is_one_finding() -> None:
    findings = [
        Finding("d", f"Resources.Topic{noun}.TopicName", f"'stack-{noun}.fifo' does not match [A-Za-z0-9_-]+")
        for noun in ("POST", "REACTION", "SPACE", "MEMBERBADGE")
    ]
    [one] = grouped(findings, LOOP)
    assert one == Finding(
        "d",
        "Resources.TopicPOST, TopicREACTION and 2 more (TopicName)",
        "'stack-POST.fifo' does not match [A-Za-z0-9_-]+",
    )
    [two] = grouped(findings[:2], LOOP)
    assert two.where == "Resources.TopicPOST and TopicREACTION (TopicName)"
    [three] = grouped(findings[:3], LOOP)
    assert three.where == "Resources.TopicPOST, TopicREACTION and TopicSPACE (TopicName)"


def test_a_noun_in_its_other_spelling_is_blanked_too() -> None:
    """An export name writes MEMBER_BADGE as MEMBER-BADGE; the logical id as MEMBERBADGE."""
    findings = [
        Finding("d", f"Resources.Topic{logical}", f"'stack-{spelled}-TopicArn': only alphanumeric characters")
        for logical, spelled in (("POST", "POST"), ("MEMBERBADGE", "MEMBER-BADGE"))
    ]
    assert [f.where for f in grouped(findings, LOOP)] == ["Resources.TopicPOST and TopicMEMBERBADGE"]


def test_only_the_same_rule_in_the_same_deployment_and_loop_is_grouped() -> None:
    findings = [
        Finding("d", "Resources.TopicPOST", "inline policies of 10300 characters"),
        Finding("d", "Resources.TopicREACTION", "inline policies of 10301 characters"),  # another rule text
        Finding("e", "Resources.TopicSPACE", "inline policies of 10300 characters"),  # another deployment
        Finding("d", "Outputs.TopicPOSTArn", "inline policies of 10300 characters"),  # another loop
        Finding("d", "Resources.WebhookFunctionRole", "inline policies of 10300 characters"),  # no loop
        Finding("d", "Parameters.TopicNouns", "POST is given twice; each noun is one topic"),
    ]
    assert grouped(findings, LOOP) == findings
    assert grouped(findings, {}) == findings


def test_a_rule_that_names_the_logical_id_in_its_text_is_grouped_too() -> None:
    """cfn-lint says where in its message; the where is the rule's id."""
    findings = [
        Finding("d", "cfn-lint W3005", f"Obsolete DependsOn on resource (Topic{noun}) at Resources/Topic{noun}")
        for noun in ("POST", "REACTION", "SPACE")
    ]
    assert grouped(findings, LOOP) == [
        Finding(
            "d",
            "cfn-lint W3005",
            "Obsolete DependsOn on resource (TopicPOST) at Resources/TopicPOST "
            "(the same for TopicREACTION and TopicSPACE)",
        )
    ]


def test_a_rule_hit_on_every_topic_of_the_template_is_one_finding() -> None:
    """The nine default nouns' FIFO topics keep their archive at most 365 days: one finding, and the catch-all."""
    findings = rehearse("fifo, 400 days", Deployment(overrides={"DeliveryMode": "fifo", "ArchiveRetentionDays": "400"}))
    assert [f.where for f in findings] == [
        "Resources.TopicPOST, TopicREACTION and 7 more (ArchivePolicy.MessageRetentionPeriod)",
        "Resources.CatchAllTopic.ArchivePolicy.MessageRetentionPeriod",
    ]


# ----- combinations that pass but do not do what was asked ----------------------------------------
DRIFT_WITHOUT_ARCHIVE = (
    "Parameters.EnableDriftReport: EnableDriftReport=true has no effect: the drift report reads the S3 archive "
    "(EnableArchive=true, DeliveryMode=standard)"
)


def test_a_drift_report_asked_for_without_the_s3_archive_is_found() -> None:
    assert given(EnableDriftReport="true", EnableArchive="false") == [DRIFT_WITHOUT_ARCHIVE]
    assert given(EnableDriftReport="true", DeliveryMode="fifo") == [DRIFT_WITHOUT_ARCHIVE]
    assert given(EnableDriftReport="true", DeliveryMode="fifo", EnableArchive="false") == [DRIFT_WITHOUT_ARCHIVE]
    assert given(EnableDriftReport="true") == []
    # the default is "true": only a report asked for is worth a finding
    assert given(EnableArchive="false") == []
    assert given(DeliveryMode="fifo") == []
    assert given(EnableDriftReport="false", EnableArchive="false") == []
    assert "DriftReport" in load_yaml()["Conditions"]


def test_an_archive_kept_shorter_than_the_large_payloads_is_found() -> None:
    """While the archive is on, the payload bucket keeps large events as long as the archive, not
    LargePayloadRetentionDays (the bucket's lifecycle rule)."""
    [shorter] = given(ArchiveRetentionDays="7")
    assert shorter.startswith("Parameters.ArchiveRetentionDays: 7 days is below LargePayloadRetentionDays (14): while")
    assert "keep it at least LargePayloadRetentionDays" in shorter
    [longer_payloads] = given(LargePayloadRetentionDays="400")
    assert longer_payloads.startswith(
        "Parameters.ArchiveRetentionDays: 90 days is below LargePayloadRetentionDays (400)"
    )
    assert given(ArchiveRetentionDays="14") == []
    assert given(ArchiveRetentionDays="7", EnableArchive="false") == []  # the bucket keeps its own days then
    assert given(ArchiveRetentionDays="7", LargePayloadRetentionDays="7", DeliveryMode="fifo") == []
