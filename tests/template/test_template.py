"""template.yaml: lint clean, transformed offline by the SAM translator, and the resources that matter."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cfnlint.api import ManualArgs, lint_file

from devkit.deployed import translated
from devkit.template import TEMPLATE, Template

REQUIRED_NOUNS = {
    "POST",
    "REACTION",
    "SPACE",
    "SPACE_MEMBERSHIP",
    "MEMBER",
    "MEMBER_INVITATION",
    "MODERATION",
    "NETWORK",
    "APP_INSTALLATION",
}


@pytest.fixture(scope="module")
def cfn() -> dict[str, Any]:
    return translated()


def resources_of(cfn: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {logical: r for logical, r in cfn["Resources"].items() if r["Type"] == kind}


def event_topics(cfn: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The topics events are published to (not the optional alarm topic)."""
    return {logical: r for logical, r in resources_of(cfn, "AWS::SNS::Topic").items() if logical != "AlarmTopic"}


def test_cfn_lint_finds_nothing() -> None:
    matches = lint_file(Path(TEMPLATE), config=ManualArgs(regions=["us-east-1", "eu-west-1"], include_checks=["I"]))
    assert [str(m) for m in matches] == []


def test_function_runs_python313_on_arm64_well_inside_the_gateway_timeout(cfn: dict[str, Any]) -> None:
    function = cfn["Resources"]["WebhookFunction"]  # the receiver (DriftFunction is the daily report)
    props = function["Properties"]
    assert props["Runtime"] == "python3.13"
    assert props["Architectures"] == ["arm64"]
    assert props["Handler"] == "handler.app.lambda_handler"
    assert props["Timeout"] <= 15  # API Gateway waits 30 s; the claim lease is this timeout
    assert props["TracingConfig"] == {"Mode": {"Ref": "Tracing"}}
    variables = props["Environment"]["Variables"]
    assert {"TABLE_NAME", "TOPIC_NOUNS", "TOPIC_ARN_PREFIX", "CATCH_ALL_TOPIC_ARN", "SIGNING_SECRET_ARN"} <= set(
        variables
    )
    assert variables["SIGNING_SECRET"] == ""  # never a secret in the template; set only by local runs
    assert variables["CAND_WEBHOOK_TOKEN"] == ""
    assert variables["SIGNING_SECRET_ARN"] == {
        "Fn::If": ["CreateSigningSecret", {"Ref": "SigningSecretStore"}, {"Ref": "ExistingSigningSecretArn"}]
    }
    assert variables["CAND_TOKEN_ARN"] == {
        "Fn::If": ["CreateCandToken", {"Ref": "CandTokenStore"}, {"Ref": "ExistingCandTokenArn"}]
    }


def test_http_api_routes_only_the_webhooks(cfn: dict[str, Any]) -> None:
    [api] = resources_of(cfn, "AWS::ApiGatewayV2::Api").values()
    paths = api["Properties"]["Body"]["paths"]
    # no $default route: API Gateway answers any other path 404 without invoking the function
    assert sorted(paths) == ["/webhooks/bettermode", "/webhooks/cand/{token}"]
    assert list(paths["/webhooks/bettermode"]) == list(paths["/webhooks/cand/{token}"]) == ["post"]
    [stage] = resources_of(cfn, "AWS::ApiGatewayV2::Stage").values()
    each = {"ThrottlingRateLimit": {"Ref": "ThrottleRateLimit"}, "ThrottlingBurstLimit": {"Ref": "ThrottleBurstLimit"}}
    assert stage["Properties"]["RouteSettings"] == {  # a budget of its own per route
        "POST /webhooks/bettermode": each,
        "POST /webhooks/cand/{token}": each,
    }


def role_statements(cfn: dict[str, Any]) -> list[dict[str, Any]]:
    role = resources_of(cfn, "AWS::IAM::Role")["WebhookFunctionRole"]
    statements: list[dict[str, Any]] = []
    for policy in role["Properties"].get("Policies", []):
        statements.extend(policy["PolicyDocument"]["Statement"])
    return statements


