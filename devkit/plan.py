"""A change plan, offline: what `sam deploy` (or `sam delete`) will do to a stack that exists.

`python -m devkit plan --config-env prod DeliveryMode=fifo` reads the deployed stack's name, region
and parameters from samconfig.toml, applies the changes given, and prints the resources added,
removed, replaced and modified (`devkit.changes`), the exports that change or go, and, loudly, every
step CloudFormation or a service will refuse and everything stateful it destroys, each with what to
do instead. It ends with what the stack will hold. `--first` plans a first deploy, `--delete` a
`sam delete`; `--importer` names a subscriber stack's template whose `Fn::ImportValue`s bind it.
"""

from __future__ import annotations

import re
import shlex
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from devkit.changes import NEW, Diff, compare
from devkit.deployed import Deployment
from devkit.rehearsal import API_ID, NAMES, rehearse
from devkit.template import ROOT, TEMPLATE, Template, load_yaml, parameter_values

STATEFUL = {
    "AWS::DynamoDB::Table": "its items",
    "AWS::S3::Bucket": "its objects",
    "AWS::SQS::Queue": "the messages it holds",
    "AWS::SecretsManager::Secret": "the value stored in it",
    "AWS::SNS::Topic": "every subscription to it, including those made outside this stack",
    "AWS::KMS::Key": "the key (scheduled for deletion after its pending window)",
    "AWS::Logs::LogGroup": "its logs",
}
# Parameters a deployed stack may carry that this template no longer has, and the way across.
RETIRED = {
    "SigningSecret": (
        "deploy with ExistingSigningSecretArn=<the stack's SigningSecretArn output>: the secret you gave "
        "stays (it is retained) and the function keeps reading it; without it, CloudFormation would "
        "write a new random value into it and every Bettermode request would be refused"
    ),
    "CandWebhookToken": (
        "deploy with ExistingCandTokenArn=<the stack's CandTokenArn output>: the token you gave stays "
        "and canD's URL keeps working; without it, CloudFormation would write a new token"
    ),
}


@dataclass
class Plan:
    diff: Diff
    refused: list[str] = field(default_factory=list)  # CloudFormation or a service stops here
    destroys: list[str] = field(default_factory=list)  # completes, and data or configuration is gone
    notes: list[str] = field(default_factory=list)
    findings: list[str] = field(default_factory=list)  # the deploy rehearsal of the new deployment


def imports_of(path: Path, overrides: Mapping[str, str] | None = None) -> set[str]:
    """The export names a stack deployed from this template imports (its parameter defaults apply)."""
    document = load_yaml(path)
    template = Template(document=document, parameters=parameter_values(document, overrides))
    names: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, list):
            for item in node:
                walk(item)
        elif isinstance(node, dict):
            if "Fn::ImportValue" in node:
                names.add(str(template.resolve(node["Fn::ImportValue"])))
            for value in node.values():
                walk(value)

    walk(document.get("Resources") or {})
    return names


def plan(
    before: Deployment | None,
    after: Deployment | None,
    *,
    before_document: Mapping[str, Any] | None = None,
    after_document: Mapping[str, Any] | None = None,
    imported: set[str] | frozenset[str] = frozenset(),
) -> Plan:
    """The plan from the deployed stack (None: none yet) to the new one (None: deleted); the
    documents default to template.yaml."""
    diff = compare(before, after, before_document, after_document)
    result = Plan(diff)
    if before is not None and after is not None:
        _retired_parameters(before, after, result)
    _exports(diff, imported, result)
    _archives(diff, result)
    _gone(diff, result)
    _custom_names(diff, result)
    _secrets(diff, result)
    _retention(diff, result)
    if after is not None:
        result.findings = [f"{finding.where}: {finding.rule}" for finding in rehearse("new", after, after_document)]
    return result


def _retired_parameters(before: Deployment, after: Deployment, result: Plan) -> None:
    declared = load_yaml(TEMPLATE).get("Parameters") or {}
    for name, value in (before.overrides or {}).items():
        if name in declared or not value:
            continue
        passed = name in (after.overrides or {})
        how = RETIRED.get(name, f"remove {name} from your parameter overrides")
        if passed:
            result.refused.append(f"parameter {name} is no longer in the template (CloudFormation refuses it): {how}")
        elif name in RETIRED:
            result.refused.append(f"the stack was deployed with {name}, which is gone from the template: {how}")


