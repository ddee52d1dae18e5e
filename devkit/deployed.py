"""The CloudFormation that `sam deploy` creates from template.yaml, produced offline.

Loops are unrolled (AWS::LanguageExtensions) and the SAM transform applied, so that tests and the
security scan see the resources that are deployed: the function's role and policies, the API
stage, one topic per noun. `python -m devkit deployed OUT.json` writes it.
"""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from devkit.template import Template


class NoManagedPolicies:
    """The translator asks IAM for managed policy ARNs only when a policy is named; none is."""

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


def translated(overrides: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The deployed CloudFormation for these parameter overrides (code as `sam package` leaves it: in S3)."""
    from samtranslator.translator.transform import transform

    template = Template.load(overrides=dict(overrides or {}))
    document = copy.deepcopy(template.document)
    document["Transform"] = [t for t in document["Transform"] if t != "AWS::LanguageExtensions"]
    for resource in document["Resources"].values():
        if resource["Type"] == "AWS::Serverless::Function":
            resource["Properties"]["CodeUri"] = "s3://packaged-artifacts/webhook-function.zip"
    with _region("us-east-1"):
        return transform(document, dict(template.parameters), NoManagedPolicies())


def main(out: str) -> int:
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    Path(out).write_text(json.dumps(translated(), indent=1, default=str) + "\n")
    print(f"wrote {out}")
    return 0
