"""The function and HTTPS targets, throttling and partial batch failures, the attribute limit, the reader."""

from __future__ import annotations

import gzip
import io
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import boto3
import pytest
from botocore.exceptions import ClientError

from archive_format import ArchivedEvent, Position, Unreadable, events_in, lines
from archive_replay.cli import archive_bucket, parser
from archive_replay.marking import MAX_ATTRIBUTES, replay_attributes
from archive_replay.retry import Backoff
from archive_replay.targets import QueueTarget, TopicsTarget, replayed
from tests.archive.conftest import publish_samples
from tests.conftest import REGION, Receiver
from tests.support import event_of_size
from webhook_events import PostEvent, parse_record


class Session:
    """A boto3 session whose clients are moto's, except those given."""

    def __init__(self, **fakes: Any) -> None:
        self.fakes = fakes

    def client(self, service: str, config: Any = None) -> Any:
        return self.fakes.get(service) or boto3.client(service, region_name=REGION, config=config)


class FakeLambda:
    def __init__(self, statuses: list[int] | None = None) -> None:
        self.invocations: list[dict[str, Any]] = []
        self.statuses = statuses or []

    def get_function_configuration(self, FunctionName: str) -> dict[str, Any]:
        return {"FunctionName": FunctionName}

    def invoke(self, FunctionName: str, InvocationType: str, Payload: bytes) -> dict[str, Any]:
        if self.statuses and self.statuses.pop(0) == 429:
            raise ClientError({"Error": {"Code": "TooManyRequestsException"}}, "Invoke")
        self.invocations.append({"name": FunctionName, "type": InvocationType, "event": json.loads(Payload)})
        return {"StatusCode": 202}


