"""The deploy rehearsal's rules on who may publish, take and read (in `devkit.rehearsal`'s RULES).

Each rule reads the deployed template (`devkit.rehearsal.evaluated`: physical names at their longest)
and asks `devkit.policies` what IAM would answer, rather than how a policy is spelled: a probe is one
role of the stack's account that no policy of the stack names, whose own IAM allows everything (an
administrator of the account), so a finding means the resource's own policy would let it through.
Each rule names its source.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from devkit.policies import Document, Request, decide, like, statements, str_value
from devkit.rehearsal_parameters import Found
from devkit.template import Template

ADMIN: Document = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
OUTSIDER = "someone-else"  # a role of the stack's account that none of its policies names
# Topics left to IAM alone, each with why (reported, so that a new topic is not left out unseen).
UNGUARDED_TOPICS: dict[str, str] = {}
IAM_DOCUMENTS = (
    "AWS::IAM::Policy",
    "AWS::IAM::RolePolicy",
    "AWS::IAM::ManagedPolicy",
    "AWS::IAM::UserPolicy",
    "AWS::IAM::GroupPolicy",
)
IAM_HOLDERS = ("AWS::IAM::Role", "AWS::IAM::User", "AWS::IAM::Group")  # their inline Policies
NEGATED = ("ArnNotEquals", "ArnNotLike", "StringNotEquals", "StringNotLike")


# ----- reading the deployed template ------------------------------------------------------------
def created(template: Template, kind: str) -> dict[str, dict[str, Any]]:
    """Each resource of this type whose Condition holds, its Properties resolved (one that does not
    resolve is left out: `references_resolve` reports it)."""
    found: dict[str, dict[str, Any]] = {}
    for logical, resource in template.document["Resources"].items():
        if resource["Type"] != kind or ("Condition" in resource and not template.condition(resource["Condition"])):
            continue
        try:
            found[logical] = template.resolve(resource.get("Properties") or {})
        except (KeyError, IndexError, TypeError, ValueError):
            continue
    return found


def arn(template: Template, logical: str) -> str:
    return str(template.resolve({"Fn::GetAtt": [logical, "Arn"]}))


def outsider(template: Template) -> str:
    return f"arn:aws:iam::{template.account}:role/{OUTSIDER}"


def identity_policies(template: Template, role: str) -> list[Document]:
    """Every policy document the template gives the role `role` (a logical id): its inline Policies, the
    ManagedPolicyArns that are this template's, and each AWS::IAM::RolePolicy, Policy or ManagedPolicy
    naming it. AWS managed policies (arn:aws:iam::aws:policy/...) are not known here and left out."""
    name = template.ref(role)
    props = created(template, "AWS::IAM::Role")[role]
    documents = {f"{role}.Policies.{i}": p["PolicyDocument"] for i, p in enumerate(props.get("Policies") or [])}
    managed = created(template, "AWS::IAM::ManagedPolicy")
    by_arn = {template.ref(logical): logical for logical in managed}
    for policy in props.get("ManagedPolicyArns") or []:
        if policy in by_arn:
            documents[by_arn[policy]] = managed[by_arn[policy]]["PolicyDocument"]
    for kind in ("AWS::IAM::RolePolicy", "AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
        for logical, p in created(template, kind).items():
            if p.get("RoleName") == name or name in (p.get("Roles") or []):
                documents[logical] = p["PolicyDocument"]
    return list(documents.values())


def iam_documents(template: Template) -> Iterator[tuple[str, Document]]:
    """Every identity policy of the template, with where it is."""
    for kind in IAM_HOLDERS:
        for logical, props in created(template, kind).items():
            for policy in props.get("Policies") or []:
                yield f"Resources.{logical}.Policies.{policy.get('PolicyName', '')}", policy["PolicyDocument"]
    for kind in IAM_DOCUMENTS:
        for logical, props in created(template, kind).items():
            yield f"Resources.{logical}", props["PolicyDocument"]


def named_exceptions(document: Document, action: str, resource: str) -> list[str]:
    """Who a resource policy's Deny of `action` spares: the aws:PrincipalArn values of its negated
    conditions (`ArnNotEquals aws:PrincipalArn [...]`), over every such statement."""
    spared: list[str] = []
    for statement in statements(document):
        if statement["Effect"] != "Deny" or not _covers(statement, action, resource):
            continue
        for operator, tests in (statement.get("Condition") or {}).items():
            for key, values in tests.items():
                if operator in NEGATED and key.lower() == "aws:principalarn":
                    spared += _each(values)
    return spared


def _covers(statement: Mapping[str, Any], action: str, resource: str) -> bool:
    return any(like(a, action, ignore_case=True) for a in _each(statement.get("Action", []))) and any(
        like(r, resource) for r in _each(statement.get("Resource", "*"))
    )


def _each(value: Any) -> list[str]:
    return [str_value(item) for item in (value if isinstance(value, list) else [value])]


def _wildcards(values: list[str]) -> list[str]:
    return [value for value in values if "*" in value or "?" in value]


def _denied(document: Document, principal: str, action: str, resource: str, *, tls: bool = True) -> bool:
    return decide([ADMIN], document, Request(principal, action, resource, secure_transport=tls)) == "explicit deny"


# ----- the rules ----------------------------------------------------------------------------------
def topics_name_their_publishers(template: Template, found: Found) -> None:
    """Every topic has a topic policy that denies sns:Publish to any principal but those it lists (an
    administrator of the account included) and denies sns:Publish and sns:Subscribe without TLS.
    Source: SNS Developer Guide, "Amazon SNS security best practices"
    (https://docs.aws.amazon.com/sns/latest/dg/sns-security-best-practices.html): "Implement
    least-privilege access" and "Enforce encryption of data in transit" (a Deny on aws:SecureTransport
    false); SubscriberAccountIds' promise, "Nobody but the receiver and this stack's operator roles may
    publish". Topics in UNGUARDED_TOPICS are left to IAM, each for the reason given there."""
    policies: dict[str, list[tuple[str, Document]]] = {}
    for logical, props in created(template, "AWS::SNS::TopicPolicy").items():
        for topic in props.get("Topics") or []:
            policies.setdefault(topic, []).append((logical, props.get("PolicyDocument") or {}))
    for logical in created(template, "AWS::SNS::Topic"):
        if logical in UNGUARDED_TOPICS:
            continue
        topic = str(template.ref(logical))
        named = policies.get(topic, [])
        if len(named) != 1:
            found(
                f"Resources.{logical}",
                "no AWS::SNS::TopicPolicy names it: whoever the account's IAM allows may publish to it"
                if not named
                else "more than one AWS::SNS::TopicPolicy names it (a topic has one policy: the last one written wins)",
            )
            continue
        where, document = f"Resources.{named[0][0]}", named[0][1]
        try:
            publishers = named_exceptions(document, "sns:Publish", topic)
            if not _denied(document, outsider(template), "sns:Publish", topic):
                found(where, "does not deny sns:Publish to a principal it does not name (an administrator may publish)")
            elif _wildcards(publishers):
                found(where, f"names who may publish by a wildcard ({', '.join(_wildcards(publishers))})")
            for action, probe in (
                ("sns:Publish", [*publishers, outsider(template)][0]),
                ("sns:Subscribe", outsider(template)),
            ):
                if not _denied(document, probe, action, topic, tls=False):
                    found(where, f"does not deny {action} without TLS (aws:SecureTransport false)")
        except ValueError as error:
            found(where, f"cannot be evaluated: {error}")


