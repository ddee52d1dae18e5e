"""A deploy rehearsal: the rules CloudFormation's engine and the services apply that no schema holds.

cfn-lint, checkov and the emulator all read resource schemas; CloudFormation refuses more than
that before (or while) it creates anything: an export name with an underscore refused the whole
stack. Each rule below is checked on the template as `sam deploy` would have it deployed
(`devkit.deployed`) for one `Deployment`, and names its source. Physical names and ARNs are
evaluated at their longest: a generated name as CloudFormation builds it (stack name, logical id
and a random suffix, cut to the service's limit), an account id of 12 digits.

What the deploy is given is checked first (`devkit.rehearsal_parameters`): a refused stack name is the
only finding, a parameter set the loops cannot expand is not translated. A rule that hits every
resource of a loop (each noun's topic) is one finding (`grouped`).

`python -m devkit rehearse` runs every parameter set of `DEPLOYMENTS` and prints the findings.
"""

from __future__ import annotations

import copy
import functools
import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from devkit.deployed import Deployment, overrides, translated_document
from devkit.rehearsal_parameters import combinations, loop_ids, parameters, stack_name_refused
from devkit.rehearsal_security import RULES as SECURITY_RULES
from devkit.template import NO_VALUE, TEMPLATE, Template, load_yaml, parameter_values

LONGEST_STACK_NAME = "w" * 128  # a stack name is at most 128 characters (CloudFormation quotas)
LONGEST_REGION = "ap-southeast-2"  # 14 characters, the longest region names of the aws partition
# Every noun the platform's schema lists (PROTOCOL.md), each a topic of its own.
DOCUMENTED_NOUNS = (
    "APP,APP_INSTALLATION,BADGE,COLLECTION,CUSTOM,EMBED,EXTRA_PROPERTY,IMPORT_REQUEST,MEDIA,MEMBER,MEMBER_BADGE,"
    "MEMBER_INVITATION,MEMBER_SESSION,MODERATION,NETWORK,ORGANIZATION,PAGE_CUSTOM_RESPONSE,PLAN,POST,POST_TYPE,"
    "REACTION,ROLE,SHORTCUT,SPACE,SPACE_JOIN_REQUEST,SPACE_MEMBERSHIP,SPACE_NETWORK_ROLE,SPACE_POST_TYPE,"
    "SPACE_ROLE,SSO,SSO_MEMBERSHIP,SUBSCRIPTION,SYNC_EVENT,TAG,TRACKER"
)
SECRET_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:bettermode/signing-AbCdEf"  # noqa: S105 - an ARN, not a secret
KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
MAX_TOPIC_NOUNS = 28  # what TopicNouns promises for any stack name; the rehearsal shows it holds


def nouns(count: int, length: int = 40) -> str:
    """`count` distinct nouns of `length` characters, the longest TopicNouns' pattern allows."""
    return ",".join(f"N{index:03d}".ljust(length, "X") for index in range(count))


