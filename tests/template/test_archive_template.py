"""The archive in the CloudFormation that is deployed: a Firehose subscription on every topic, least-privilege
roles, a private expiring bucket, and an Athena table whose partitions are projected from the layout."""

from __future__ import annotations

from typing import Any

import pytest

from devkit.deployed import translated
from devkit.template import Template

ARCHIVE_RESOURCES = {
    "ArchiveBucket", "ArchiveBucketPolicy", "ArchiveSubscriptionRole", "ArchiveDeliveryRole", "ArchiveDeliveryStream",
    "ArchiveDeliveryLogs", "ArchiveDeliveryLogStream", "ArchiveDatabase", "ArchiveTable", "ReplayOperatorPolicy",
    "ReplayOperatorRole", "ShapesOperatorPolicy",
}  # fmt: skip


@pytest.fixture(scope="module")
def cfn() -> dict[str, Any]:
    return translated()


def of_type(cfn: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {logical: r for logical, r in cfn["Resources"].items() if r["Type"] == kind}


def event_topics(cfn: dict[str, Any]) -> set[str]:
    return set(of_type(cfn, "AWS::SNS::Topic")) - {"AlarmTopic"}


def topic_of(arn: dict[str, Any]) -> str:
    """The topic's logical id in `!Ref Topic` or `!GetAtt [!Sub "Topic&{Noun}", TopicArn]` (unrolled)."""
    if "Ref" in arn:
        return str(arn["Ref"])
    logical = arn["Fn::GetAtt"][0]
    return str(logical["Fn::Sub"] if isinstance(logical, dict) else logical)


def test_every_topic_has_one_firehose_subscription_with_the_envelope_and_no_replays(cfn: dict[str, Any]) -> None:
    subscriptions = of_type(cfn, "AWS::SNS::Subscription")
    topics = {topic_of(s["Properties"]["TopicArn"]) for s in subscriptions.values()}
    assert topics == event_topics(cfn)  # every noun topic and OTHER, once each
    assert len(subscriptions) == len(topics)
    for subscription in subscriptions.values():
        props = subscription["Properties"]
        assert subscription["Condition"] == "ArchiveToS3"
        assert props["Protocol"] == "firehose"
        assert props["Endpoint"] == {"Fn::GetAtt": ["ArchiveDeliveryStream", "Arn"]}
        assert props["SubscriptionRoleArn"] == {"Fn::GetAtt": ["ArchiveSubscriptionRole", "Arn"]}
        assert props["RawMessageDelivery"] is False  # the envelope: attributes and time with the body
        assert props["FilterPolicy"] == {"replay_id": [{"exists": False}]}


def test_a_new_noun_gets_its_subscription_from_the_one_parameter() -> None:
    cfn = translated({"TopicNouns": "POST,WIDGET_PART"})
    assert set(of_type(cfn, "AWS::SNS::Subscription")) == {
        "ArchiveSubscriptionPOST", "ArchiveSubscriptionWIDGETPART", "ArchiveSubscriptionOTHER",
    }  # fmt: skip
    table = cfn["Resources"]["ArchiveTable"]["Properties"]["TableInput"]["Parameters"]
    values = table["projection.noun.values"]["Fn::Sub"]
    assert values[0] == "${Nouns},OTHER"
    assert values[1]["Nouns"] == {"Fn::Join": [",", {"Ref": "TopicNouns"}]}


def test_sns_may_only_put_records_into_the_archive_stream(cfn: dict[str, Any]) -> None:
    role = cfn["Resources"]["ArchiveSubscriptionRole"]["Properties"]
    [trust] = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "sns.amazonaws.com"}
    [policy] = role["Policies"]
    [statement] = policy["PolicyDocument"]["Statement"]
    assert all(action.startswith("firehose:") for action in statement["Action"])
    assert {"firehose:PutRecord", "firehose:PutRecordBatch"} <= set(statement["Action"])
    assert statement["Resource"] == {"Fn::GetAtt": ["ArchiveDeliveryStream", "Arn"]}


def test_firehose_may_only_write_the_archive_prefixes_and_its_log_stream(cfn: dict[str, Any]) -> None:
    role = cfn["Resources"]["ArchiveDeliveryRole"]["Properties"]
    [trust] = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "firehose.amazonaws.com"}
    assert trust["Condition"] == {"StringEquals": {"sts:ExternalId": {"Ref": "AWS::AccountId"}}}
    statements = {s["Sid"]: s for s in role["Policies"][0]["PolicyDocument"]["Statement"]}
    assert set(statements) == {"ArchiveBucket", "ArchiveObjects", "DeliveryErrors"}
    assert statements["ArchiveBucket"]["Resource"] == {"Fn::GetAtt": ["ArchiveBucket", "Arn"]}
    assert "s3:DeleteObject" not in statements["ArchiveObjects"]["Action"]
    assert statements["ArchiveObjects"]["Resource"] == [
        {"Fn::Sub": "${ArchiveBucket.Arn}/events/*"},
        {"Fn::Sub": "${ArchiveBucket.Arn}/errors/*"},
    ]
    assert statements["DeliveryErrors"]["Action"] == "logs:PutLogEvents"
    every_action = [
        a for s in statements.values() for a in (s["Action"] if isinstance(s["Action"], list) else [s["Action"]])
    ]
    assert not any("*" in action for action in every_action)