def _exports(diff: Diff, imported: set[str] | frozenset[str], result: Plan) -> None:
    # "After another stack imports an output value, you can't delete the stack that is exporting the
    # output value or modify the exported output value" (AWS CloudFormation User Guide, "Get exported
    # outputs from a deployed CloudFormation stack":
    # https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-stack-exports.html).
    unknown: list[str] = []
    for name in diff.exports_changed + diff.exports_removed:
        verb = "changes value" if name in diff.after.exports else "disappears"
        if name in imported:
            result.refused.append(
                f"export {name} {verb}, and a stack imports it: CloudFormation refuses the update. First "
                "deploy that stack without the import (read /webhooks/<stack>/topics/<NOUN> instead: "
                "docs/subscribing.md), then this change, then that stack again"
            )
        else:
            unknown.append(name)
    if unknown:
        result.notes.append(
            f"exports changed or gone ({len(unknown)}): CloudFormation refuses this if another stack imports "
            "one (`aws cloudformation list-imports --export-name <name>` tells; --importer checks a template)"
        )


def _archives(diff: Diff, result: Plan) -> None:
    """An archived FIFO topic is deleted only after its archive policy is cleared ("Invalid state:
    Cannot delete a topic with an ArchivePolicy"; SNS Developer Guide, message archiving:
    https://docs.aws.amazon.com/sns/latest/dg/message-archiving-and-replay-topic-owner.html)."""
    old = diff.before.resources
    releasers = {
        str(resource.get("TopicArn")): logical
        for logical, resource in old.items()
        if resource.kind == "Custom::TopicArchive"
    }
    going = {change.logical for change in diff.gone}
    stuck: list[str] = []
    released: dict[str, list[str]] = {}  # retention days -> topics
    for change in diff.gone:
        topic = old[change.logical]
        if topic.kind != "AWS::SNS::Topic" or not topic.get("ArchivePolicy"):
            continue
        arn = diff.before.template.resolve({"Ref": change.logical}) if diff.before.template else ""
        releaser = releasers.get(str(arn))
        if releaser is None or (releaser not in going and not _releaser_moves(diff, releaser)):
            stuck.append(change.logical)
        else:
            released.setdefault(str(topic.get("ArchivePolicy", "MessageRetentionPeriod")), []).append(change.logical)
    if stuck:
        result.refused.append(
            f"{_names(stuck)} [AWS::SNS::Topic] hold a message archive and nothing clears it first: SNS refuses "
            "to delete them. Deploy this version once with the same DeliveryMode and EnableArchive (it adds "
            "the TopicArchive resources), then make this change"
        )
    for days, topics in released.items():
        result.destroys.append(
            f"{_names(topics)} [AWS::SNS::Topic]: each message archive (up to {days} days of events) is deleted "
            "by its TopicArchive resource before the topic goes; replay what you need from it first"
        )
    for change in diff.of("modify"):
        topic = old[change.logical]
        if topic.kind == "AWS::SNS::Topic" and topic.get("ArchivePolicy") and "KmsMasterKeyId" in change.properties:
            result.notes.append(
                f"{change.logical}: its key changes; messages archived before were encrypted with "
                f"{topic.get('KmsMasterKeyId')}, and SNS replays them only if that key's policy lets it"
            )


def _releaser_moves(diff: Diff, releaser: str) -> bool:
    now = diff.after.resources.get(releaser)
    return now is not None and NEW in str(now.get("TopicArn"))


def _gone(diff: Diff, result: Plan) -> None:
    groups: dict[tuple[str, str, bool], list[str]] = {}
    for change in diff.gone:
        if change.kind in STATEFUL:
            verb = "replaced" if change.action == "replace" else "removed"
            groups.setdefault((change.kind, verb, change.retained), []).append(change.logical)
    for (kind, verb, retained), logicals in groups.items():
        names, what = _names(logicals), STATEFUL[kind]
        if retained:
            result.notes.append(f"{names} [{kind}] {verb}; what was there stays in the account, with {what}")
        else:
            result.destroys.append(f"{names} [{kind}] {verb}: what was there is deleted, with {what}")
    if any(change.kind == "AWS::SNS::Topic" and change.action == "replace" for change in diff.changes):
        result.notes.append(
            "subscriber stacks that read /webhooks/<stack>/topics/<NOUN>: deploy them again after this change "
            "(their subscriptions went with the old topics); replay what was published in between "
            "(docs/delivery-modes.md: switching modes)"
        )


def _names(logicals: list[str]) -> str:
    return logicals[0] if len(logicals) == 1 else f"{len(logicals)} resources ({', '.join(logicals)})"