def test_function_role_is_least_privilege(cfn: dict[str, Any]) -> None:
    conditional = [s for s in role_statements(cfn) if "Fn::If" in s]
    statements = {s["Sid"]: s for s in role_statements(cfn) if "Sid" in s}
    assert [s["Fn::If"][1]["Sid"] for s in conditional] == ["DecryptExistingSecret"]
    assert set(statements) == {
        "DedupeRecords",
        "ReadCredentials",
        "PublishToCatchAllTopic",
        "StoreLargePayloads",
        "KeepFailedEvents",
    }
    dedupe = statements["DedupeRecords"]
    assert sorted(dedupe["Action"]) == [
        "dynamodb:DeleteItem",
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
    ]
    assert dedupe["Resource"] == {"Fn::GetAtt": ["DedupeTable", "Arn"]}
    assert statements["ReadCredentials"]["Action"] == "secretsmanager:GetSecretValue"
    assert statements["ReadCredentials"]["Resource"] == [
        {"Fn::If": ["CreateSigningSecret", {"Ref": "SigningSecretStore"}, {"Ref": "ExistingSigningSecretArn"}]},
        {"Fn::If": ["CreateSigningSecret", {"Ref": "AWS::NoValue"}, {"Fn::Sub": "${ExistingSigningSecretArn}-??????"}]},
        {"Fn::If": ["CreateCandToken", {"Ref": "CandTokenStore"}, {"Ref": "ExistingCandTokenArn"}]},
        {"Fn::If": ["CreateCandToken", {"Ref": "AWS::NoValue"}, {"Fn::Sub": "${ExistingCandTokenArn}-??????"}]},
    ]
    assert statements["PublishToCatchAllTopic"] == {
        "Sid": "PublishToCatchAllTopic",
        "Effect": "Allow",
        "Action": "sns:Publish",
        "Resource": {"Ref": "CatchAllTopic"},
    }
    assert statements["StoreLargePayloads"]["Action"] == "s3:PutObject"
    assert statements["StoreLargePayloads"]["Resource"] == {"Fn::Sub": "${PayloadBucket.Arn}/payloads/*"}
    assert statements["KeepFailedEvents"]["Action"] == "sqs:SendMessage"
    assert statements["KeepFailedEvents"]["Resource"] == {"Fn::GetAtt": ["FailureQueue", "Arn"]}
    for statement in statements.values():
        assert "*" not in str(statement["Action"]) and statement["Resource"] != "*"
    role = resources_of(cfn, "AWS::IAM::Role")["WebhookFunctionRole"]
    managed = [str(arn) for arn in role["Properties"]["ManagedPolicyArns"]]
    assert all("AWSLambdaBasicExecutionRole" in arn or "AWSXrayWriteOnlyAccess" in arn for arn in managed)


def test_function_may_publish_to_each_noun_topic_and_no_other(cfn: dict[str, Any]) -> None:
    topics = event_topics(cfn)
    nouns = {logical.removeprefix("Topic") for logical in topics if logical != "CatchAllTopic"}
    assert nouns == {noun.replace("_", "") for noun in REQUIRED_NOUNS}
    policies = {k: v for k, v in resources_of(cfn, "AWS::IAM::RolePolicy").items() if k.startswith("PublishTo")}
    assert {logical.removeprefix("PublishTo") for logical in policies} == nouns
    # the only other role policies: the archive release function's, one per topic, on its own role
    others = {k: v for k, v in resources_of(cfn, "AWS::IAM::RolePolicy").items() if k not in policies}
    assert {k.removeprefix("TopicArchiveGrant") for k in others} == nouns | {"OTHER"}
    assert all(v["Properties"]["RoleName"] == {"Ref": "TopicArchiveFunctionRole"} for v in others.values())
    for logical, policy in policies.items():
        topic = logical.replace("PublishTo", "Topic")
        assert policy["Properties"]["RoleName"] == {"Ref": "WebhookFunctionRole"}
        [statement] = policy["Properties"]["PolicyDocument"]["Statement"]
        assert statement == {
            "Effect": "Allow",
            "Action": "sns:Publish",
            "Resource": {"Fn::GetAtt": [topic, "TopicArn"]},
        }
    for topic in topics.values():
        fifo, standard = topic["Properties"]["TopicName"]["Fn::If"][1:]  # DeliveryMode
        assert fifo["Fn::Sub"].startswith("${AWS::StackName}-") and fifo["Fn::Sub"].endswith(".fifo")
        assert standard["Fn::Sub"].startswith("${AWS::StackName}-")
        # FIFO: the stack's key (tests/template/test_topic_key.py); standard: SNS's AWS managed key
        assert topic["Properties"]["KmsMasterKeyId"] == {
            "Fn::If": ["Fifo", {"Fn::GetAtt": ["TopicKey", "Arn"]}, "alias/aws/sns"]
        }