def run(*args: str, session: Any, bucket: str) -> tuple[int, str, str]:
    from archive_replay.cli import main

    out, err = io.StringIO(), io.StringIO()
    code = main(
        ["--bucket", bucket, "--since", "2000-01-01", "--until", "2100-01-01", *args], out=out, err=err, session=session
    )
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def no_sleep(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    waits: list[float] = []
    monkeypatch.setattr("archive_replay.retry.time.sleep", waits.append)
    return waits


def test_a_function_gets_the_event_sns_would_give_it_and_handles_it_unchanged(
    receiver: Receiver, bucket: str, no_sleep: list[float]
) -> None:
    publish_samples(receiver)
    assert receiver.stack.archive is not None
    receiver.stack.archive.deliver()
    function = FakeLambda(statuses=[429])  # throttled once: backed off and tried again
    code, out, _err = run(
        "--function", "posts", "--event-name", "post.published", session=Session(**{"lambda": function}), bucket=bucket
    )
    assert code == 0, out
    [call] = function.invocations
    assert call["name"] == "posts" and call["type"] == "Event"  # asynchronous, as SNS invokes
    [record] = call["event"]["Records"]
    assert record["EventSource"] == "aws:sns"
    delivery = parse_record(record, PostEvent)  # what a subscribed function already does
    assert delivery.event_name == "post.published"
    assert delivery.attributes["replay_id"].startswith("replay-")
    assert delivery.topic_arn == receiver.stack.topics["TopicPOST"]
    assert len(no_sleep) == 1


class Recorder(BaseHTTPRequestHandler):
    answers: ClassVar[list[int]] = []
    requests: ClassVar[list[tuple[dict[str, str], bytes]]] = []  # header names in lower case

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        status = self.answers.pop(0) if self.answers else 200
        if status == 200:
            self.requests.append(({k.lower(): v for k, v in self.headers.items()}, body))
        self.send_response(status)
        self.send_header("Retry-After", "0")
        self.end_headers()

    def log_message(self, *_: Any) -> None:
        pass


@pytest.fixture
def endpoint() -> Iterator[tuple[str, type[Recorder]]]:
    Recorder.answers, Recorder.requests = [], []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", Recorder
    server.shutdown()


def test_an_https_endpoint_gets_the_body_with_attributes_as_headers_and_large_bodies_resolved(
    receiver: Receiver, bucket: str, endpoint: tuple[str, type[Recorder]], no_sleep: list[float]
) -> None:
    url, recorder = endpoint
    large = event_of_size(300_000, event_id="a" * 32)
    assert receiver.post(large).status == 200
    assert receiver.stack.archive is not None
    receiver.stack.archive.deliver()
    recorder.answers = [503, 429]  # retried, then taken
    code, out, err = run(
        "--endpoint", url, "--header", "Authorization: Bearer s3cret", session=Session(), bucket=bucket
    )
    assert code == 0, err
    assert "sent 1" in out
    [(headers, body)] = recorder.requests
    assert body == large  # the pointer resolved from the payload bucket
    assert headers["authorization"] == "Bearer s3cret"
    assert headers["x-message-attribute-event_id"] == "a" * 32
    assert headers["x-message-attribute-replay_id"].startswith("replay-")
    assert "x-message-attribute-extendedpayloadsize" not in headers
    assert len(no_sleep) == 2


def test_an_endpoint_that_refuses_fails_the_event_and_the_exit_code(
    receiver: Receiver, bucket: str, endpoint: tuple[str, type[Recorder]]
) -> None:
    url, recorder = endpoint
    publish_samples(receiver)
    assert receiver.stack.archive is not None
    receiver.stack.archive.deliver()
    recorder.answers = [400] * 100
    code, out, err = run("--endpoint", url, "--noun", "POST", session=Session(), bucket=bucket)
    assert code == 1
    assert "read 4, sent 0, skipped 2 (not selected), failed 2" in out  # POST and the catch-all's partitions
    assert err.count("failed: events/source=bettermode/noun=POST/") == 1  # each reason once
    assert "HTTP 400" in err


# ----- batches: limits, throttling, partial failures -------------------------------------------------------
def event(
    n: int, topic: str = "arn:aws:sns:us-east-1:123456789012:webhooks-local-POST", size: int = 10
) -> ArchivedEvent:
    return ArchivedEvent(
        position=Position("k", n),
        message="x" * size,
        attributes={"source": ("String", "bettermode"), "event_id": ("String", f"id-{n}")},
        topic_arn=topic,
        timestamp="2025-05-01T00:00:00.000Z",
        message_id=f"m-{n}",
    )


class FlakySqs:
    """Fails entries 0 and 1 once (a throttled entry, then a refused one), and the first whole call."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def send_message_batch(self, QueueUrl: str, Entries: list[dict[str, Any]]) -> dict[str, Any]:
        self.calls.append([e["MessageAttributes"]["event_id"]["StringValue"] for e in Entries])
        if len(self.calls) == 1:
            raise ClientError(
                {"Error": {"Code": "ThrottlingException"}, "ResponseMetadata": {"HTTPStatusCode": 400}},
                "SendMessageBatch",
            )
        if len(self.calls) == 2:
            return {
                "Successful": [{"Id": e["Id"]} for e in Entries[2:]],
                "Failed": [
                    {"Id": "0", "Code": "ServiceUnavailable", "SenderFault": False},
                    {"Id": "1", "Code": "InvalidMessageContents", "SenderFault": True, "Message": "bad"},
                ],
            }
        return {"Successful": [{"Id": e["Id"]} for e in Entries]}


def test_throttling_and_failed_entries_are_retried_with_backoff_and_refused_ones_fail() -> None:
    waits: list[float] = []
    sqs = FlakySqs()
    target = QueueTarget(sqs, "queue-url", Backoff(sleep=waits.append))
    failed = target.send([replayed(event(n), "replay-1") for n in range(10)])
    assert [(item.event.attributes["event_id"][1], reason.split(":")[0]) for item, reason in failed] == [
        ("id-1", "InvalidMessageContents")
    ]
    assert sqs.calls[0] == sqs.calls[1] == [f"id-{n}" for n in range(10)]  # the throttled call, again whole
    assert sqs.calls[2] == ["id-0"]  # then only the retryable entry
    assert len(waits) == 2


def test_batches_keep_to_ten_entries_and_256_kib(receiver: Receiver, bucket: str) -> None:
    from archive_replay.checkpoint import Checkpoint
    from archive_replay.replay import run as replay_run
    from archive_replay.selection import Selection

    class Counting:
        max_entries, max_bytes = 10, 262_144

        def __init__(self) -> None:
            self.batches: list[tuple[int, int]] = []

        def check(self) -> None:
            pass

        def send(self, batch: list[Any]) -> list[Any]:
            self.batches.append((len(batch), sum(item.size for item in batch)))
            return []

    target = Counting()
    events = [event(n, size=100) for n in range(25)] + [event(100 + n, size=60_000) for n in range(9)]
    counts = replay_run(iter(events), Selection.parse("2025-01-01", "2026-01-01"), target, Checkpoint(None, "r", {}))
    assert counts.sent == 34
    assert [n for n, _ in target.batches] == [10, 10, 5 + 4, 4, 1]
    assert all(size <= 262_144 for _, size in target.batches)


def test_the_topics_target_publishes_each_event_to_its_own_topic(receiver: Receiver) -> None:
    sns = boto3.client("sns", region_name=REGION)
    post, other = receiver.stack.topics["TopicPOST"], receiver.stack.topics["CatchAllTopic"]
    target = TopicsTarget(sns, Backoff(), frozenset(receiver.stack.topics.values()))
    failed = target.send([replayed(event(1, post), "r"), replayed(event(2, other), "r")])
    assert failed == []
    got = receiver.received()
    assert [m.attributes["event_id"] for m in got["TopicPOST"]] == ["id-1"]
    assert [m.attributes["event_id"] for m in got["CatchAllTopic"]] == ["id-2"]


# ----- attributes -------------------------------------------------------------------------------------------
def test_replay_id_is_added_within_sqs_ten_attributes_keeping_the_shared_ones() -> None:
    names = [
        "source",
        "event_id",
        "event_name",
        "noun",
        "verb",
        "module",
        "community_id",
        "actor_id",
        "origin_community_id",
    ]
    attributes = {name: ("String", name) for name in names} | {"ExtendedPayloadSize": ("Number", "300000")}
    large_cand = ArchivedEvent(Position("k", 1), "[]", attributes, "arn", "2025-05-01T00:00:00Z", "m")
    marked = replay_attributes(large_cand, "replay-1")
    assert len(marked) == MAX_ATTRIBUTES
    assert marked["replay_id"] == ("String", "replay-1")
    assert marked["ExtendedPayloadSize"] == ("Number", "300000")
    assert {"source", "event_id", "event_name", "noun", "verb"} <= set(marked)
    assert "origin_community_id" not in marked  # the last of the provider's own gives way
    small = ArchivedEvent(Position("k", 1), "{}", {"source": ("String", "cand")}, "arn", "2025-05-01T00:00:00Z", "m")
    assert replay_attributes(small, "r") == {"source": ("String", "cand"), "replay_id": ("String", "r")}


# ----- reading ------------------------------------------------------------------------------------------------
class Chunks:
    """A stream that answers reads a few bytes at a time, as a network body may."""

    def __init__(self, data: bytes, step: int = 7) -> None:
        self.data, self.step = data, step

    def read(self, size: int = -1) -> bytes:
        taken = self.data[: min(self.step, size if size >= 0 else len(self.data))]
        self.data = self.data[len(taken) :]
        return taken


def test_lines_are_read_from_gzip_or_plain_objects_whatever_the_chunks() -> None:
    text = b'{"a": 1}\n{"b": 2}\n\n{"c": 3}'
    assert list(lines(Chunks(gzip.compress(text)))) == [b'{"a": 1}', b'{"b": 2}', b'{"c": 3}']
    assert list(lines(Chunks(text))) == [b'{"a": 1}', b'{"b": 2}', b'{"c": 3}']
    assert list(lines(Chunks(gzip.compress(text[:9]) + gzip.compress(text[9:])))) == [  # Firehose may concatenate
        b'{"a": 1}',
        b'{"b": 2}',
        b'{"c": 3}',
    ]


def test_an_unreadable_line_is_counted_failed_and_the_rest_is_read(receiver: Receiver, bucket: str) -> None:
    s3 = boto3.client("s3", region_name=REGION)
    good = json.dumps({"Message": "{}", "TopicArn": "arn", "Timestamp": "2025-05-01T00:00:00Z"})
    s3.put_object(Bucket=bucket, Key="k.gz", Body=gzip.compress(f"{good}\nnot json\n{good}\n".encode()))
    found = list(events_in(s3, bucket, "k.gz"))
    assert [type(item) for item in found] == [ArchivedEvent, Unreadable, ArchivedEvent]
    assert [item.position.line for item in found] == [1, 2, 3]
    assert [item.position.line for item in events_in(s3, bucket, "k.gz", after_line=2)] == [3]


def test_the_bucket_can_come_from_the_stack_outputs() -> None:
    class Cfn:
        def describe_stacks(self, StackName: str) -> dict[str, Any]:
            outputs = [{"OutputKey": "ArchiveBucketName", "OutputValue": "the-archive"}] if StackName == "on" else []
            return {"Stacks": [{"Outputs": outputs}]}

    class S3:
        def head_bucket(self, Bucket: str) -> None:
            assert Bucket == "the-archive"

    clients = {"cloudformation": Cfn(), "s3": S3()}
    args = parser().parse_args(["--stack", "on", "--since", "2025-05-01", "--until", "2025-05-02", "--dry-run"])
    assert archive_bucket(args, clients.__getitem__) == "the-archive"
    args = parser().parse_args(["--stack", "off", "--since", "2025-05-01", "--until", "2025-05-02", "--dry-run"])
    with pytest.raises(ValueError, match="has no ArchiveBucketName output: deploy it with EnableArchive=true"):
        archive_bucket(args, clients.__getitem__)