DEPLOYMENTS: dict[str, Deployment] = {
    "defaults": Deployment(),
    "every documented noun": Deployment(overrides={"TopicNouns": DOCUMENTED_NOUNS}),
    "longest names": Deployment(stack_name=LONGEST_STACK_NAME, region=LONGEST_REGION),
    "most topics, longest names": Deployment(
        stack_name=LONGEST_STACK_NAME, region=LONGEST_REGION, overrides={"TopicNouns": nouns(MAX_TOPIC_NOUNS)}
    ),
    "archive off": Deployment(overrides={"EnableArchive": "false"}),
    "alarms off": Deployment(overrides={"EnableAlarms": "false"}),
    "alarm email": Deployment(overrides={"AlarmEmail": "ops@example.com"}),
    "existing alarm topic": Deployment(
        overrides={"ExistingAlarmTopicArn": "arn:aws:sns:us-east-1:123456789012:on-call"}
    ),
    "existing secret": Deployment(overrides={"ExistingSigningSecretArn": SECRET_ARN}),
    "existing secret, partial ARN, own key": Deployment(
        overrides={"ExistingSigningSecretArn": SECRET_ARN[:-7], "ExistingSigningSecretKmsKeyArn": KEY_ARN}
    ),
    "existing canD token": Deployment(overrides={"ExistingCandTokenArn": SECRET_ARN.replace("signing", "cand")}),
    "existing canD token, partial ARN": Deployment(
        overrides={"ExistingCandTokenArn": SECRET_ARN.replace("signing", "cand")[:-7]}
    ),
    "tracing disabled": Deployment(overrides={"Tracing": "Disabled"}),
    "tracing pass-through": Deployment(overrides={"Tracing": "PassThrough"}),
    "reserved concurrency": Deployment(overrides={"ReservedConcurrency": "50"}),
    "fifo": Deployment(overrides={"DeliveryMode": "fifo"}),
    "fifo, archive off": Deployment(overrides={"DeliveryMode": "fifo", "EnableArchive": "false"}),
    "fifo, most topics, longest names": Deployment(
        stack_name=LONGEST_STACK_NAME,
        region=LONGEST_REGION,
        overrides={"DeliveryMode": "fifo", "TopicNouns": nouns(MAX_TOPIC_NOUNS)},
    ),
}

# ----- the documented limits --------------------------------------------------------------------
# AWS CloudFormation User Guide, "CloudFormation quotas".
MAX_RESOURCES, MAX_OUTPUTS, MAX_PARAMETERS, MAX_MAPPINGS = 500, 200, 200, 200
MAX_LOGICAL_ID = 255
MAX_TEMPLATE_BYTES = 1_000_000  # a template body in S3; `sam deploy` uploads it (resolve_s3)
# AWS CloudFormation User Guide, "Outputs": "The Name field of every Export member must be specified and
# consist only of alphanumeric characters, colons, or hyphens"; an export name is unique in the region,
# at most 255 characters, and "must not depend on any resources".
EXPORT_NAME = re.compile(r"[A-Za-z0-9:-]{1,255}")
# IAM User Guide, "IAM and AWS STS quotas": a role's inline policies together, white space not counted.
MAX_INLINE_POLICY_CHARS = 10_240
MAX_MANAGED_POLICY_CHARS = 6_144
MAX_MANAGED_POLICIES_PER_ROLE = 10
# Each resource type's name property: (property path, longest, allowed characters) from its
# CloudFormation resource reference; a generated name is cut to the same longest.
NAMES: dict[str, tuple[tuple[str, ...], int, str]] = {
    "AWS::SNS::Topic": (("TopicName",), 256, r"[A-Za-z0-9_-]+(\.fifo)?"),
    "AWS::KinesisFirehose::DeliveryStream": (("DeliveryStreamName",), 64, r"[a-zA-Z0-9_.-]+"),
    "AWS::IAM::Role": (("RoleName",), 64, r"[\w+=,.@-]+"),
    "AWS::IAM::ManagedPolicy": (("ManagedPolicyName",), 128, r"[\w+=,.@-]+"),
    "AWS::IAM::RolePolicy": (("PolicyName",), 128, r"[\w+=,.@-]+"),
    "AWS::Lambda::Function": (("FunctionName",), 64, r"[a-zA-Z0-9-_]+"),
    "AWS::SQS::Queue": (("QueueName",), 80, r"[A-Za-z0-9_-]+(\.fifo)?"),
    "AWS::S3::Bucket": (("BucketName",), 63, r"[a-z0-9][a-z0-9.-]+[a-z0-9]"),
    "AWS::DynamoDB::Table": (("TableName",), 255, r"[a-zA-Z0-9_.-]+"),
    "AWS::Logs::LogGroup": (("LogGroupName",), 512, r"[.\-_/#A-Za-z0-9]+"),
    "AWS::Logs::LogStream": (("LogStreamName",), 512, r"[^:*]+"),
    "AWS::CloudWatch::Alarm": (("AlarmName",), 255, r"[^\x00-\x1f]+"),
    "AWS::CloudWatch::Dashboard": (("DashboardName",), 255, r"[A-Za-z0-9_-]+"),
    "AWS::Glue::Database": (("DatabaseInput", "Name"), 255, r"[a-z0-9_]+"),
    "AWS::SecretsManager::Secret": (("Name",), 512, r"[A-Za-z0-9/_+=.@-]+"),
}
GENERATED_SUFFIX = 13  # CloudFormation's random part of a generated name
API_ID = "a1b2c3d4e5"