def test_dedupe_table_matches_what_the_claims_use(cfn: dict[str, Any]) -> None:
    [table] = resources_of(cfn, "AWS::DynamoDB::Table").values()
    props = table["Properties"]
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["KeySchema"] == [{"AttributeName": "id", "KeyType": "HASH"}]
    assert props["TimeToLiveSpecification"] == {"AttributeName": "expiration", "Enabled": True}
    assert props["SSESpecification"] == {"SSEEnabled": True}


def test_no_parameter_carries_a_credential_and_every_one_has_a_default() -> None:
    """`sam deploy --guided` asks a NoEcho parameter with hidden input and no default, and asks again
    on Enter: the credentials live in secrets the stack makes (or the user names), never in a parameter."""
    parameters = Template.load().document["Parameters"]
    assert [name for name, spec in parameters.items() if spec.get("NoEcho")] == []
    assert parameters["ExistingSigningSecretArn"]["Default"] == ""
    assert parameters["ExistingCandTokenArn"]["Default"] == ""
    for name, spec in parameters.items():
        assert "Default" in spec, f"{name} needs a default so that a guided deploy asks only what it must"


def test_the_signing_secret_is_a_slot_the_stack_creates(cfn: dict[str, Any]) -> None:
    """A random value nobody knows until the Bettermode secret is stored in it: every request is refused."""
    store = cfn["Resources"]["SigningSecretStore"]
    assert store["Condition"] == "CreateSigningSecret"
    assert "SecretString" not in store["Properties"]
    generated = store["Properties"]["GenerateSecretString"]
    assert generated["PasswordLength"] >= 32 and generated["ExcludePunctuation"] is True
    assert (store["DeletionPolicy"], store["UpdateReplacePolicy"]) == ("Retain", "Retain")
    assert cfn["Outputs"]["SigningSecretArn"]["Value"] == {
        "Fn::If": ["CreateSigningSecret", {"Ref": "SigningSecretStore"}, {"Ref": "ExistingSigningSecretArn"}]
    }


def test_outputs_give_the_url_the_table_and_every_topic_exported(cfn: dict[str, Any]) -> None:
    outputs = cfn["Outputs"]
    assert outputs["BettermodeWebhookUrl"]["Value"]["Fn::Sub"].endswith("/webhooks/bettermode")
    assert outputs["DedupeTableName"]["Value"] == {"Ref": "DedupeTable"}
    topics = list(event_topics(cfn))
    exported = {
        o["Value"]["Fn::GetAtt"][0] if "Fn::GetAtt" in o["Value"] else o["Value"]["Ref"]
        for o in outputs.values()
        if "Export" in o
    } - {"PayloadBucket", "ArchiveBucket"}
    assert exported == set(topics)


def test_nouns_with_a_topic_are_one_parameter() -> None:
    """Changing TopicNouns changes the topics, their permissions, outputs and the function's routing."""
    cfn = translated({"TopicNouns": "POST,WIDGET_PART"})
    assert set(event_topics(cfn)) == {"TopicPOST", "TopicWIDGETPART", "CatchAllTopic"}
    assert {k for k in resources_of(cfn, "AWS::IAM::RolePolicy") if k.startswith("PublishTo")} == {
        "PublishToPOST",
        "PublishToWIDGETPART",
    }
    assert {"TopicPOSTArn", "TopicWIDGETPARTArn"} <= set(cfn["Outputs"])
    template = Template.load(overrides={"TopicNouns": "POST,WIDGET_PART"})
    template.physical["DedupeTable"] = {"Ref": "t"}
    template.physical["CatchAllTopic"] = {"Ref": "arn:catch-all"}
    template.physical["SigningSecretStore"] = {"Ref": "arn:secret"}
    template.physical["CandTokenStore"] = {"Ref": "arn:cand"}
    template.physical["PayloadBucket"] = {"Ref": "bucket"}
    template.physical["FailureQueue"] = {"Ref": "https://queue"}
    env = template.environment("WebhookFunction")
    assert env["TOPIC_NOUNS"] == "POST,WIDGET_PART"
    assert env["TOPIC_ARN_PREFIX"] == "arn:aws:sns:us-east-1:123456789012:webhooks-local-"


def test_existing_secret_arn_replaces_the_created_secret() -> None:
    arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:bettermode-AbCdEf"
    cfn = translated({"ExistingSigningSecretArn": arn})
    assert "SigningSecretStore" not in cfn["Resources"] or cfn["Resources"]["SigningSecretStore"].get("Condition")
    template = Template.load(overrides={"ExistingSigningSecretArn": arn})
    assert "SigningSecretStore" not in template.resources
    names = ("DedupeTable", "CatchAllTopic", "CandTokenStore", "PayloadBucket", "FailureQueue")
    template.physical.update({name: {"Ref": name} for name in names})
    assert template.environment("WebhookFunction")["SIGNING_SECRET_ARN"] == arn


