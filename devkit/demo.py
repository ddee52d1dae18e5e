"""The main job, locally: every sample through the real handler into the stack emulated from template.yaml.

No AWS account and no Docker: moto emulates DynamoDB, SNS, SQS and Secrets Manager in-process.
Good samples are sent freshly signed, one is sent again to show it is not published twice, and the
bad ones are sent to show they are refused. Prints one row per request.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from typing import TextIO

from devkit.fifo import topic_deduplication
from devkit.queues import Message, drain
from devkit.runtime import REGION, handler_environment, invoke
from devkit.samples import SAMPLES, Sample, local_secrets
from devkit.stack import EmulatedStack, create_stack
from devkit.template import Template


@dataclass
class Row:
    """One request of the demo and what the subscribers saw."""

    case: str
    status: int
    answer: str
    received: dict[str, list[Message]]  # topic (short name) -> messages its subscriber queue received
    expected_status: int
    expected_published: bool

    @property
    def as_expected(self) -> bool:
        published = sum(len(messages) for messages in self.received.values())
        return self.status == self.expected_status and published == (1 if self.expected_published else 0)


def _answer(body: str) -> str:
    try:
        document = json.loads(body)
    except ValueError:
        return body[:40]
    if "error" in document:
        return f"{document['error']}: {document.get('message', '')}"
    return str(document.get("status", ""))


def _send(stack: EmulatedStack, sqs: object, case: str, sample: Sample, expect_published: bool) -> Row:
    response = invoke(sample.event())
    received = {logical: drain(sqs, url) for logical, url in stack.queues.items()}
    received = {stack.topic_name(logical): messages for logical, messages in received.items() if messages}
    return Row(case, response.status, _answer(response.body), received, sample.status, expect_published)


def run(mode: str = "standard") -> list[Row]:
    """Send every sample through the handler on a fresh emulated stack (DeliveryMode `mode`); one Row per request."""
    import boto3
    from moto import mock_aws

    rows: list[Row] = []
    overrides = {"DeliveryMode": mode}
    with mock_aws(), topic_deduplication(), handler_environment({}):
        stack = create_stack(
            Template.load(overrides=overrides),
            lambda service: boto3.client(service, region_name=REGION),
            local_secrets(),
        )
        sqs = boto3.client("sqs", region_name=REGION)
        with handler_environment(
            stack.environment | {"POWERTOOLS_LOG_LEVEL": "WARNING", "POWERTOOLS_METRICS_DISABLED": "true"}
        ):
            good = [sample for sample in SAMPLES if sample.good]
            for sample in good:
                rows.append(_send(stack, sqs, sample.name, sample, sample.publishes))
            for provider in ("bettermode", "cand"):
                again = next(sample for sample in good if sample.publishes and sample.provider == provider)
                rows.append(_send(stack, sqs, f"{again.name} (again)", again, expect_published=False))
            for sample in SAMPLES:
                if not sample.good:
                    rows.append(_send(stack, sqs, sample.name, sample, expect_published=False))
    return rows


def render(rows: list[Row], out: TextIO) -> None:
    """A readable table: request, HTTP status, answer, and what each subscriber queue received."""
    width = max(len(row.case) for row in rows)
    out.write(
        f"{'request (events/<name>.json)':<{width}}  HTTP  {'answer':<28}  topic's queue <- event_name (event_id)\n"
    )
    out.write(f"{'-' * width}  ----  {'-' * 28}  {'-' * 44}\n")
    for row in rows:
        got = [
            f"{topic} <- {m.attributes.get('event_name')} ({m.attributes.get('event_id')})"
            + (f" in group {m.group_id}" if m.group_id else "")  # fifo: the object it is ordered with
            for topic, messages in row.received.items()
            for m in messages
        ]
        mark = "" if row.as_expected else "   << UNEXPECTED"
        out.write(f"{row.case:<{width}}  {row.status:>4}  {row.answer[:28]:<28}  {', '.join(got) or '-'}{mark}\n")
    published = sum(len(m) for row in rows for m in row.received.values())
    refused = sum(1 for row in rows if row.status >= 400)
    out.write(
        f"\n{len(rows)} requests: {published} published, {refused} refused, "
        f"{sum(1 for row in rows if not row.as_expected)} unexpected\n"
    )


def main(out: TextIO = sys.stdout, mode: str = "standard") -> int:
    rows = run(mode)
    out.write(f"DeliveryMode={mode}\n")
    render(rows, out)
    return 0 if all(row.as_expected for row in rows) else 1