@dataclass(frozen=True)
class Finding:
    deployment: str
    where: str
    rule: str

    def __str__(self) -> str:
        return f"{self.deployment}: {self.where}: {self.rule}"


@dataclass
class WorstCase(Template):
    """The deployed template's intrinsics evaluated with the longest value each can take."""

    source: Mapping[str, Any] = field(default_factory=dict)  # the template as written

    def physical_name(self, logical: str) -> str:
        kind = self.document["Resources"][logical]["Type"]
        path, longest, _ = NAMES.get(kind, ((), 64, ""))
        given = _dig(self.document["Resources"][logical].get("Properties") or {}, path)
        if given is not None:
            return str(self.resolve(given))
        name = f"{self.stack_name}-{logical}-{'X' * GENERATED_SUFFIX}"
        return name.lower()[:longest] if kind == "AWS::S3::Bucket" else name[:longest]

    def attributes(self, logical: str) -> dict[str, str]:
        kind = self.document["Resources"][logical]["Type"]
        name = self.physical_name(logical)
        arn = f"arn:aws:{{}}:{self.region}:{self.account}:{{}}"
        by_kind = {
            "AWS::SNS::Topic": {"Ref": arn.format("sns", name), "TopicArn": arn.format("sns", name), "TopicName": name},
            "AWS::SQS::Queue": {
                "Ref": f"https://sqs.{self.region}.amazonaws.com/{self.account}/{name}",
                "Arn": arn.format("sqs", name),
                "QueueName": name,
            },
            "AWS::DynamoDB::Table": {"Ref": name, "Arn": arn.format("dynamodb", f"table/{name}")},
            "AWS::SecretsManager::Secret": {"Ref": arn.format("secretsmanager", f"secret:{name}-XXXXXX")},
            "AWS::S3::Bucket": {"Ref": name, "Arn": f"arn:aws:s3:::{name}"},
            "AWS::KinesisFirehose::DeliveryStream": {
                "Ref": name,
                "Arn": arn.format("firehose", f"deliverystream/{name}"),
            },
            "AWS::Logs::LogGroup": {"Ref": name, "Arn": arn.format("logs", f"log-group:{name}:*")},
            "AWS::IAM::Role": {"Ref": name, "Arn": f"arn:aws:iam::{self.account}:role/{name}"},
            "AWS::IAM::ManagedPolicy": {"Ref": f"arn:aws:iam::{self.account}:policy/{name}"},
            "AWS::Lambda::Function": {"Ref": name, "Arn": arn.format("lambda", f"function:{name}")},
            "AWS::ApiGatewayV2::Api": {"Ref": API_ID, "ApiEndpoint": f"https://{API_ID}.execute-api.{self.region}"},
        }
        return by_kind.get(kind, {"Ref": name})

    def ref(self, name: str) -> Any:
        if name in self.document["Resources"] and name not in self.physical:
            self.physical[name] = self.attributes(name)
        return super().ref(name)

    def _get_att(self, arg: list[Any]) -> str:
        logical, attribute = (self.resolve(part) for part in arg)
        self.ref(logical)
        if attribute not in self.physical[logical]:
            self.physical[logical][attribute] = "x" * 64
        return self.physical[logical][attribute]

    def _sub(self, arg: str | list[Any]) -> str:
        text = arg if isinstance(arg, str) else arg[0]
        for name in re.findall(r"\$\{([^!}][^}]*)\}", text):
            logical, _, attribute = name.partition(".")
            if logical in self.document["Resources"]:
                self.ref(logical)
                if attribute:
                    self.physical[logical].setdefault(attribute, "x" * 64)
        return super()._sub(arg)


