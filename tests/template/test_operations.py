"""The operations side of template.yaml and samconfig.toml, on the CloudFormation that is deployed.

Every alarm, the metric namespace, log retention, throttling, concurrency and tracing exist and are
wired to their parameters; the dashboard shows the metrics the function writes; the environments
differ where they should.
"""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest

from devkit.deployed import translated
from devkit.template import Template
from handler import observability

ROOT = Path(__file__).resolve().parents[2]
ALARMS = {
    "FunctionErrorsAlarm": ("AWS/Lambda", "Errors"),
    "FunctionThrottlesAlarm": ("AWS/Lambda", "Throttles"),
    "FunctionDurationAlarm": ("AWS/Lambda", "Duration"),
    "PublishFailuresAlarm": ({"Ref": "MetricsNamespace"}, "PublishFailures"),
    "FailureQueueAlarm": ("AWS/SQS", "ApproximateNumberOfMessagesVisible"),
    "EventsNotKeptAlarm": ({"Ref": "MetricsNamespace"}, "NotKept"),
    "ApiThrottledAlarm": ({"Ref": "MetricsNamespace"}, "ApiThrottled"),
}


@pytest.fixture(scope="module")
def cfn() -> dict[str, Any]:
    return translated()


def resources(cfn: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {logical: r for logical, r in cfn["Resources"].items() if r["Type"] == kind}


def function_properties(cfn: dict[str, Any]) -> dict[str, Any]:
    function = cfn["Resources"]["WebhookFunction"]  # the receiver (DriftFunction is the daily report)
    return function["Properties"]


def test_every_alarm_watches_its_metric_and_exists_only_when_alarms_are_enabled(cfn: dict[str, Any]) -> None:
    alarms = resources(cfn, "AWS::CloudWatch::Alarm")
    assert set(alarms) == {*ALARMS, "Api5xxRateAlarm", "EventAgeAlarm", "DriftFunctionErrorsAlarm"}
    for logical, (namespace, metric) in ALARMS.items():
        props = alarms[logical]["Properties"]
        assert (props["Namespace"], props["MetricName"]) == (namespace, metric), logical
        assert alarms[logical]["Condition"] == "CreateAlarms"
        assert props["TreatMissingData"] == "notBreaching"  # no traffic is not an outage
    assert cfn["Conditions"]["CreateAlarms"] == {"Fn::Equals": [{"Ref": "EnableAlarms"}, "true"]}
    # the function's own alarms name the function; the custom metric names this stack's service
    for logical in ("FunctionErrorsAlarm", "FunctionThrottlesAlarm", "FunctionDurationAlarm"):
        assert alarms[logical]["Properties"]["Dimensions"] == [
            {"Name": "FunctionName", "Value": {"Ref": "WebhookFunction"}}
        ]
    for logical in ("PublishFailuresAlarm", "EventsNotKeptAlarm", "ApiThrottledAlarm"):
        assert alarms[logical]["Properties"]["Dimensions"] == [{"Name": "service", "Value": {"Ref": "AWS::StackName"}}]
    queue_dimension = alarms["FailureQueueAlarm"]["Properties"]["Dimensions"][0]["Value"]
    assert queue_dimension == {"Fn::GetAtt": ["FailureQueue", "QueueName"]}


def test_the_drift_reports_failures_alarm_for_a_day_where_the_report_runs(cfn: dict[str, Any]) -> None:
    alarm = resources(cfn, "AWS::CloudWatch::Alarm")["DriftFunctionErrorsAlarm"]
    props = alarm["Properties"]
    assert alarm["Condition"] == "DriftAlarm"
    assert cfn["Conditions"]["DriftAlarm"] == {"Fn::And": [{"Condition": "DriftReport"}, {"Condition": "CreateAlarms"}]}
    assert (props["Namespace"], props["MetricName"], props["Statistic"]) == ("AWS/Lambda", "Errors", "Sum")
    assert props["Dimensions"] == [{"Name": "FunctionName", "Value": {"Ref": "DriftFunction"}}]
    # a daily job: one day's period (PutMetricAlarm allows up to 7 days for periods of an hour or more)
    assert (props["Period"], props["EvaluationPeriods"], props["TreatMissingData"]) == (86400, 1, "notBreaching")
    assert props["OKActions"] == props["AlarmActions"]
    assert not Template.load(overrides={"EnableDriftReport": "false"}).condition("DriftAlarm")
    assert not Template.load(overrides={"EnableAlarms": "false"}).condition("DriftAlarm")
    assert not Template.load(overrides={"DeliveryMode": "fifo"}).condition("DriftAlarm")  # no S3 archive, no job


def test_api_5xx_alarm_is_a_rate_against_the_threshold_parameter(cfn: dict[str, Any]) -> None:
    props = resources(cfn, "AWS::CloudWatch::Alarm")["Api5xxRateAlarm"]["Properties"]
    stats = {m["Id"]: m["MetricStat"]["Metric"] for m in props["Metrics"] if "MetricStat" in m}
    assert stats["errors"]["MetricName"] == "5xx"
    assert stats["requests"]["MetricName"] == "Count"
    assert all(s["Dimensions"] == [{"Name": "ApiId", "Value": {"Ref": "WebhookApi"}}] for s in stats.values())
    [rate] = [m for m in props["Metrics"] if m.get("ReturnData")]
    assert "errors / requests" in rate["Expression"]
    assert props["Threshold"] == {"Ref": "Api5xxRatePercent"}


def test_alarms_notify_the_email_topic_or_an_existing_topic_or_nobody() -> None:
    def actions(overrides: dict[str, str]) -> list[Any]:
        cfn = translated(overrides)
        alarm = cfn["Resources"]["FunctionErrorsAlarm"]["Properties"]
        assert alarm["OKActions"] == alarm["AlarmActions"]  # told when it clears, too
        return [alarm["AlarmActions"], cfn["Conditions"]]

    [alarm_actions, conditions] = actions({"AlarmEmail": "oncall@example.com"})
    topic_or_existing = {"Fn::If": ["CreateAlarmTopic", {"Ref": "AlarmTopic"}, {"Ref": "ExistingAlarmTopicArn"}]}
    assert alarm_actions == {"Fn::If": ["NotifyAlarms", [topic_or_existing], {"Ref": "AWS::NoValue"}]}
    assert "CreateAlarmTopic" in conditions and "NotifyExistingTopic" in conditions

    topic = Template.load(overrides={"AlarmEmail": "oncall@example.com"}).document["Resources"]["AlarmTopic"]
    assert topic["Condition"] == "CreateAlarmTopic"
    assert topic["Properties"]["Subscription"] == [{"Protocol": "email", "Endpoint": {"Ref": "AlarmEmail"}}]


def test_alarm_conditions_follow_the_parameters() -> None:
    template = Template.load()
    assert template.condition("CreateAlarms")
    assert not template.condition("CreateAlarmTopic")  # no email: no topic
    assert not template.condition("NotifyAlarms")
    with_email = Template.load(overrides={"AlarmEmail": "oncall@example.com"})
    assert with_email.condition("CreateAlarmTopic") and with_email.condition("NotifyAlarms")
    existing = Template.load(
        overrides={"AlarmEmail": "a@example.com", "ExistingAlarmTopicArn": "arn:aws:sns:us-east-1:1:oncall"}
    )
    assert not existing.condition("CreateAlarmTopic") and existing.condition("NotifyExistingTopic")
    assert not Template.load(overrides={"EnableAlarms": "false", "AlarmEmail": "a@example.com"}).condition(
        "NotifyAlarms"
    )


def test_metrics_namespace_and_service_come_from_parameters(cfn: dict[str, Any]) -> None:
    variables = function_properties(cfn)["Environment"]["Variables"]
    assert variables["POWERTOOLS_METRICS_NAMESPACE"] == {"Ref": "MetricsNamespace"}
    assert variables["POWERTOOLS_SERVICE_NAME"] == {"Ref": "AWS::StackName"}  # the alarms' `service`
    assert variables["POWERTOOLS_LOG_LEVEL"] == {"Ref": "LogLevel"}
    assert variables["MAX_BODY_BYTES"] == {"Ref": "MaxBodyBytes"}
    assert Template.load().parameters["MetricsNamespace"] == observability.DEFAULT_NAMESPACE


def test_logs_are_kept_for_the_retention_parameter(cfn: dict[str, Any]) -> None:
    groups = resources(cfn, "AWS::Logs::LogGroup")
    assert set(groups) == {
        "FunctionLogs",
        "ApiAccessLogs",
        "ArchiveDeliveryLogs",
        "DriftFunctionLogs",
        "TopicArchiveFunctionLogs",
    }
    assert all(g["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"} for g in groups.values())
    assert function_properties(cfn)["LoggingConfig"] == {"LogGroup": {"Ref": "FunctionLogs"}}
    [stage] = resources(cfn, "AWS::ApiGatewayV2::Stage").values()
    access = stage["Properties"]["AccessLogSettings"]
    assert access["DestinationArn"] == {"Fn::GetAtt": ["ApiAccessLogs", "Arn"]}
    fields = json.loads(access["Format"]["Fn::Sub"])
    assert fields["routeKey"] == "$context.routeKey"
    assert fields["service"] == "${AWS::StackName}"  # the dimension of the 429 count
    # the canD path holds its secret token: the access log must never record the path itself
    assert not any("$context.path" in value or "$context.rawPath" in value for value in fields.values())


def test_every_429_is_counted_for_its_alarm(cfn: dict[str, Any]) -> None:
    """HTTP APIs count 429s only inside 4xx; the access log's status is counted instead."""
    [metric] = resources(cfn, "AWS::Logs::MetricFilter").values()
    props = metric["Properties"]
    assert props["LogGroupName"] == {"Ref": "ApiAccessLogs"}
    assert props["FilterPattern"] == '{ $.status = "429" }'
    [transformation] = props["MetricTransformations"]
    assert (transformation["MetricNamespace"], transformation["MetricName"]) == (
        {"Ref": "MetricsNamespace"},
        "ApiThrottled",
    )
    assert transformation["Dimensions"] == [{"Key": "service", "Value": "$.service"}]


def test_throttle_defaults_stay_under_a_new_tables_writes() -> None:
    """Two writes per event (claim, completion); a new on-demand table takes 4,000 writes a second."""
    parameters = Template.load().document["Parameters"]
    rate, burst = parameters["ThrottleRateLimit"]["Default"], parameters["ThrottleBurstLimit"]["Default"]
    assert (rate, burst) == (1000, 2000)
    assert rate * 2 <= 4000 and burst * 2 <= 4000


def test_api_throttling_concurrency_and_tracing_are_parameters(cfn: dict[str, Any]) -> None:
    [stage] = resources(cfn, "AWS::ApiGatewayV2::Stage").values()
    assert stage["Properties"]["DefaultRouteSettings"] == {
        "ThrottlingRateLimit": {"Ref": "ThrottleRateLimit"},
        "ThrottlingBurstLimit": {"Ref": "ThrottleBurstLimit"},
    }
    props = function_properties(cfn)
    assert props["ReservedConcurrentExecutions"] == {
        "Fn::If": ["ReserveConcurrency", {"Ref": "ReservedConcurrency"}, {"Ref": "AWS::NoValue"}]
    }
    assert cfn["Conditions"]["ReserveConcurrency"] == {"Fn::Not": [{"Fn::Equals": [{"Ref": "ReservedConcurrency"}, 0]}]}
    assert props["TracingConfig"] == {"Mode": {"Ref": "Tracing"}}
    assert props["Environment"]["Variables"]["POWERTOOLS_TRACE_DISABLED"] == {
        "Fn::If": ["TracingActive", "false", "true"]
    }
    parameters = Template.load().document["Parameters"]
    for name in ("ThrottleRateLimit", "ThrottleBurstLimit", "ReservedConcurrency", "MaxBodyBytes"):
        assert len(parameters[name]["Description"]) > 40, f"{name} says why its default is what it is"


def test_dashboard_shows_every_metric_the_function_writes(cfn: dict[str, Any]) -> None:
    [dashboard] = resources(cfn, "AWS::CloudWatch::Dashboard").values()
    body = dashboard["Properties"]["DashboardBody"]["Fn::Sub"]
    resolved = re.sub(r"\$\{[^}]+\}", "x", body)
    widgets = json.loads(resolved)["widgets"]
    shown = {
        entry
        for widget in widgets
        for row in widget["properties"]["metrics"]
        for entry in row
        if isinstance(entry, str)
    }
    written = {"Received", "PublishFailures", *observability.OUTCOME_METRICS.values()}
    assert written <= shown
    searches = " ".join(
        entry["expression"]
        for widget in widgets
        for row in widget["properties"]["metrics"]
        for entry in row
        if isinstance(entry, dict) and "expression" in entry
    )
    assert "service,source,noun" in searches and "service,reason" in searches
    assert {"Errors", "Throttles", "5xx", "ApproximateNumberOfMessagesVisible"} <= shown


def test_environments_differ_in_log_level_retention_and_alarms() -> None:
    config = tomllib.loads((ROOT / "samconfig.toml").read_text())
    parameters = Template.load().document["Parameters"]

    def overrides(env: str) -> dict[str, str]:
        pairs = config[env]["deploy"]["parameters"]["parameter_overrides"].split()
        values = dict(pair.split("=", 1) for pair in pairs)
        for name, value in values.items():  # every override is a parameter, with an allowed value
            allowed = parameters[name].get("AllowedValues")
            assert allowed is None or value in [str(a) for a in allowed], (env, name, value)
        return values

    dev, prod = overrides("dev"), overrides("prod")
    for name in ("LogLevel", "LogRetentionDays", "EnableAlarms"):
        assert dev[name] != prod[name], name
    assert prod["EnableAlarms"] == "true" and dev["EnableAlarms"] == "false"
    for env in ("dev", "prod"):
        assert config[env]["global"]["parameters"]["language_extensions"] is True
        assert translated(overrides(env))["Resources"]["WebhookFunction"]
    assert config["dev"]["global"]["parameters"]["stack_name"] != config["prod"]["global"]["parameters"]["stack_name"]


def test_the_event_age_alarm_reads_p95_in_seconds_for_15_minutes_and_notifies_both_ways(cfn: dict[str, Any]) -> None:
    alarm = resources(cfn, "AWS::CloudWatch::Alarm")["EventAgeAlarm"]
    props = alarm["Properties"]
    assert alarm["Condition"] == "CreateAlarms"
    [stat] = [m["MetricStat"] for m in props["Metrics"] if "MetricStat" in m]
    assert (stat["Metric"]["MetricName"], stat["Stat"], stat["Period"]) == ("EventAge", "p95", 300)
    assert stat["Metric"]["Namespace"] == {"Ref": "MetricsNamespace"}
    assert stat["Metric"]["Dimensions"] == [{"Name": "service", "Value": {"Ref": "AWS::StackName"}}]
    [seconds] = [m for m in props["Metrics"] if m.get("ReturnData")]
    assert seconds["Expression"] == "age / 1000"  # the metric is in ms, the parameter in seconds
    assert props["Threshold"] == {"Ref": "EventAgeAlarmSeconds"}
    assert (props["EvaluationPeriods"], props["DatapointsToAlarm"]) == (3, 3)  # stays above for 15 minutes
    assert props["ComparisonOperator"] == "GreaterThanThreshold"
    assert props["OKActions"] == props["AlarmActions"]  # it says when it clears, too
    text = cfn["Resources"]["Dashboard"]["Properties"]["DashboardBody"]["Fn::Sub"]
    widgets = json.loads(re.sub(r"\$\{[^}]+\}", "x", text))["widgets"]
    for metric in ("EventAge", "RequestAge"):
        [widget] = [w for w in widgets if any(metric in row for row in w["properties"]["metrics"])]
        stats = [row[-1]["stat"] for row in widget["properties"]["metrics"]]
        assert stats == ["p50", "p95", "p99"], metric
