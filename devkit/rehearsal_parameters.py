"""What `sam deploy` is given besides the template, checked as CloudFormation checks it before anything
is created: the stack name and the parameter values, each on its own and in combination.

Part of the deploy rehearsal (`devkit.rehearsal`); each check names its source.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from devkit.template import Template, parameter_values

Found = Callable[[str, str], None]

# AWS CloudFormation API Reference, CreateStack, StackName
# (https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_CreateStack.html): "A stack name
# can contain only alphanumeric characters (case sensitive) and hyphens. It must start with an alphabetical
# character and can't be longer than 128 characters." (the pattern [A-Za-z][A-Za-z0-9-]{0,127}).
STACK_NAME = re.compile(r"[A-Za-z][A-Za-z0-9-]{0,127}")


def stack_name_refused(name: str) -> str | None:
    """Why CloudFormation refuses this stack name, or None. Every physical name and export derives
    from it, so a refused one is the only finding worth reading."""
    if STACK_NAME.fullmatch(name):
        return None
    shown = repr(name) if len(name) <= 60 else f"'{name[:40]}...' ({len(name)} characters)"
    return (
        f"{shown}: CloudFormation refuses it: a stack name can contain only alphanumeric characters "
        "(case-sensitive) and hyphens, must start with an alphabetic character and can't be longer than 128 "
        "characters"
    )


def parameters(source: Mapping[str, Any], given: Mapping[str, str], found: Found) -> bool:
    """The values given, as CloudFormation checks them before anything is created: each names a
    parameter of the template and keeps to its constraints ("Parameters" section:
    https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/parameters-section-structure.html).
    False when the template cannot be expanded with them at all (a loop would repeat a logical id)."""
    declared = source.get("Parameters") or {}
    read_whole = _read_by_the_receiver(source)
    looped = loop_collections(source)
    expandable = True
    for name, value in given.items():
        spec = declared.get(name)
        where = f"Parameters.{name}"
        if spec is None:
            found(where, "the template has no such parameter (CloudFormation refuses the stack)")
            continue
        if spec.get("Type") == "Number" and name in read_whole and not re.fullmatch(r"-?[0-9]+", value.strip()):
            found(where, f"{value!r}: a Number may be a decimal, but the receiver reads a whole number here "
                  "(it would answer every request 503 not_configured)")  # fmt: skip
            continue
        items = [item.strip() for item in value.split(",")] if spec.get("Type") == "CommaDelimitedList" else [value]
        for item in items:
            problem = _constraint_broken(spec, item)
            if problem:
                found(where, f"{item!r}: {problem}")
        if name in looped and not _each_item_once(items, looped[name], functools.partial(found, where)):
            expandable = False
    return expandable


def foreach_loops(source: Mapping[str, Any]) -> Iterator[tuple[str, str, str, Any, dict[str, Any]]]:
    """Each Fn::ForEach of the template: section, loop name, identifier, collection and body."""
    for section in ("Conditions", "Resources", "Outputs"):
        for key, loop in (source.get(section) or {}).items():
            if key.startswith("Fn::ForEach::") and isinstance(loop, list) and len(loop) == 3:
                identifier, collection, body = loop
                if isinstance(body, dict):
                    yield section, key, str(identifier), collection, body


def loop_collections(source: Mapping[str, Any]) -> dict[str, str]:
    """The parameters an Fn::ForEach loops over, each with what one item makes ("each noun is one topic")."""
    looped: dict[str, str] = {}
    for section, _, identifier, collection, body in foreach_loops(source):
        if not (isinstance(collection, dict) and isinstance(collection.get("Ref"), str)):
            continue
        # what the loop is for: its plainest-named resource (Topic&{Noun}, beside PublishTo&{Noun}, ...)
        kinds = [body[name].get("Type", "") for name in sorted(body, key=len) if isinstance(body[name], dict)]
        made = kinds[0].rsplit("::", 1)[-1].lower() if section == "Resources" and kinds else ""
        if made or collection["Ref"] not in looped:
            looped[collection["Ref"]] = f"each {identifier.lower()} is one {made or 'entry'}"
    return looped


def loop_ids(source: Mapping[str, Any], given: Mapping[str, str] | None) -> dict[str, tuple[str, str]]:
    """Each logical id an Fn::ForEach makes with these parameters, with its loop and item (the noun)."""
    values = parameter_values(source, given)
    made: dict[str, tuple[str, str]] = {}
    for section, key, identifier, collection, body in foreach_loops(source):
        items = values.get(collection["Ref"]) if isinstance(collection, dict) and "Ref" in collection else collection
        for item in map(str, items if isinstance(items, list) else []):
            for output_key in body:
                logical = output_key.replace(f"&{{{identifier}}}", _letters_and_digits(item))
                made[logical.replace(f"${{{identifier}}}", item)] = (f"{section}.{key}", item)
    return made


def _letters_and_digits(item: str) -> str:
    """What `&{Identifier}` puts in a logical id."""
    return re.sub(r"[^A-Za-z0-9]", "", item)


def _each_item_once(items: list[str], each: str, found: Callable[[str], None]) -> bool:
    """Fn::ForEach refuses a collection whose items make the same logical id twice ("produced logical IDs
    that conflict with existing entries"); `&{Identifier}` keeps only an item's letters and digits
    (AWS CloudFormation Template Reference, Fn::ForEach:
    https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/intrinsic-function-reference-foreach.html)."""
    first: dict[str, str] = {}
    counts: dict[str, int] = {}
    for item in items:
        key = _letters_and_digits(item)
        first.setdefault(key, item)
        counts[key] = counts.get(key, 0) + 1
    for key, count in counts.items():
        if count < 2:
            continue
        spellings = sorted({item for item in items if _letters_and_digits(item) == key}, key=items.index)
        if len(spellings) == 1:
            found(f"{first[key]} is given {'twice' if count == 2 else f'{count} times'}; {each}")
        else:
            found(f"{' and '.join(spellings)} make the same logical ids (a loop keeps only letters and digits); {each}")
    return all(count < 2 for count in counts.values())


def _read_by_the_receiver(source: Mapping[str, Any]) -> set[str]:
    """The parameters the receiver's environment takes (`Ref` in WebhookFunction's variables)."""
    function = (source.get("Resources") or {}).get("WebhookFunction") or {}
    variables = ((function.get("Properties") or {}).get("Environment") or {}).get("Variables") or {}
    return {value["Ref"] for value in variables.values() if isinstance(value, dict) and "Ref" in value}


def _constraint_broken(spec: Mapping[str, Any], value: str) -> str | None:
    allowed = spec.get("AllowedValues")
    if allowed is not None and value not in [str(option).lower() if isinstance(option, bool) else str(option)
                                             for option in allowed]:  # fmt: skip
        return f"not one of {', '.join(map(str, allowed))}"
    if "AllowedPattern" in spec and not re.fullmatch(str(spec["AllowedPattern"]), value):
        return f"does not match {spec['AllowedPattern']}"
    if spec.get("Type") == "Number":
        try:
            number = float(value)
        except ValueError:
            return "not a number"
        if "MinValue" in spec and number < float(spec["MinValue"]):
            return f"below MinValue {spec['MinValue']}"
        if "MaxValue" in spec and number > float(spec["MaxValue"]):
            return f"above MaxValue {spec['MaxValue']}"
    if "MinLength" in spec and len(value) < int(spec["MinLength"]):
        return f"shorter than MinLength {spec['MinLength']}"
    if "MaxLength" in spec and len(value) > int(spec["MaxLength"]):
        return f"longer than MaxLength {spec['MaxLength']}"
    return None


# ----- combinations CloudFormation takes that do not do what was asked ------------------------------
def combinations(source: Mapping[str, Any], given: Mapping[str, str], found: Found) -> None:
    """Values each valid on its own that together leave out what one of them asks for, read as the stack
    gets them (defaults apply) and through the template's own Conditions."""
    values = parameter_values(source, given)
    conditions = source.get("Conditions") or {}
    template = Template(document={"Conditions": conditions, "Resources": {}}, parameters=values)

    def holds(name: str) -> bool | None:
        try:
            return template.condition(name)
        except (KeyError, IndexError, TypeError, ValueError):
            return None

    # Condition DriftReport requires ArchiveToS3; the default "true" is no request, only a given one is
    if given.get("EnableDriftReport") == "true" and holds("DriftReport") is False and holds("ArchiveToS3") is False:
        found(
            "Parameters.EnableDriftReport",
            "EnableDriftReport=true has no effect: the drift report reads the S3 archive "
            "(EnableArchive=true, DeliveryMode=standard)",
        )
    # ArchiveRetentionDays' description: "While the archive is on, events over 256 KiB stay in the payload
    # bucket as long (the archive holds their S3 pointer), so keep it at least LargePayloadRetentionDays."
    if holds("ArchiveEvents"):
        archive, payloads = values.get("ArchiveRetentionDays"), values.get("LargePayloadRetentionDays")
        try:
            shorter = float(str(archive)) < float(str(payloads))
        except ValueError:
            return
        if shorter:
            found(
                "Parameters.ArchiveRetentionDays",
                f"{archive} days is below LargePayloadRetentionDays ({payloads}): while the archive is on, events "
                f"over 256 KiB stay in the payload bucket as long as the archive keeps them ({archive} days, not "
                f"{payloads}); keep it at least LargePayloadRetentionDays",
            )
