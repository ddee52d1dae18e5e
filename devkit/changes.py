"""What CloudFormation does to a stack that exists when its template or parameters change.

Both sides are the template as `sam deploy` hands it over (`devkit.deployed`), evaluated offline
(`devkit.rehearsal.WorstCase`). A resource whose create-only property changes is replaced: the
property list is each type's `createOnlyProperties` in its CloudFormation registry schema, as
cfn-lint ships it, never a hand-kept list ("Update behaviors of stack resources":
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-updating-stacks-update-behaviors.html).
A replacement reaches whatever refers to it: its new physical id or ARN is a changed value there,
so the comparison runs again until nothing more is replaced.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, fields
from typing import Any, Literal

from devkit.deployed import Deployment
from devkit.rehearsal import WorstCase, evaluated
from devkit.template import NO_VALUE

NEW = "#replaced"  # marks a replaced resource's new physical ids and attributes
Action = Literal["add", "remove", "replace", "modify"]


@dataclass
class _Marked(WorstCase):
    """The new side: a replaced resource's attributes differ from the old one's."""

    replaced: frozenset[str] = frozenset()

    def attributes(self, logical: str) -> dict[str, str]:
        values = super().attributes(logical)
        return {key: value + NEW for key, value in values.items()} if logical in self.replaced else values

    def _get_att(self, arg: list[Any]) -> str:
        value = super()._get_att(arg)
        logical = self.resolve(arg[0])
        return value + NEW if logical in self.replaced and not value.endswith(NEW) else value

    def _sub(self, arg: str | list[Any]) -> str:
        text = arg if isinstance(arg, str) else arg[0]
        for logical in self.replaced:
            for name in (f"${{{logical}}}", f"${{{logical}."):
                if name in text:
                    self.ref(logical)
        return super()._sub(arg)


@dataclass(frozen=True)
class Resource:
    """One resource as CloudFormation would hold it: type, resolved properties and policies."""

    kind: str
    properties: dict[str, Any]
    deletion: str = "Delete"
    replacement: str = "Delete"

    def get(self, *path: str) -> Any:
        node: Any = self.properties
        for key in path:
            if not isinstance(node, Mapping) or key not in node:
                return None
            node = node[key]
        return node


@dataclass
class Side:
    """One stack: its resources, outputs and exports (empty for a stack that does not exist)."""

    deployment: Deployment | None
    template: WorstCase | None = None
    resources: dict[str, Resource] = field(default_factory=dict)
    outputs: dict[str, str] = field(default_factory=dict)
    exports: dict[str, str] = field(default_factory=dict)  # export name -> value


def side(
    deployment: Deployment | None, document: Mapping[str, Any] | None = None, replaced: frozenset[str] = frozenset()
) -> Side:
    """The stack one deployment makes (None: no stack, as after `sam delete`)."""
    if deployment is None:
        return Side(None)
    base = evaluated(deployment, document)
    template = _Marked(**{f.name: getattr(base, f.name) for f in fields(WorstCase)}, replaced=replaced)
    template.physical = {}
    result = Side(deployment, template)
    for logical, resource in template.document["Resources"].items():
        if "Condition" in resource and not template.condition(resource["Condition"]):
            continue
        properties = template.resolve(resource.get("Properties") or {})
        result.resources[logical] = Resource(
            kind=resource["Type"],
            properties=properties if properties is not NO_VALUE else {},
            deletion=str(resource.get("DeletionPolicy", "Delete")),
            replacement=str(resource.get("UpdateReplacePolicy", "Delete")),
        )
    for logical, output in (template.document.get("Outputs") or {}).items():
        if "Condition" in output and not template.condition(output["Condition"]):
            continue
        value = str(template.resolve(output["Value"]))
        result.outputs[logical] = value
        if "Export" in output:
            result.exports[str(template.resolve(output["Export"]["Name"]))] = value
    return result


@functools.cache
def create_only(kind: str) -> tuple[tuple[str, ...], ...]:
    """The create-only property paths of a resource type (none for a custom resource)."""
    if not kind.startswith("AWS::"):
        return ()
    from cfnlint.schema.manager import PROVIDER_SCHEMA_MANAGER

    schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema("us-east-1", kind).schema
    return tuple(tuple(pointer.split("/")[2:]) for pointer in schema.get("createOnlyProperties") or ())


@dataclass(frozen=True)
class Change:
    logical: str
    kind: str
    action: Action
    properties: tuple[str, ...] = ()  # what changed (for a replacement: the create-only ones)
    retained: bool = False  # removed or replaced, and the old physical resource stays (Retain)


@dataclass
class Diff:
    before: Side
    after: Side
    changes: list[Change]

    def of(self, action: Action) -> list[Change]:
        return [change for change in self.changes if change.action == action]

    @property
    def gone(self) -> Iterator[Change]:
        """Resources whose old physical resource CloudFormation deletes or leaves behind."""
        return (change for change in self.changes if change.action in ("remove", "replace"))

    @property
    def exports_changed(self) -> list[str]:
        return sorted(
            name
            for name, value in self.before.exports.items()
            if name in self.after.exports and self.after.exports[name] != value
        )

    @property
    def exports_removed(self) -> list[str]:
        return sorted(set(self.before.exports) - set(self.after.exports))


def _same(a: Any, b: Any) -> bool:
    return json.dumps(a, sort_keys=True, default=str) == json.dumps(b, sort_keys=True, default=str)


def _replacing(old: Resource, new: Resource) -> tuple[str, ...]:
    if old.kind != new.kind:
        return ("Type",)
    return tuple(".".join(path) for path in create_only(old.kind) if not _same(old.get(*path), new.get(*path)))


def compare(
    before: Deployment | None,
    after: Deployment | None,
    before_document: Mapping[str, Any] | None = None,
    after_document: Mapping[str, Any] | None = None,
) -> Diff:
    """Every resource CloudFormation adds, removes, replaces or modifies going from one to the other."""
    old = side(before, before_document)
    replaced: frozenset[str] = frozenset()
    while True:
        new = side(after, after_document, replaced)
        common = set(old.resources) & set(new.resources)
        found = frozenset(logical for logical in common if _replacing(old.resources[logical], new.resources[logical]))
        if found <= replaced:
            break
        replaced |= found
    changes: list[Change] = []
    for logical in sorted(set(old.resources) | set(new.resources)):
        was, now = old.resources.get(logical), new.resources.get(logical)
        if was is None and now is not None:
            changes.append(Change(logical, now.kind, "add"))
        elif now is None and was is not None:
            changes.append(
                Change(logical, was.kind, "remove", retained=was.deletion in ("Retain", "RetainExceptOnCreate"))
            )
        elif was is not None and now is not None:
            if logical in replaced:
                changes.append(
                    Change(logical, was.kind, "replace", _replacing(was, now), retained=was.replacement == "Retain")
                )
                continue
            differ = tuple(
                key
                for key in sorted(set(was.properties) | set(now.properties))
                if not _same(was.properties.get(key), now.properties.get(key))
            )
            if differ:
                changes.append(Change(logical, was.kind, "modify", differ))
    return Diff(old, new, changes)