def publish_granted_topic_by_topic(template: Template, found: Found) -> None:
    """No identity policy (a role's inline policies, AWS::IAM::Policy, RolePolicy, ManagedPolicy) allows
    sns:Publish, or sns:* or *, on a Resource with a wildcard (or through NotResource): each topic is
    named by its ARN. Source: IAM User Guide, "Security best practices in IAM", "Apply least-privilege
    permissions" (https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#grant-least-privilege);
    template.yaml, "sns:Publish is granted topic by topic (OperatorPublish<NOUN>), never on a name prefix"."""
    for where, document in iam_documents(template):
        try:
            listed = statements(document)
        except ValueError as error:
            found(where, f"cannot be evaluated: {error}")
            continue
        for statement in listed:
            if statement["Effect"] != "Allow" or not _allows_publish(statement):
                continue
            wide = ["NotResource"] if "NotResource" in statement else _wildcards(_each(statement.get("Resource", [])))
            if wide:
                found(where, f"allows sns:Publish on {', '.join(wide)}: grant it on each topic's ARN")


def _allows_publish(statement: Mapping[str, Any]) -> bool:
    if "NotAction" in statement:
        return not any(like(a, "sns:Publish", ignore_case=True) for a in _each(statement["NotAction"]))
    return any(like(a, "sns:Publish", ignore_case=True) for a in _each(statement.get("Action", [])))


