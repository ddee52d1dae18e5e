"""Read template.yaml offline: short tags, Fn::ForEach, Conditions and the intrinsics the stack uses.

Local runs and tests build their resources from the template through this module, so that what
runs locally and what is deployed cannot drift apart.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "template.yaml"
NO_VALUE = object()  # AWS::NoValue: the property is left out


# libyaml's parser when PyYAML has it (its wheels do): the same data, parsed about 8x faster, which
# the tests feel, since they read the template for every parameter set they check.
_SafeLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_SafeLoader):  # type: ignore[misc]
    """SafeLoader that reads CloudFormation's short tags (`!Ref X`) as their long form."""


def _short_tag(loader: Any, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    if suffix in ("Ref", "Condition"):
        return {suffix: value}
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{suffix}": value}


_Loader.add_multi_constructor("!", _short_tag)


def load_yaml(path: Path = TEMPLATE) -> dict[str, Any]:
    """The template as plain data, short tags in long form."""
    with path.open(encoding="utf-8") as handle:
        document: dict[str, Any] = yaml.load(handle, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    return document


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def parameter_values(document: Mapping[str, Any], overrides: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Each parameter's value as CloudFormation passes it: the override, else the default.

    A CommaDelimitedList is a list of its trimmed items, as `Ref` gives it; a parameter with
    neither is left out.
    """
    values: dict[str, Any] = {}
    for name, spec in (document.get("Parameters") or {}).items():
        raw = (overrides or {}).get(name, spec.get("Default"))
        if raw is None:
            continue
        if spec.get("Type") == "CommaDelimitedList" and not isinstance(raw, list):
            raw = [part.strip() for part in _text(raw).split(",")]
        values[name] = raw if isinstance(raw, list) else _text(raw)
    return values


def expand_loops(
    document: Mapping[str, Any], parameters: Mapping[str, Any], stack_name: str, region: str, account: str
) -> dict[str, Any]:
    """`Fn::ForEach` unrolled by the SAM CLI's own `AWS::LanguageExtensions` processing.

    Only the loops: the other intrinsics stay for the SAM translator and CloudFormation to
    evaluate. (The SAM CLI's default pipeline also resolves intrinsics for its local commands, and
    in doing so drops the `Fn::Sub` around a placeholder it cannot resolve, such as a resource's
    attribute, which would lint as a literal `${...}`.) Duplicate items fail here, as they fail
    the transform: "produced logical IDs that conflict with existing entries".
    """
    from samcli.lib.cfn_language_extensions.api import create_default_intrinsic_resolver
    from samcli.lib.cfn_language_extensions.models import (
        PseudoParameterValues,
        ResolutionMode,
        TemplateProcessingContext,
    )
    from samcli.lib.cfn_language_extensions.pipeline import ProcessingPipeline
    from samcli.lib.cfn_language_extensions.processors.foreach import ForEachProcessor
    from samcli.lib.cfn_language_extensions.processors.parsing import TemplateParsingProcessor

    context = TemplateProcessingContext(
        fragment=copy.deepcopy(dict(document)),
        parameter_values=dict(parameters),
        pseudo_parameters=PseudoParameterValues(region=region, account_id=account, stack_name=stack_name),
        resolution_mode=ResolutionMode.PARTIAL,
    )
    resolver = create_default_intrinsic_resolver(context)
    pipeline = ProcessingPipeline([TemplateParsingProcessor(), ForEachProcessor(intrinsic_resolver=resolver)])
    return _name_replicated_resources(pipeline.process_template(context), resolver.resolve_value)


def _name_replicated_resources(node: Any, resolve: Any) -> Any:
    """`Fn::GetAtt: [{Fn::Sub: "Topic${X}"}, Attr]` and `Ref: {Fn::Sub: ...}`, the documented ways to
    point at a resource a loop made, with the logical id resolved (AWS CloudFormation Template Reference, "Examples of
    Fn::ForEach in the Outputs section"): the transform hands CloudFormation a plain id.
    """
    if isinstance(node, list):
        return [_name_replicated_resources(item, resolve) for item in node]
    if not isinstance(node, dict):
        return node
    target = node.get("Fn::GetAtt")
    if len(node) == 1 and isinstance(target, list) and len(target) == 2 and isinstance(target[0], dict):
        return {"Fn::GetAtt": [resolve(target[0]), target[1]]}
    # `Ref: {Fn::Sub: "Name${X}"}`, a loop's resource by name (the Fn::ForEach RFC, "Use case 2":
    # https://github.com/aws-cloudformation/cfn-language-discussion/blob/main/RFCs/0009-Fn%3A%3AForEach.md)
    if len(node) == 1 and isinstance(node.get("Ref"), dict):
        return {"Ref": resolve(node["Ref"])}
    return {key: _name_replicated_resources(value, resolve) for key, value in node.items()}


@dataclass
class Template:
    """A template with its parameters, loops unrolled and false-condition resources dropped."""

    document: dict[str, Any]
    parameters: dict[str, Any]
    stack_name: str = "webhooks-local"
    region: str = "us-east-1"
    account: str = "123456789012"
    physical: dict[str, dict[str, str]] = field(default_factory=dict)  # logical id -> {"Ref": .., attr: ..}

    @classmethod
    def load(cls, path: Path = TEMPLATE, overrides: Mapping[str, str] | None = None, **kwargs: Any) -> Template:
        document = load_yaml(path)
        template = cls(document=document, parameters=parameter_values(document, overrides), **kwargs)
        template.document = expand_loops(
            document, template.parameters, template.stack_name, template.region, template.account
        )
        return template

    def condition(self, name: str) -> bool:
        return bool(self.resolve(self.document["Conditions"][name]))

    @property
    def resources(self) -> dict[str, dict[str, Any]]:
        """Resources whose Condition holds."""
        return {
            logical: resource
            for logical, resource in self.document["Resources"].items()
            if "Condition" not in resource or self.condition(resource["Condition"])
        }

    def of_type(self, kind: str) -> dict[str, dict[str, Any]]:
        return {logical: resource for logical, resource in self.resources.items() if resource["Type"] == kind}

    def function(self, logical: str) -> dict[str, Any]:
        """A function's properties with Globals.Function merged in (the function's own win)."""
        merged = dict((self.document.get("Globals") or {}).get("Function") or {})
        merged.update(self.resources[logical]["Properties"])
        return merged

    def environment(self, logical: str) -> dict[str, str]:
        """A function's environment variables, resolved against the physical resources."""
        variables = ((self.function(logical).get("Environment") or {}).get("Variables")) or {}
        resolved = {name: self.resolve(value) for name, value in variables.items()}
        return {name: _text(value) for name, value in resolved.items() if value is not NO_VALUE}

    # ----- intrinsics ------------------------------------------------------------------------
    def pseudo(self, name: str) -> str | None:
        return {
            "AWS::StackName": self.stack_name,
            "AWS::Region": self.region,
            "AWS::AccountId": self.account,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackId": (
                f"arn:aws:cloudformation:{self.region}:{self.account}:stack/{self.stack_name}"
                "/00000000-0000-0000-0000-000000000000"
            ),
        }.get(name)

    def ref(self, name: str) -> Any:
        if name == "AWS::NoValue":
            return NO_VALUE
        if name in self.parameters:
            return self.parameters[name]
        if (value := self.pseudo(name)) is not None:
            return value
        if name in self.physical:
            return self.physical[name]["Ref"]
        raise KeyError(f"cannot resolve Ref {name} (not a parameter with a default or a created resource)")

    def resolve(self, node: Any) -> Any:
        """The value of an intrinsic expression (or plain data)."""
        if isinstance(node, list):
            return [value for value in (self.resolve(item) for item in node) if value is not NO_VALUE]
        if not isinstance(node, dict):
            return node
        if len(node) == 1:
            ((key, arg),) = node.items()
            function = self._functions().get(key)
            if function is not None:
                return function(arg)
        resolved = {key: self.resolve(value) for key, value in node.items()}
        return {key: value for key, value in resolved.items() if value is not NO_VALUE}

    def _functions(self) -> dict[str, Any]:
        return {
            "Ref": self.ref,
            "Condition": self.condition,
            "Fn::GetAtt": self._get_att,
            "Fn::Sub": self._sub,
            "Fn::Join": lambda arg: arg[0].join(_text(value) for value in self.resolve(arg[1])),
            "Fn::Split": lambda arg: self.resolve(arg[1]).split(arg[0]),
            "Fn::Select": lambda arg: self.resolve(arg[1])[int(self.resolve(arg[0]))],
            "Fn::If": lambda arg: self.resolve(arg[1] if self.condition(arg[0]) else arg[2]),
            "Fn::Equals": lambda arg: _text(self.resolve(arg[0])) == _text(self.resolve(arg[1])),
            "Fn::Not": lambda arg: not self.resolve(arg[0]),
            "Fn::And": lambda arg: all(self.resolve(value) for value in arg),
            "Fn::Or": lambda arg: any(self.resolve(value) for value in arg),
        }

    def _get_att(self, arg: list[Any]) -> str:
        logical, attribute = (self.resolve(part) for part in arg)
        return self.physical[logical][attribute]

    def _sub(self, arg: str | list[Any]) -> str:
        text, extra = (arg, {}) if isinstance(arg, str) else (arg[0], self.resolve(arg[1]))

        def substitute(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in extra:
                return _text(extra[name])
            if "." in name:
                logical, attribute = name.split(".", 1)
                return self.physical[logical][attribute]
            value = self.ref(name)
            return ",".join(value) if isinstance(value, list) else _text(value)

        return re.sub(r"\$\{([^!}][^}]*)\}", substitute, text)