def _dig(node: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    for key in path:
        if not isinstance(node, Mapping) or key not in node:
            return None
        node = node[key]
    return node


def _created(template: WorstCase, entries: Mapping[str, Any]) -> Iterator[tuple[str, Any]]:
    """The resources or outputs whose Condition holds for this deployment."""
    for logical, entry in entries.items():
        if "Condition" not in entry or template.condition(entry["Condition"]):
            yield logical, entry


def _compact(document: Any) -> str:
    return json.dumps(document, separators=(",", ":"))


def evaluated(deployment: Deployment, document: Mapping[str, Any] | None = None) -> WorstCase:
    """The deployed template of this deployment, ready to evaluate (template.yaml unless a document is given)."""
    if document is None:
        source, deployed = _template_yaml(
            deployment.stack_name, deployment.region, deployment.account, _key(deployment)
        )
        source, deployed = copy.deepcopy(source), copy.deepcopy(deployed)
    else:
        source = dict(document)
        deployed = translated_document(source, deployment)
    return WorstCase(
        document=deployed,
        parameters=parameter_values(source, deployment.overrides),
        stack_name=deployment.stack_name,
        region=deployment.region,
        account=deployment.account,
        source=source,
    )


def _key(deployment: Deployment) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((deployment.overrides or {}).items()))


