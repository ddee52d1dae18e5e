"""What a deployed stack keeps safe, on the CloudFormation each parameter set deploys: tracing that can
be off with its permission, an existing secret readable however it is named and encrypted, the
stateful resources surviving a deleted stack or a replacement, no credential in a parameter, an output
or the environment.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from devkit.deployed import Deployment
from devkit.rehearsal import DEPLOYMENTS, KEY_ARN, SECRET_ARN, evaluated

CAND_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:cand/token-GhIjKl"
EXISTING_CAND_TOKEN = {
    "full ARN": Deployment(overrides={"ExistingCandTokenArn": CAND_ARN}),
    "partial ARN": Deployment(overrides={"ExistingCandTokenArn": CAND_ARN[:-7]}),
}


def function_role(name: str | Deployment) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The function role's managed policy ARNs and its inline statements, evaluated for the deployment."""
    template = evaluated(DEPLOYMENTS[name] if isinstance(name, str) else name)
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
    cand_store = evaluated(DEPLOYMENTS["existing secret"]).resolve({"Ref": "CandTokenStore"})
    assert read["Resource"] == [SECRET_ARN, f"{SECRET_ARN}-??????", cand_store]  # and no other secret
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


@pytest.mark.parametrize("form", EXISTING_CAND_TOKEN)
def test_an_existing_cand_token_replaces_the_generated_one_and_is_read_by_its_arn(form: str) -> None:
    deployment = EXISTING_CAND_TOKEN[form]
    arn = (deployment.overrides or {})["ExistingCandTokenArn"]
    template = evaluated(deployment)
    assert "CandTokenStore" not in template.resources
    _, statements = function_role(deployment)
    [read] = [s for s in statements if s.get("Sid") == "ReadCredentials"]
    assert read["Resource"] == [template.resolve({"Ref": "SigningSecretStore"}), arn, f"{arn}-??????"]
    assert template.environment("WebhookFunction")["CAND_TOKEN_ARN"] == arn
    assert template.resolve(template.document["Outputs"]["CandTokenArn"]["Value"]) == arn


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


def test_the_stacks_secrets_are_generated_never_given() -> None:
    """No parameter carries a credential (a NoEcho parameter is also one `sam deploy --guided` will not
    leave empty); the secrets the stack makes start as values Secrets Manager generates."""
    template = evaluated(Deployment())
    assert [name for name, spec in template.source["Parameters"].items() if spec.get("NoEcho")] == []
    secrets = {
        logical: resource["Properties"]
        for logical, resource in template.document["Resources"].items()
        if resource["Type"] == "AWS::SecretsManager::Secret"
    }
    assert set(secrets) == {"SigningSecretStore", "CandTokenStore"}
    for logical, properties in secrets.items():
        assert "SecretString" not in properties, logical
        assert properties["GenerateSecretString"]["ExcludePunctuation"] is True, logical


EVERY_DEPLOYMENT = {
    **DEPLOYMENTS,
    **{f"existing canD token ({form})": deployment for form, deployment in EXISTING_CAND_TOKEN.items()},
}


@pytest.mark.parametrize("name", EVERY_DEPLOYMENT)
def test_no_output_and_no_environment_variable_holds_a_credential(name: str) -> None:
    """Outputs and the environment name the secrets in use by their ARN, never their values."""
    template = evaluated(EVERY_DEPLOYMENT[name])
    outputs = {
        logical: template.resolve(output["Value"])
        for logical, output in template.document["Outputs"].items()
        if "Condition" not in output or template.condition(output["Condition"])
    }
    environment = template.environment("WebhookFunction")
    assert "resolve:secretsmanager" not in json.dumps(template.document)  # no value put in a property
    in_use = {
        "SIGNING_SECRET_ARN": ("SigningSecretArn", "SigningSecretStore", "ExistingSigningSecretArn"),
        "CAND_TOKEN_ARN": ("CandTokenArn", "CandTokenStore", "ExistingCandTokenArn"),
    }
    for variable, (output, store, parameter) in in_use.items():
        given = template.parameters.get(parameter, "")
        arn = given or template.resolve({"Ref": store})
        assert environment[variable] == outputs[output] == arn, variable
    assert environment["SIGNING_SECRET"] == "" and environment["CAND_WEBHOOK_TOKEN"] == ""
    assert "AWS_SAM_LOCAL" not in environment  # the flag under which a local credential counts