def failure_queue_names_who_takes(template: Template, found: Found) -> None:
    """The failure queue (the AWS::SQS::Queue a function's FAILURE_QUEUE_URL names) has a queue policy
    that denies sqs:ReceiveMessage to any principal but those it lists, and denies requests without TLS:
    it holds events published nowhere else, member data included. Source: SQS Developer Guide, "Amazon
    SQS security best practices"
    (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-security-best-practices.html):
    "Implement least-privilege access" and "Enforce encryption of data in transit"."""
    queues = created(template, "AWS::SQS::Queue")
    policies = created(template, "AWS::SQS::QueuePolicy")
    for function in created(template, "AWS::Lambda::Function").values():
        url = ((function.get("Environment") or {}).get("Variables") or {}).get("FAILURE_QUEUE_URL")
        queue = next((logical for logical in queues if url and template.ref(logical) == url), None)
        if queue is None:
            continue
        named = [
            (logical, p.get("PolicyDocument") or {}) for logical, p in policies.items() if url in p.get("Queues", [])
        ]
        if not named:
            found(
                f"Resources.{queue}",
                "the failure queue has no AWS::SQS::QueuePolicy: whoever the account's IAM "
                "allows may take the events kept there",
            )
            continue
        where, document, resource = f"Resources.{named[0][0]}", named[0][1], arn(template, queue)
        try:
            takers = named_exceptions(document, "sqs:ReceiveMessage", resource)
            if not _denied(document, outsider(template), "sqs:ReceiveMessage", resource):
                found(
                    where,
                    "does not deny sqs:ReceiveMessage to a principal it does not name (an administrator may "
                    "take the failed events)",
                )
            elif not takers or _wildcards(takers):
                found(where, "its deny of sqs:ReceiveMessage names no one by ARN who may take the failed events")
            probes = (
                ("sqs:SendMessage", str(function.get("Role", outsider(template)))),
                ("sqs:ReceiveMessage", [*takers, outsider(template)][0]),
            )
            for action, probe in probes:
                if not _denied(document, probe, action, resource, tls=False):
                    found(where, f"does not deny {action} without TLS (aws:SecureTransport false)")
        except ValueError as error:
            found(where, f"cannot be evaluated: {error}")


def secrets_name_their_readers(template: Template, found: Found) -> None:
    """Each secret the stack creates has an AWS::SecretsManager::ResourcePolicy that denies
    secretsmanager:GetSecretValue to any principal it does not name. Source: Secrets Manager User Guide,
    "Attach a permissions policy to a secret"
    (https://docs.aws.amazon.com/secretsmanager/latest/userguide/auth-and-access_resource-based-policies.html);
    template.yaml, "Only the function and the credentials role read the two secrets, whatever their IAM
    allows"."""
    policies = {
        p.get("SecretId"): (logical, p.get("ResourcePolicy") or {})
        for logical, p in created(template, "AWS::SecretsManager::ResourcePolicy").items()
    }
    for logical in created(template, "AWS::SecretsManager::Secret"):
        secret = str(template.ref(logical))
        if secret not in policies:
            found(
                f"Resources.{logical}",
                "no AWS::SecretsManager::ResourcePolicy: whoever the account's IAM allows may read it",
            )
            continue
        policy, document = policies[secret]
        try:
            if not _denied(document, outsider(template), "secretsmanager:GetSecretValue", secret):
                found(
                    f"Resources.{policy}",
                    "does not deny secretsmanager:GetSecretValue to a principal it does not "
                    "name (an administrator may read the secret)",
                )
        except ValueError as error:
            found(f"Resources.{policy}", f"cannot be evaluated: {error}")


RULES = (
    topics_name_their_publishers,
    publish_granted_topic_by_topic,
    failure_queue_names_who_takes,
    secrets_name_their_readers,
)