@functools.lru_cache(maxsize=64)
def _template_yaml(
    stack_name: str, region: str, account: str, overrides: tuple[tuple[str, str], ...]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """template.yaml and its deployed form for one deployment, translated once per process."""
    source = load_yaml(TEMPLATE)
    return source, translated_document(source, Deployment(stack_name, region, account, dict(overrides)))


def rehearse(name: str, deployment: Deployment, document: Mapping[str, Any] | None = None) -> list[Finding]:
    """Every finding for one deployment of the template (template.yaml unless a document is given)."""
    refused = stack_name_refused(deployment.stack_name)
    if refused:  # every name and export derives from it: nothing else is worth reading
        return [Finding(name, "StackName", refused)]
    findings: list[Finding] = []

    def found(where: str, rule: str) -> None:
        findings.append(Finding(name, where, rule))

    source = document if document is not None else load_yaml(TEMPLATE)
    given = deployment.overrides or {}
    expandable = parameters(source, given, found)
    combinations(source, given, found)
    if not expandable:  # the parameters' finding says why; the transforms would only repeat it
        return grouped(findings, loop_ids(source, given))
    try:
        template = evaluated(deployment, document)
    except Exception as error:  # any refusal of the transforms is the finding
        found(TRANSFORMS_REFUSE, f"the transforms refuse it: {error}")
        return grouped(findings, loop_ids(source, given))
    for check in RULES:
        check(template, found)
    return grouped(findings, loop_ids(source, given))


TRANSFORMS_REFUSE = "template"  # where the rehearsal reports that the transforms refuse the template


# ----- one finding per rule and loop -----------------------------------------------------------
FIRST_FEW = 2  # logical ids a grouped finding names before "and N more"


def grouped(findings: list[Finding], made: Mapping[str, tuple[str, str]]) -> list[Finding]:
    """Findings that differ only in which resource of a loop they hit (and its item), as one: in the same
    deployment, the same rule text once the logical id and the item are blanked out."""
    if not made:
        return findings
    ids = "|".join(map(re.escape, sorted(made, key=len, reverse=True)))
    named = re.compile(rf"(?<![A-Za-z0-9])({ids})(?![A-Za-z0-9])")
    groups: dict[tuple[str, ...], list[tuple[Finding, str, re.Match[str] | None]]] = {}
    for index, finding in enumerate(findings):
        in_where = named.search(finding.where)
        anywhere = in_where or named.search(finding.rule)
        if anywhere is None:
            groups[(str(index),)] = [(finding, "", None)]
            continue
        logical = anywhere[1]
        loop, item = made[logical]
        key = (finding.deployment, loop, _blanked(finding.where, logical, item), _blanked(finding.rule, logical, item))
        groups.setdefault(key, []).append((finding, logical, in_where))
    return [_one(members) for members in groups.values()]


def _blanked(text: str, logical: str, item: str) -> str:
    for name in filter(None, (logical, item, item.replace("_", "-"), re.sub(r"[^A-Za-z0-9]", "", item))):
        text = re.sub(rf"(?<![A-Za-z0-9]){re.escape(name)}(?![A-Za-z0-9])", "<>", text)
    return text


def _one(members: list[tuple[Finding, str, re.Match[str] | None]]) -> Finding:
    """'Resources.TopicPOST, TopicREACTION and 7 more (ArchivePolicy...)': the first one's rule."""
    first, _, in_where = members[0]
    if len(members) == 1:
        return first
    ids = [logical for _, logical, _ in members]
    if in_where is None:
        return Finding(first.deployment, first.where, f"{first.rule} (the same for {_few(ids[1:])})")
    rest = first.where[in_where.end() :].lstrip(".")
    return Finding(
        first.deployment, first.where[: in_where.start()] + _few(ids) + (f" ({rest})" if rest else ""), first.rule
    )


def _few(ids: list[str]) -> str:
    if len(ids) <= FIRST_FEW + 1:
        return " and ".join([", ".join(ids[:-1]), ids[-1]]) if len(ids) > 1 else ids[0]
    return f"{', '.join(ids[:FIRST_FEW])} and {len(ids) - FIRST_FEW} more"


# ----- the rules ------------------------------------------------------------------------------
Found = Callable[[str, str], None]


def export_names(template: WorstCase, found: Found) -> None:
    seen: dict[str, str] = {}
    for logical, output in _created(template, template.document.get("Outputs") or {}):
        if "Export" not in output:
            continue
        where = f"Outputs.{logical}.Export.Name"
        if _depends_on_resources(output["Export"]["Name"], template):
            found(where, "an export name must not depend on any resource")
            continue
        value = str(template.resolve(output["Export"]["Name"]))
        if not EXPORT_NAME.fullmatch(value):
            found(where, f"{value!r}: only alphanumeric characters, colons or hyphens, at most 255")
        if value in seen:
            found(where, f"{value!r} is exported by {seen[value]} too (export names are unique in a region)")
        seen[value] = logical


def _depends_on_resources(node: Any, template: WorstCase) -> bool:
    resources = template.document["Resources"]
    if isinstance(node, list):
        return any(_depends_on_resources(item, template) for item in node)
    if not isinstance(node, dict):
        return False
    if "Fn::GetAtt" in node or "Fn::ImportValue" in node:
        return True
    if node.get("Ref") in resources:
        return True
    if "Fn::Sub" in node:
        text = node["Fn::Sub"] if isinstance(node["Fn::Sub"], str) else node["Fn::Sub"][0]
        if any(name.split(".", 1)[0] in resources for name in re.findall(r"\$\{([^!}][^}]*)\}", text)):
            return True
    return any(_depends_on_resources(value, template) for value in node.values())


def logical_ids_and_counts(template: WorstCase, found: Found) -> None:
    document = template.document
    for section in ("Parameters", "Mappings", "Conditions", "Resources", "Outputs"):
        for logical in document.get(section) or {}:
            if not re.fullmatch(rf"[A-Za-z0-9]{{1,{MAX_LOGICAL_ID}}}", logical):
                found(f"{section}.{logical}", "a logical id is alphanumeric (A-Za-z0-9), at most 255 characters")
    for section, most in (
        ("Resources", MAX_RESOURCES),
        ("Outputs", MAX_OUTPUTS),
        ("Parameters", MAX_PARAMETERS),
        ("Mappings", MAX_MAPPINGS),
    ):
        count = len(document.get(section) or {})
        if count > most:
            found(section, f"{count} declared, at most {most}")
    for what, body in (("template.yaml", TEMPLATE.read_bytes()), ("the deployed template", _compact(document))):
        size = len(body if isinstance(body, bytes) else body.encode())
        if size > MAX_TEMPLATE_BYTES:
            found(what, f"{size} bytes, at most {MAX_TEMPLATE_BYTES} in S3")


def physical_names(template: WorstCase, found: Found) -> None:
    for logical, resource in _created(template, template.document["Resources"]):
        if resource["Type"] not in NAMES:
            continue
        path, longest, pattern = NAMES[resource["Type"]]
        if _dig(resource.get("Properties") or {}, path) is None:
            continue  # CloudFormation generates one within the limit
        name = template.physical_name(logical)
        where = f"Resources.{logical}.{'.'.join(path)}"
        if not 1 <= len(name) <= longest:
            found(where, f"{len(name)} characters ({name[:40]}...), {resource['Type']} allows at most {longest}")
        if not re.fullmatch(pattern, name):
            found(where, f"{name!r} does not match {pattern}")


def policy_sizes(template: WorstCase, found: Found) -> None:
    resources = dict(_created(template, template.document["Resources"]))
    inline: dict[str, int] = {}
    managed: dict[str, int] = {}
    for logical, resource in resources.items():
        props = resource.get("Properties") or {}
        if resource["Type"] == "AWS::IAM::Role":
            inline[logical] = inline.get(logical, 0) + sum(
                len(_compact(policy["PolicyDocument"])) for policy in template.resolve(props.get("Policies") or [])
            )
            managed[logical] = len(template.resolve(props.get("ManagedPolicyArns") or []))
    for logical, resource in resources.items():
        props = resource.get("Properties") or {}
        if resource["Type"] == "AWS::IAM::RolePolicy":
            role = props["RoleName"]["Ref"]
            inline[role] = inline.get(role, 0) + len(_compact(template.resolve(props["PolicyDocument"])))
        if resource["Type"] == "AWS::IAM::ManagedPolicy":
            size = len(_compact(template.resolve(props["PolicyDocument"])))
            if size > MAX_MANAGED_POLICY_CHARS:
                found(
                    f"Resources.{logical}", f"managed policy of {size} characters, at most {MAX_MANAGED_POLICY_CHARS}"
                )
            for role in props.get("Roles") or []:
                managed[role["Ref"]] = managed.get(role["Ref"], 0) + 1
    for role, size in inline.items():
        if size > MAX_INLINE_POLICY_CHARS:
            found(
                f"Resources.{role}", f"inline policies of {size} characters together, at most {MAX_INLINE_POLICY_CHARS}"
            )
    for role, count in managed.items():
        if count > MAX_MANAGED_POLICIES_PER_ROLE:
            found(f"Resources.{role}", f"{count} managed policies, at most {MAX_MANAGED_POLICIES_PER_ROLE}")


def references_resolve(template: WorstCase, found: Found) -> None:
    """Every Ref, Fn::GetAtt and Fn::Sub variable names a parameter, a pseudo parameter or a resource."""
    for section in ("Resources", "Outputs"):
        for logical, entry in _created(template, template.document.get(section) or {}):
            try:
                template.resolve(entry)
            except (KeyError, IndexError, TypeError, ValueError) as error:
                found(f"{section}.{logical}", f"does not resolve: {error}")


def no_credentials_exposed(template: WorstCase, found: Found) -> None:
    """NoEcho parameters and secrets never reach an output or a function's environment."""
    secret_parameters = {name for name, spec in (template.source.get("Parameters") or {}).items() if spec.get("NoEcho")}

    def exposes(node: Any) -> bool:
        text = _compact(node)
        return "{{resolve:secretsmanager" in text or any(
            f'"Ref":"{name}"' in text or "${" + name + "}" in text for name in secret_parameters
        )

    for logical, output in (template.document.get("Outputs") or {}).items():
        if exposes(output):
            found(f"Outputs.{logical}", "shows a credential to whoever may describe the stack")
    for logical, resource in template.document["Resources"].items():
        if resource["Type"] == "AWS::Lambda::Function":
            variables = ((resource["Properties"].get("Environment") or {}).get("Variables")) or {}
            if exposes(variables):
                found(f"Resources.{logical}.Environment", "puts a credential in the function's environment")
            if "AWS_SAM_LOCAL" in variables:
                found(f"Resources.{logical}.Environment", "sets AWS_SAM_LOCAL, which lets local credentials in")


ARCHIVE_DAYS = range(1, 366)  # a FIFO topic's ArchivePolicy.MessageRetentionPeriod, in days


def topic_archive_retention(template: WorstCase, found: Found) -> None:
    """A FIFO topic keeps its message archive 1 to 365 days ("ArchivePolicy", AWS::SNS::Topic,
    https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-sns-topic.html);
    the schema types the policy as Json, so only the deploy would refuse a longer one, topic by topic."""
    for logical, resource in _created(template, template.document["Resources"]):
        if resource["Type"] != "AWS::SNS::Topic":
            continue
        policy = template.resolve((resource.get("Properties") or {}).get("ArchivePolicy"))
        if policy is None or policy is NO_VALUE:
            continue
        days = str(policy.get("MessageRetentionPeriod", ""))
        if not (days.isdigit() and int(days) in ARCHIVE_DAYS):
            found(
                f"Resources.{logical}.ArchivePolicy.MessageRetentionPeriod",
                f"{days or 'none'}: a FIFO topic keeps its archive 1 to 365 days (ArchiveRetentionDays)",
            )


RULES: tuple[Callable[[WorstCase, Found], None], ...] = (
    export_names,
    logical_ids_and_counts,
    physical_names,
    policy_sizes,
    references_resolve,
    no_credentials_exposed,
    topic_archive_retention,
    *SECURITY_RULES,  # who may publish, take and read: devkit/rehearsal_security.py
)


def lint_findings(name: str, deployment: Deployment) -> list[Finding]:
    """cfn-lint, every rule (informational ones too), on the deployed template, told the parameters;
    nothing when the stack name or the parameters already make the deployment impossible (`rehearse`
    reports that)."""
    from cfnlint.api import ManualArgs, lint

    source = load_yaml(TEMPLATE)
    if stack_name_refused(deployment.stack_name) or not parameters(source, deployment.overrides or {}, _ignore):
        return []
    matches = lint(
        _compact(translated_document(source, deployment)),
        config=ManualArgs(
            regions=[deployment.region],
            include_checks=["I"],
            parameters=[parameter_values(source, deployment.overrides)],
        ),
    )
    findings = [Finding(name, f"cfn-lint {match.rule.id}", str(match.message)) for match in matches]
    return grouped(findings, loop_ids(source, deployment.overrides))


def _ignore(where: str, rule: str) -> None:
    """A `found` that keeps nothing: lint asks only whether the parameters can be expanded."""


def yours(stack_name: str | None, region: str | None, parameters: list[str] | None) -> Deployment | None:
    """The deployment an operator names on the command line, or None when they name nothing."""
    if stack_name is None and region is None and parameters is None:
        return None
    return Deployment(
        stack_name=stack_name or Deployment.stack_name,
        region=region or Deployment.region,
        overrides=overrides(parameters or []),
    )


def main(deployment: Deployment | None = None) -> int:
    """Every parameter set the project tests, or only `deployment` (the stack name, region and
    parameters you are about to deploy with); 1 when anything is found."""
    import logging

    logging.getLogger("samtranslator").setLevel(logging.ERROR)  # "unpublished metrics", on every translation
    deployments = {"your deployment": deployment} if deployment else DEPLOYMENTS
    findings: list[Finding] = []
    for name, each in deployments.items():
        own = rehearse(name, each)
        refused = any(finding.where == TRANSFORMS_REFUSE for finding in own)  # nothing to lint
        findings += [*own, *([] if refused else lint_findings(name, each))]
    for finding in findings:
        print(finding)
    print(
        f"deploy rehearsal: {len(deployments)} parameter set(s), their values, {len(RULES)} rules and cfn-lint, "
        f"{len(findings)} findings"
    )
    return 1 if findings else 0