def test_the_stream_partitions_by_source_topic_noun_and_day_gzip_one_envelope_a_line(cfn: dict[str, Any]) -> None:
    props = cfn["Resources"]["ArchiveDeliveryStream"]["Properties"]
    assert props["DeliveryStreamType"] == "DirectPut"
    assert props["DeliveryStreamEncryptionConfigurationInput"] == {"KeyType": "AWS_OWNED_CMK"}
    s3 = props["ExtendedS3DestinationConfiguration"]
    assert s3["Prefix"] == (
        "events/source=!{partitionKeyFromQuery:source}/noun=!{partitionKeyFromQuery:noun}/dt=!{timestamp:yyyy-MM-dd}/"
    )
    assert "!{firehose:error-output-type}" in s3["ErrorOutputPrefix"]
    assert s3["CompressionFormat"] == "GZIP"
    assert s3["BufferingHints"]["SizeInMBs"] >= 64  # dynamic partitioning's minimum
    assert 60 <= s3["BufferingHints"]["IntervalInSeconds"] <= 900
    assert s3["DynamicPartitioningConfiguration"]["Enabled"] is True
    processors = {
        p["Type"]: {x["ParameterName"]: x["ParameterValue"] for x in p["Parameters"]}
        for p in s3["ProcessingConfiguration"]["Processors"]
    }
    query = processors["MetadataExtraction"]["MetadataExtractionQuery"]["Fn::Sub"]
    assert query == (
        "{source: .MessageAttributes.source.Value, noun: (.TopicArn | "
        'ltrimstr("arn:${AWS::Partition}:sns:${AWS::Region}:${AWS::AccountId}:${AWS::StackName}-"))}'
    )  # what devkit/archive.py computes in Python
    assert processors["AppendDelimiterToRecord"] == {"Delimiter": "\\n"}
    assert s3["CloudWatchLoggingOptions"]["Enabled"] is True


def test_the_archive_bucket_is_private_encrypted_tls_only_kept_and_expires_with_the_parameter(
    cfn: dict[str, Any],
) -> None:
    bucket = cfn["Resources"]["ArchiveBucket"]
    assert bucket["DeletionPolicy"] == bucket["UpdateReplacePolicy"] == "Retain"
    props = bucket["Properties"]
    assert all(props["PublicAccessBlockConfiguration"].values())
    assert props["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"] == {
        "SSEAlgorithm": "AES256"
    }
    rules = {rule["Id"]: rule for rule in props["LifecycleConfiguration"]["Rules"]}
    assert rules["ExpireArchivedEvents"]["Prefix"] == "events/"
    assert rules["ExpireArchivedEvents"]["ExpirationInDays"] == {"Ref": "ArchiveRetentionDays"}
    assert rules["ExpireDeliveryErrors"]["ExpirationInDays"] == {"Ref": "ArchiveRetentionDays"}
    [deny] = cfn["Resources"]["ArchiveBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert deny["Effect"] == "Deny" and deny["Condition"] == {"Bool": {"aws:SecureTransport": False}}
    output = cfn["Outputs"]["ArchiveBucketName"]
    assert output["Value"] == {"Ref": "ArchiveBucket"}
    assert output["Export"]["Name"] == {"Fn::Sub": "${AWS::StackName}-ArchiveBucket"}


def test_the_athena_table_projects_source_noun_and_day_from_the_layout(cfn: dict[str, Any]) -> None:
    table = cfn["Resources"]["ArchiveTable"]["Properties"]["TableInput"]
    parameters = table["Parameters"]
    assert parameters["projection.enabled"] == "true"
    assert parameters["projection.source.type"] == "enum"
    assert parameters["projection.source.values"] == "bettermode,cand"
    assert parameters["projection.noun.type"] == "enum"
    assert parameters["projection.dt.type"] == "date"
    assert parameters["projection.dt.format"] == "yyyy-MM-dd"
    assert parameters["projection.dt.range"] == {"Fn::Sub": "NOW-${ArchiveRetentionDays}DAYS,NOW"}
    assert parameters["storage.location.template"] == {
        "Fn::Sub": "s3://${ArchiveBucket}/events/source=${!source}/noun=${!noun}/dt=${!dt}/"
    }
    assert [key["Name"] for key in table["PartitionKeys"]] == ["source", "noun", "dt"]
    descriptor = table["StorageDescriptor"]
    assert descriptor["SerdeInfo"]["SerializationLibrary"] == "org.openx.data.jsonserde.JsonSerDe"
    assert {column["Name"] for column in descriptor["Columns"]} >= {
        "message",
        "messageattributes",
        "timestamp",
        "topicarn",
    }


def test_the_archive_can_be_turned_off() -> None:
    cfn = translated()
    assert cfn["Conditions"]["ArchiveEvents"] == {"Fn::Equals": [{"Ref": "EnableArchive"}, "true"]}
    # FIFO topics keep their own archive instead (docs/delivery-modes.md)
    assert cfn["Conditions"]["ArchiveToS3"] == {
        "Fn::And": [{"Condition": "ArchiveEvents"}, {"Fn::Not": [{"Condition": "Fifo"}]}]
    }
    conditional = {logical for logical, r in cfn["Resources"].items() if r.get("Condition") == "ArchiveToS3"}
    assert conditional == ARCHIVE_RESOURCES | set(of_type(cfn, "AWS::SNS::Subscription"))
    off = Template.load(overrides={"EnableArchive": "false"})
    assert not any(logical in off.resources for logical in ARCHIVE_RESOURCES)
    assert not off.of_type("AWS::SNS::Subscription")


def test_the_function_is_not_given_anything_of_the_archive(cfn: dict[str, Any]) -> None:
    """The archive is SNS's work: the function's role and environment are as they were."""
    [role] = [r for logical, r in of_type(cfn, "AWS::IAM::Role").items() if logical == "WebhookFunctionRole"]
    assert "firehose" not in str(role).lower()
    assert "Archive" not in str(cfn["Resources"]["WebhookFunction"]["Properties"]["Environment"])
