"""The CloudFormation that `sam deploy` creates from template.yaml, produced offline by AWS's own code.

CloudFormation runs the template's transforms in order: `AWS::LanguageExtensions` (the loops),
then `AWS::Serverless-2016-10-31`. Here the loops are unrolled by the SAM CLI's port of the first
(`devkit.template.expand_loops`) and the result goes through the SAM translator, the library the
second runs, so that lint, the security scan, the tests and the deploy rehearsal all read the
resources that are deployed: the function's role and policies, the API stage, one topic per noun.
`python -m devkit deployed OUT.json` writes it.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from devkit.template import TEMPLATE, expand_loops, load_yaml, parameter_values

PACKAGED_CODE = "s3://packaged-artifacts/webhook-function.zip"  # where `sam package` leaves the code


@dataclass(frozen=True)
class Deployment:
    """What a `sam deploy` is given besides the template: the stack, the place and the parameters."""

    stack_name: str = "community-webhooks"
    region: str = "us-east-1"
    account: str = "123456789012"
    overrides: Mapping[str, str] | None = None


class NoManagedPolicies:
    """The translator asks IAM for managed policy ARNs only when a policy is named by name; none is."""

    def load(self) -> dict[str, str]:
        return {}


@contextmanager
def _region(name: str) -> Iterator[None]:
    """The translator fills in pseudo parameters from the process's region."""
    before = os.environ.get("AWS_DEFAULT_REGION")
    os.environ["AWS_DEFAULT_REGION"] = name
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("AWS_DEFAULT_REGION", None)
        else:
            os.environ["AWS_DEFAULT_REGION"] = before


def translated_document(document: Mapping[str, Any], deployment: Deployment = Deployment()) -> dict[str, Any]:
    """The deployed CloudFormation of a template document (code as `sam package` leaves it: in S3)."""
    from samtranslator.translator.transform import transform

    parameters = parameter_values(document, deployment.overrides)
    expanded = expand_loops(document, parameters, deployment.stack_name, deployment.region, deployment.account)
    expanded["Transform"] = [t for t in expanded["Transform"] if t != "AWS::LanguageExtensions"]
    for resource in expanded["Resources"].values():
        if resource["Type"] == "AWS::Serverless::Function":
            resource["Properties"]["CodeUri"] = PACKAGED_CODE
    values = {**parameters, "AWS::StackName": deployment.stack_name, "AWS::AccountId": deployment.account}
    with _region(deployment.region):
        return transform(expanded, values, NoManagedPolicies())


def translated(overrides: Mapping[str, str] | None = None, path: Path = TEMPLATE) -> dict[str, Any]:
    """The deployed CloudFormation of template.yaml for these parameter overrides."""
    return translated_document(load_yaml(path), Deployment(overrides=overrides))


_LONG_FORM = re.compile(r"ParameterKey=(?P<key>[^,]+),ParameterValue=(?P<value>.*)")


def overrides(pairs: list[str]) -> dict[str, str]:
    """Parameters as `sam deploy --parameter-overrides` takes them: `KEY=VALUE`, or its long form
    `ParameterKey=KEY,ParameterValue=VALUE`."""
    found: dict[str, str] = {}
    for pair in pairs:
        long_form = _LONG_FORM.fullmatch(pair)
        if long_form:
            found[long_form["key"]] = long_form["value"]
            continue
        key, equals, value = pair.partition("=")
        if not (key and equals):
            raise SystemExit(f"--parameter-overrides takes KEY=VALUE, not {pair!r}")
        found[key] = value
    return found


def main(out: str, parameters: Mapping[str, str] | None = None) -> int:
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    Path(out).write_text(json.dumps(translated(parameters), indent=1, default=str) + "\n")
    print(f"wrote {out}")
    return 0
