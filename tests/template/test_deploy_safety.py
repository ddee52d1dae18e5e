"""What a deployed stack keeps safe, on the CloudFormation each parameter set deploys: tracing that can
be off with its permission, an existing secret readable however it is named and encrypted, the
stateful resources surviving a deleted stack or a replacement, the canD token in no output.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from devkit.deployed import Deployment
from devkit.rehearsal import DEPLOYMENTS, KEY_ARN, SECRET_ARN, evaluated


def function_role(name: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The function role's managed policy ARNs and its inline statements, evaluated for the deployment."""
    template = evaluated(DEPLOYMENTS[name])
    role = template.document["Resources"]["WebhookFunctionRole"]["Properties"]
    statements = [
        statement
        for policy in template.resolve(role["Policies"])
        for statement in policy["PolicyDocument"]["Statement"]
    ]
    return template.resolve(role["ManagedPolicyArns"]), statements


def xray(managed: list[Any]) -> bool:
    return any("AWSXrayWriteOnlyAccess" in json.dumps(arn) for arn in managed)


@pytest.mark.parametrize(
    ("name", "mode", "may_write_traces"),
    [("defaults", "Active", True), ("tracing pass-through", "PassThrough", True), ("tracing disabled", None, False)],
)
def test_tracing_modes_and_their_xray_permission(name: str, mode: str | None, may_write_traces: bool) -> None:
    """SAM attaches AWSXrayWriteOnlyAccess unless Tracing is Disabled; Disabled also drops TracingConfig."""
    template = evaluated(DEPLOYMENTS[name])
    assert template.source["Parameters"]["Tracing"]["AllowedValues"] == ["Active", "PassThrough", "Disabled"]
    function = template.document["Resources"]["WebhookFunction"]["Properties"]
    config = function.get("TracingConfig")
    assert (template.resolve(config)["Mode"] if config else None) == mode
    managed, _ = function_role(name)
    assert xray(managed) is may_write_traces
    assert template.environment("WebhookFunction")["POWERTOOLS_TRACE_DISABLED"] == (
        "false" if mode == "Active" else "true"
    )


def test_an_existing_secret_is_readable_by_its_full_or_partial_arn() -> None:
    _, statements = function_role("existing secret")
    [read] = [s for s in statements if s.get("Sid") == "ReadCredentials"]
    assert read["Resource"][:2] == [SECRET_ARN, f"{SECRET_ARN}-??????"]
    assert not [s for s in statements if s.get("Sid") == "DecryptExistingSecret"]
    _, statements = function_role("existing secret, partial ARN, own key")
    [read] = [s for s in statements if s.get("Sid") == "ReadCredentials"]
    assert read["Resource"][:2] == [SECRET_ARN[:-7], f"{SECRET_ARN[:-7]}-??????"]  # matches the real suffix


def test_a_customer_managed_key_is_usable_through_secrets_manager_only() -> None:
    _, statements = function_role("existing secret, partial ARN, own key")
    [decrypt] = [s for s in statements if s.get("Sid") == "DecryptExistingSecret"]
    assert decrypt == {
        "Sid": "DecryptExistingSecret",
        "Effect": "Allow",
        "Action": "kms:Decrypt",
        "Resource": KEY_ARN,
        "Condition": {"StringEquals": {"kms:ViaService": "secretsmanager.us-east-1.amazonaws.com"}},
    }
    for name in ("defaults", "existing secret"):
        _, statements = function_role(name)
        assert all("kms:" not in json.dumps(s) for s in statements)


def test_a_new_secret_is_read_and_nothing_else() -> None:
    template = evaluated(Deployment())
    _, statements = function_role("defaults")
    [read] = [s for s in statements if s.get("Sid") == "ReadCredentials"]
    stores = [template.resolve({"Ref": "SigningSecretStore"}), template.resolve({"Ref": "CandTokenStore"})]
    assert read["Resource"] == stores


KEPT = {
    "DedupeTable": "every redelivery of the last DedupeTtlDays would be published again",
    "FailureQueue": "it may hold events published nowhere else",
    "SigningSecretStore": "the platform keeps signing with it",
    "CandTokenStore": "the platform keeps posting to a URL holding it",
    "PayloadBucket": "CloudFormation cannot delete a bucket with objects, and pointers into it are out",
    "PayloadBucketPolicy": "the kept bucket keeps refusing plain HTTP",
    "ArchiveBucket": "history outlives the stack",
    "ArchiveBucketPolicy": "the kept bucket keeps refusing plain HTTP",
}


@pytest.mark.parametrize("logical", KEPT)
def test_stateful_resources_survive_a_deleted_stack_and_a_replacement(logical: str) -> None:
    resource = evaluated(Deployment()).document["Resources"][logical]
    assert (resource["DeletionPolicy"], resource["UpdateReplacePolicy"]) == ("Retain", "Retain"), KEPT[logical]


def test_the_dedupe_table_refuses_deletion() -> None:
    table = evaluated(Deployment()).document["Resources"]["DedupeTable"]["Properties"]
    assert table["DeletionProtectionEnabled"] is True
    assert table["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}


def test_named_log_groups_go_with_the_stack() -> None:
    """Kept, a log group's fixed name would make a new stack of the same name fail to create."""
    for logical, resource in evaluated(Deployment()).document["Resources"].items():
        if resource["Type"] == "AWS::Logs::LogGroup":
            assert (resource["DeletionPolicy"], resource["UpdateReplacePolicy"]) == ("Delete", "Delete"), logical
            assert "LogGroupName" in resource["Properties"] and "RetentionInDays" in resource["Properties"]


@pytest.mark.parametrize("name", DEPLOYMENTS)
def test_no_output_and_no_environment_variable_holds_a_credential(name: str) -> None:
    deployment = DEPLOYMENTS[name]
    template = evaluated(deployment)
    secrets = {value for value in (deployment.overrides or {}).values() if value} & {
        (deployment.overrides or {}).get("SigningSecret"),
        (deployment.overrides or {}).get("CandWebhookToken"),
    }
    outputs = {
        logical: template.resolve(output["Value"])
        for logical, output in template.document["Outputs"].items()
        if "Condition" not in output or template.condition(output["Condition"])
    }
    environment = template.environment("WebhookFunction")
    for secret in secrets:
        assert secret not in json.dumps(outputs)
        assert secret not in json.dumps(environment)
    assert environment["SIGNING_SECRET"] == "" and environment["CAND_WEBHOOK_TOKEN"] == ""
    assert "AWS_SAM_LOCAL" not in environment  # the flag under which a local credential counts