def test_existing_cand_token_arn_replaces_the_generated_token() -> None:
    arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:cand/token-GhIjKl"
    template = Template.load(overrides={"ExistingCandTokenArn": arn})
    assert "CandTokenStore" not in template.resources
    assert "SigningSecretStore" in template.resources
    names = ("DedupeTable", "CatchAllTopic", "SigningSecretStore", "PayloadBucket", "FailureQueue")
    template.physical.update({name: {"Ref": name} for name in names})
    assert template.environment("WebhookFunction")["CAND_TOKEN_ARN"] == arn


def test_cand_token_is_generated_long_or_an_existing_secret_and_never_an_output(cfn: dict[str, Any]) -> None:
    store = cfn["Resources"]["CandTokenStore"]
    assert store["Condition"] == "CreateCandToken"
    assert "SecretString" not in store["Properties"]
    generated = store["Properties"]["GenerateSecretString"]
    assert generated["PasswordLength"] >= 22  # 62 ** 22 > 2 ** 128
    assert generated["ExcludePunctuation"] is True  # URL-safe
    assert (store["DeletionPolicy"], store["UpdateReplacePolicy"]) == ("Retain", "Retain")
    base = cfn["Outputs"]["CandWebhookBaseUrl"]
    assert base["Value"]["Fn::Sub"].endswith("/webhooks/cand/")  # the token is not in it
    assert "CandTokenArn" in base["Description"]
    assert cfn["Outputs"]["CandTokenArn"]["Value"] == {
        "Fn::If": ["CreateCandToken", {"Ref": "CandTokenStore"}, {"Ref": "ExistingCandTokenArn"}]
    }
    assert "resolve:secretsmanager" not in json.dumps(cfn)  # no secret's value is put in a property


def test_payload_bucket_is_private_encrypted_tls_only_and_expires(cfn: dict[str, Any]) -> None:
    bucket = cfn["Resources"]["PayloadBucket"]["Properties"]
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    assert bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"] == {
        "SSEAlgorithm": "AES256"
    }
    [expire, _abort] = bucket["LifecycleConfiguration"]["Rules"]
    assert expire["Prefix"] == "payloads/"
    # while the archive keeps a large event's pointer, its body stays (tests/template/test_archive_template.py)
    assert expire["ExpirationInDays"] == {
        "Fn::If": ["ArchiveEvents", {"Ref": "ArchiveRetentionDays"}, {"Ref": "LargePayloadRetentionDays"}]
    }
    [deny] = cfn["Resources"]["PayloadBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert deny["Effect"] == "Deny"
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": False}}


def test_failure_queue_keeps_messages_as_long_as_sqs_can(cfn: dict[str, Any]) -> None:
    queue = cfn["Resources"]["FailureQueue"]["Properties"]
    assert queue["MessageRetentionPeriod"] == 14 * 86400
    assert queue["SqsManagedSseEnabled"] is True
    assert cfn["Outputs"]["FailureQueueUrl"]["Value"] == {"Ref": "FailureQueue"}


def test_the_deployed_command_takes_parameter_overrides_as_sam_deploy_does(tmp_path: Path) -> None:
    """`python -m devkit deployed OUT --parameter-overrides TopicNouns=...`: the loop over the nouns
    is unrolled for the parameters given, as `sam deploy --parameter-overrides` would have it."""
    from devkit.__main__ import main

    out = tmp_path / "deployed.json"
    assert main(["deployed", str(out), "--parameter-overrides", "TopicNouns=POST,SPACE"]) == 0
    resources = json.loads(out.read_text())["Resources"]
    topics = sorted(name for name, resource in resources.items() if resource["Type"] == "AWS::SNS::Topic")
    assert topics == ["AlarmTopic", "CatchAllTopic", "TopicPOST", "TopicSPACE"]
    with pytest.raises(SystemExit, match="KEY=VALUE"):
        main(["deployed", str(out), "--parameter-overrides", "TopicNouns"])


def test_every_parameter_is_in_the_configuration_page() -> None:
    from devkit.template import load_yaml

    page = (Path(__file__).resolve().parents[2] / "docs" / "configuration.md").read_text()
    assert [name for name in load_yaml()["Parameters"] if f"`{name}`" not in page] == []
