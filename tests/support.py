"""Helpers several test modules share: sample bodies of a given size, and SNS faults on the handler's client.

Test modules import these from here, never from one another.
"""

from __future__ import annotations

import json
from typing import Any

import boto3
from botocore.exceptions import ClientError

from devkit.samples import PAYLOADS
from handler import container
from tests.conftest import REGION, Receiver, sample
from webhooks_ops.redrive import RedriveReport
from webhooks_ops.redrive import redrive as run_redrive


def event_of_size(total: int, event_id: str = "b" * 32) -> bytes:
    """A post.published body of exactly `total` bytes (padded in the post's content)."""
    document = sample("post.published")
    document["data"]["id"] = event_id
    document["data"]["object"]["shortContent"] = ""
    base = len(json.dumps(document).encode())
    document["data"]["object"]["shortContent"] = "x" * (total - base)
    body = json.dumps(document).encode()
    assert len(body) == total
    return body


def cand(name: str) -> dict[str, Any]:
    """A canD sample payload (events/payloads/cand/<name>.json)."""
    return json.loads((PAYLOADS / "cand" / f"{name}.json").read_text(encoding="utf-8"))


def break_sns() -> None:
    """Every SNS publish of the handler fails, until `repair_sns`."""

    def fail(**_: Any) -> None:
        raise ClientError({"Error": {"Code": "InternalError", "Message": "injected"}}, "Publish")

    container.current().clients("sns").meta.events.register("before-call.sns.Publish", fail, unique_id="broken")


def repair_sns() -> None:
    container.current().clients("sns").meta.events.unregister("before-call.sns.Publish", unique_id="broken")


def queued(receiver: Receiver) -> list[dict[str, Any]]:
    """The envelopes on the failure queue (left there)."""
    sqs = boto3.client("sqs", region_name=REGION)
    url = receiver.stack.failure_queue_url
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0).get("Messages", [])
    return [json.loads(m["Body"]) for m in messages]


def redrive(**options: Any) -> RedriveReport:
    """The operator's redrive, run with the function's settings and the container's clients.

    Without a long poll unless asked: the emulated queue answers every message to a short poll.
    """
    state = container.current()
    return run_redrive(state.settings, state.clients, **{"wait_seconds": 0, **options})
