"""Helpers for the archive and replay tests: publish through the real handler, deliver, replay."""

from __future__ import annotations

import gzip
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest

from archive_replay.cli import main
from devkit.queues import Message, drain, subscribe_queue
from tests.conftest import CAND_TOKEN, REGION, Receiver, raw, sample

CAND_SAMPLES = Path(__file__).resolve().parents[2] / "events" / "payloads" / "cand"
EVERYTHING = ("--since", "2000-01-01", "--until", "2100-01-01")
BETTERMODE = ("post.published", "post.created", "reaction.added", "space.created", "member.created", "widget.spun")
CAND = ("member.joined", "product.created")


@dataclass
class Replay:
    code: int
    out: str
    err: str


def cand_body(name: str) -> bytes:
    return (CAND_SAMPLES / f"{name}.json").read_bytes()


def publish_samples(receiver: Receiver) -> dict[str, bytes]:
    """Bettermode and canD samples published through the handler (one to the catch-all); event_id -> body."""
    published: dict[str, bytes] = {}
    for name in BETTERMODE:
        document = sample(name)
        body = raw(document)
        assert receiver.post(body).status == 200
        published[document["data"]["id"]] = body
    for name in CAND:
        body = cand_body(name)
        assert receiver.post_cand(body, CAND_TOKEN).status == 200
    for messages in receiver.received().values():  # what the live subscribers got: the ids of every event
        for message in messages:
            published.setdefault(message.attributes["event_id"], message.body.encode())
    return published


def archived_lines(bucket: str, prefix: str = "events/") -> dict[str, list[dict[str, Any]]]:
    """Every archived envelope by object key."""
    s3 = boto3.client("s3", region_name=REGION)
    found: dict[str, list[dict[str, Any]]] = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            data = gzip.decompress(s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read())
            found[item["Key"]] = [json.loads(line) for line in data.splitlines()]
    return found


def queue(name: str) -> str:
    return boto3.client("sqs", region_name=REGION).create_queue(QueueName=name)["QueueUrl"]


def received(url: str) -> list[Message]:
    return drain(boto3.client("sqs", region_name=REGION), url)


def subscriber(receiver: Receiver, topic: str, name: str, policy: dict[str, Any] | None = None) -> str:
    """A raw-delivery queue subscribed to one of the stack's topics, with an attribute filter policy."""
    extra = {"FilterPolicy": json.dumps(policy)} if policy else {}
    return subscribe_queue(
        boto3.client("sns", region_name=REGION),
        boto3.client("sqs", region_name=REGION),
        receiver.stack.topics[topic],
        name,
        **extra,
    )


@pytest.fixture
def bucket(receiver: Receiver) -> str:
    assert receiver.stack.archive is not None
    return receiver.stack.archive.writer.bucket


@pytest.fixture
def replay(bucket: str) -> Any:
    """Runs `python -m archive_replay` in-process against moto: `replay("--queue", url, ...)`."""

    def run(*args: str, bucket_name: str | None = bucket, window: tuple[str, ...] = EVERYTHING) -> Replay:
        out, err = io.StringIO(), io.StringIO()
        argv = [*(("--bucket", bucket_name) if bucket_name else ()), *window, *args]
        code = main(argv, out=out, err=err, session=boto3.session.Session(region_name=REGION))
        return Replay(code, out.getvalue(), err.getvalue())

    return run