def _custom_names(diff: Diff, result: Plan) -> None:
    """A replacement that keeps a custom name is refused: "CloudFormation can't replace a resource that
    has a custom name unless the name changes" (AWS CloudFormation User Guide, "Name type":
    https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-name.html)."""
    for change in diff.of("replace"):
        path = NAMES.get(change.kind, ((), 0, ""))[0]
        old = diff.before.resources[change.logical].get(*path) if path else None
        new = diff.after.resources[change.logical].get(*path) if path else None
        if old is not None and old == new:
            result.refused.append(
                f"{change.logical} must be replaced ({', '.join(change.properties)}) but keeps its name {old}: "
                "CloudFormation refuses to replace a custom-named resource"
            )


def _secrets(diff: Diff, result: Plan) -> None:
    """CloudFormation writes a new value into a secret when SecretString or GenerateSecretString
    changes (aws-cloudformation/cloudformation-coverage-roadmap#1161, #2210)."""
    for change in diff.of("modify"):
        if change.kind == "AWS::SecretsManager::Secret" and {"SecretString", "GenerateSecretString"} & set(
            change.properties
        ):
            result.destroys.append(f"{change.logical}: CloudFormation writes a new value into the secret")


def _retention(diff: Diff, result: Plan) -> None:
    """A shorter lifecycle expiration or archive retention deletes what is older at once."""
    for change in diff.of("modify"):
        old, new = diff.before.resources[change.logical], diff.after.resources[change.logical]
        pairs: list[tuple[str, Any, Any]] = []
        if change.kind == "AWS::S3::Bucket" and "LifecycleConfiguration" in change.properties:
            before = {r.get("Id"): r.get("ExpirationInDays") for r in old.get("LifecycleConfiguration", "Rules") or []}
            for rule in new.get("LifecycleConfiguration", "Rules") or []:
                pairs.append(
                    (f"objects of rule {rule.get('Id')}", before.get(rule.get("Id")), rule.get("ExpirationInDays"))
                )
        if change.kind == "AWS::SNS::Topic" and "ArchivePolicy" in change.properties:
            field = ("ArchivePolicy", "MessageRetentionPeriod")
            pairs.append(("archived messages", old.get(*field), new.get(*field)))
        for what, was, now in pairs:
            if was is not None and now is not None and int(str(now)) < int(str(was)):
                result.destroys.append(
                    f"{change.logical}: {what} older than {now} days are deleted (kept {was} days until now)"
                )


# ----- the report ------------------------------------------------------------------------------
def _topics(diff: Diff) -> list[str]:
    return sorted(
        str(resource.get("TopicName"))
        for resource in diff.after.resources.values()
        if resource.kind == "AWS::SNS::Topic"
    )


def render(result: Plan, title: str) -> str:
    diff = result.diff
    lines = [title, ""]
    if diff.before.deployment is not None:
        for action, label in (("add", "add"), ("replace", "REPLACE"), ("remove", "remove"), ("modify", "modify")):
            grouped: dict[tuple[str, tuple[str, ...], bool], list[str]] = {}
            for change in diff.of(action):  # type: ignore[arg-type]
                grouped.setdefault((change.kind, change.properties, change.retained), []).append(change.logical)
            for (kind, properties, retained), logicals in grouped.items():
                detail = f": {', '.join(properties)}" if properties else ""
                kept = " (the old one retained)" if retained else ""
                lines.append(f"  {label:<8} {', '.join(logicals)} [{kind}{detail}]{kept}")
        if diff.exports_changed:
            lines.append(f"  export   {', '.join(diff.exports_changed)}: new value")
        if diff.exports_removed:
            lines.append(f"  export   {', '.join(diff.exports_removed)}: gone")
        if not diff.changes:
            lines.append("  no resource changes")
        lines.append("")
    for heading, mark, entries in (
        ("REFUSED: CloudFormation or a service stops here; do this instead", "!", result.refused),
        ("DESTROYS: these complete, and what they hold is gone", "!", result.destroys),
        ("Findings of the deploy rehearsal", "!", result.findings),
        ("Notes", "-", result.notes),
    ):
        if entries:
            lines.extend([heading, *(f"  {mark} {entry}" for entry in entries), ""])
    lines.extend(summary(diff))
    return "\n".join(lines)


