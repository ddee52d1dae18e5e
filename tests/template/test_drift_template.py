"""The payload drift job in the CloudFormation `sam deploy` creates: daily, least privilege, only where the
S3 archive is, and never in the receiver's path."""

from __future__ import annotations

from typing import Any

import pytest

from devkit.deployed import Deployment
from devkit.rehearsal import evaluated


def resources(deployment: Deployment) -> dict[str, dict[str, Any]]:
    return evaluated(deployment).resources


def test_a_daily_schedule_runs_the_drift_function() -> None:
    found = resources(Deployment())
    [rule] = [r for r in found.values() if r["Type"] == "AWS::Events::Rule"]
    assert rule["Properties"]["ScheduleExpression"] == "cron(30 1 * * ? *)"
    function = found["DriftFunction"]["Properties"]
    assert function["Handler"] == "drift.app.lambda_handler" and function["Timeout"] == 300
    variables = function["Environment"]["Variables"]
    assert set(variables) == {"ARCHIVE_BUCKET", "NOTIFY_TOPIC_ARN", "STACK_NAME", "HISTORY_DAYS"}
    assert evaluated(Deployment()).resolve(variables["HISTORY_DAYS"]) == "7"
    longer = evaluated(Deployment(overrides={"DriftHistoryDays": "30"}))
    assert (
        longer.resolve(longer.resources["DriftFunction"]["Properties"]["Environment"]["Variables"]["HISTORY_DAYS"])
        == "30"
    )


def test_its_role_reads_the_archive_and_writes_only_shapes() -> None:
    template = evaluated(Deployment(overrides={"AlarmEmail": "ops@example.com"}))
    role = template.resolve(template.resources["DriftFunctionRole"]["Properties"])
    statements = [s for policy in role["Policies"] for s in policy["PolicyDocument"]["Statement"]]
    actions = {statement["Sid"]: statement["Action"] for statement in statements}
    assert actions == {
        "ListTheArchive": "s3:ListBucket",
        "ReadTheArchive": "s3:GetObject",
        "KeepShapesAndReports": "s3:PutObject",
        "SendTheReport": "sns:Publish",
    }
    [put] = [s for s in statements if s["Sid"] == "KeepShapesAndReports"]
    assert put["Resource"].endswith("/shapes/*")  # it can never write into events/
    assert "Deny" not in str(statements) and "*" not in [s["Resource"] for s in statements]


def test_without_an_alarm_topic_it_only_writes_its_reports() -> None:
    template = evaluated(Deployment())
    environment = template.resolve(template.resources["DriftFunction"]["Properties"]["Environment"])
    assert environment["Variables"]["NOTIFY_TOPIC_ARN"] == ""
    role = template.resolve(template.resources["DriftFunctionRole"]["Properties"])
    assert "sns:Publish" not in str(role)


@pytest.mark.parametrize(
    "overrides",
    [{"EnableDriftReport": "false"}, {"EnableArchive": "false"}, {"DeliveryMode": "fifo"}],
    ids=["turned off", "no archive", "fifo (no S3 archive)"],
)
def test_it_exists_only_with_the_s3_archive(overrides: dict[str, str]) -> None:
    found = resources(Deployment(overrides=overrides))
    assert "DriftFunction" not in found and "DriftFunctionLogs" not in found
    assert not [r for r in found.values() if r["Type"] == "AWS::Events::Rule"]


def test_its_name_is_an_output_where_it_exists() -> None:
    """The alarm's runbook invokes it again for a day: the operator needs its name."""
    outputs = evaluated(Deployment()).document["Outputs"]
    assert outputs["DriftFunctionName"] == {
        "Condition": "DriftReport",
        "Description": outputs["DriftFunctionName"]["Description"],
        "Value": {"Ref": "DriftFunction"},
    }
