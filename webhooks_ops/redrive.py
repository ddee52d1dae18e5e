"""The failure-queue redrive, run by an operator: republish every kept event once, through its claim."""

from __future__ import annotations

import os
from typing import Any


def function_environment(function_name: str) -> dict[str, str]:
    """The environment a deployed function runs with: table, topics, failure queue, ..."""
    import boto3

    configuration: dict[str, Any] = boto3.client("lambda").get_function_configuration(FunctionName=function_name)
    return dict((configuration.get("Environment") or {}).get("Variables") or {})


def main(function_name: str | None, max_messages: int | None) -> int:
    """Republish the failure queue through the same claims; prints what happened to the messages."""
    from handler import config, failures

    environment = function_environment(function_name) if function_name else dict(os.environ)
    settings = config.from_env(environment)
    if not settings.failure_queue_url:
        print("no failure queue: pass --function <deployed function name>, or set FAILURE_QUEUE_URL")
        return 2
    report = failures.redrive(settings, max_messages=max_messages)
    print(
        f"received {report.received}: published {report.published}, already published {report.duplicates}, "
        f"failed {report.failed} (left on the queue), invalid {report.invalid} (left on the queue)"
    )
    return 0 if report.failed == 0 and report.invalid == 0 else 1