def summary(diff: Diff) -> list[str]:
    after = diff.after
    if after.deployment is None:
        kept = [f"{logical} [{r.kind}]" for logical, r in diff.before.resources.items() if r.deletion == "Retain"]
        return ["After sam delete, these stay in the account (Retain):", *(f"  {k}" for k in sorted(kept))]
    urls = {key: value.replace(API_ID, "<api-id>") for key, value in after.outputs.items() if "Webhook" in key}
    kept = sorted(logical for logical, r in after.resources.items() if r.deletion == "Retain")
    parameters = [str(r.get("Name")) for r in after.resources.values() if r.kind == "AWS::SSM::Parameter"]
    return [
        f"The stack {after.deployment.stack_name} will hold:",
        f"  topics ({len(_topics(diff))}): {_pattern(_topics(diff))}",
        f"  subscriber parameters ({len(parameters)}): {_pattern(parameters)}",
        f"  exports ({len(after.exports)}): {_pattern(list(after.exports))}",
        *(f"  {key}: {value}" for key, value in sorted(urls.items())),
        f"  kept after sam delete (Retain): {', '.join(kept)}",
    ]


def _pattern(names: list[str]) -> str:
    """Names that share a prefix and a suffix as one line: `p-<POST, SPACE>.fifo`, the rest listed."""
    names = sorted(names)
    if len(names) < 3:
        return ", ".join(names)
    prefix = _common_start(names)
    prefix = prefix[: max(prefix.rfind("/"), prefix.rfind("-")) + 1]
    ends = [name[len(prefix) :] for name in names]
    suffix = _common_start([end[::-1] for end in ends])[::-1]
    suffix = suffix[suffix.find("-") :] if "-" in suffix else (suffix if suffix.startswith(".") else "")
    middles = [end[: len(end) - len(suffix)] if suffix else end for end in ends]
    return f"{prefix}<{'|'.join(middles)}>{suffix}"


def _common_start(texts: list[str]) -> str:
    first, last = min(texts), max(texts)
    size = next((i for i, (a, b) in enumerate(zip(first, last, strict=False)) if a != b), min(len(first), len(last)))
    return first[:size]


# ----- where the deployed stack's parameters come from -----------------------------------------
def from_samconfig(path: Path, env: str) -> Deployment:
    """The stack samconfig.toml's environment deploys: name, region and parameter overrides."""
    config = tomllib.loads(path.read_text())
    section = config.get(env) or {}
    merged: dict[str, Any] = {}
    for command in ("global", "deploy"):
        merged.update((section.get(command) or {}).get("parameters") or {})
    raw = merged.get("parameter_overrides") or ""
    pairs = raw if isinstance(raw, list) else shlex.split(str(raw))
    return Deployment(
        stack_name=str(merged.get("stack_name", Deployment.stack_name)),
        region=str(merged.get("region", Deployment.region)),
        overrides=dict(_pair(pair) for pair in pairs),
    )


_LONG = re.compile(r"ParameterKey=(?P<key>[^,]+),ParameterValue=(?P<value>.*)")


def _pair(text: str) -> tuple[str, str]:
    match = _LONG.fullmatch(text)
    if match:
        return match["key"], match["value"]
    key, equals, value = text.partition("=")
    if not (key and equals):
        raise SystemExit(f"a parameter is KEY=VALUE, not {text!r}")
    return key, value


def main(
    *,
    config_file: Path = ROOT / "samconfig.toml",
    config_env: str = "default",
    stack_name: str | None = None,
    region: str | None = None,
    deployed: list[str] | None = None,
    changes: list[str] | None = None,
    first: bool = False,
    delete: bool = False,
    deployed_template: Path | None = None,
    importers: list[Path] | None = None,
) -> int:
    """Print the plan; 1 when a step would be refused or the rehearsal finds something."""
    import logging

    logging.getLogger("samtranslator").setLevel(logging.ERROR)
    base = from_samconfig(config_file, config_env) if config_file.exists() else Deployment()
    overrides = {**(base.overrides or {}), **dict(_pair(p) for p in deployed or [])}
    current = Deployment(stack_name or base.stack_name, region or base.region, base.account, overrides)
    target = None if delete else Deployment(
        current.stack_name, current.region, current.account, {**overrides, **dict(_pair(p) for p in changes or [])}
    )  # fmt: skip
    imported: set[str] = set()
    for path in importers or []:
        imported |= imports_of(path)
    result = plan(
        None if first else current,
        target,
        before_document=load_yaml(deployed_template) if deployed_template else None,
        imported=imported,
    )
    what = "first deploy" if first else ("sam delete" if delete else "update")
    print(render(result, f"Change plan ({what}): {current.stack_name} in {current.region}"))
    return 1 if result.refused or result.findings else 0
