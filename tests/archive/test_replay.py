"""`python -m archive_replay` against the emulated stack: what each subscriber receives, and what it refuses."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest

from archive_replay.targets import QueueTarget
from devkit.archive import ArchiveWriter
from handler.publishing import POINTER_CLASS, SIZE_ATTRIBUTE
from tests.archive.conftest import BETTERMODE, CAND, publish_samples, queue, received, subscriber
from tests.conftest import REGION, Receiver, raw, sample
from tests.support import event_of_size

NETWORK = "CAxOmI7I7t"  # the Bettermode samples' network


@pytest.fixture
def archived(receiver: Receiver) -> dict[str, bytes]:
    """The samples published through the handler and delivered to the archive; event_id -> body."""
    published = publish_samples(receiver)
    assert receiver.stack.archive is not None
    receiver.stack.archive.deliver()
    return published


def synthetic(
    writer: ArchiveWriter, count: int, topic_arn: str, start: datetime, step: timedelta = timedelta(seconds=1)
) -> list[str]:
    """`count` archived post events `step` apart, written as the delivery stream writes them."""
    envelopes = [
        {
            "Type": "Notification",
            "MessageId": f"m-{n}",
            "TopicArn": topic_arn,
            "Message": json.dumps({"data": {"id": f"{n:032x}", "name": "post.published"}}),
            "Timestamp": (start + n * step).isoformat().replace("+00:00", "Z"),
            "MessageAttributes": {
                "source": {"Type": "String", "Value": "bettermode"},
                "event_id": {"Type": "String", "Value": f"{n:032x}"},
                "event_name": {"Type": "String", "Value": "post.published"},
                "noun": {"Type": "String", "Value": "POST"},
            },
        }
        for n in range(count)
    ]
    for chunk in range(0, count, 7):  # several objects, several lines each
        writer.write(envelopes[chunk : chunk + 7])
    return [e["MessageAttributes"]["event_id"]["Value"] for e in envelopes]


# ----- to one queue ------------------------------------------------------------------------------------
def test_replay_to_a_queue_gives_the_original_body_and_attributes_and_a_replay_id(
    archived: dict[str, bytes], replay: Any, receiver: Receiver
) -> None:
    url = queue("new-subscriber")
    result = replay("--queue", url)
    assert result.code == 0, result.err
    got = received(url)
    assert len(got) == len(archived) == len(BETTERMODE) + len(CAND)
    [replay_id] = {m.attributes["replay_id"] for m in got}
    assert result.out.startswith(f"replay {replay_id} to queue:{url}: read 8, sent 8, skipped 0")
    assert replay_id.startswith("replay-")
    for message in got:
        assert message.body.encode() == archived[message.attributes["event_id"]]
        assert {"source", "event_id", "event_name", "noun"} <= set(message.attributes)
    assert receiver.received() == {}  # nobody else saw anything


def test_a_second_run_is_another_replay_with_another_id(archived: dict[str, bytes], replay: Any) -> None:
    url = queue("twice")
    assert replay("--queue", url, "--event-name", "post.published").code == 0
    assert replay("--queue", url, "--event-name", "post.published").code == 0
    got = received(url)
    assert len(got) == 2
    assert len({m.attributes["replay_id"] for m in got}) == 2


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (("--event-name", "post.published"), {"post.published"}),
        (("--event-name", "post.published,reaction.added"), {"post.published", "reaction.added"}),
        (("--noun", "POST"), {"post.published", "post.created"}),
        (("--noun", "WIDGET"), {"widget.spun"}),  # no topic of its own: found under noun=OTHER
        (("--source", "cand"), {"member.joined", "product.created"}),
        (("--source", "bettermode", "--noun", "MEMBER"), {"member.created"}),
        (("--network-id", NETWORK, "--noun", "REACTION"), {"reaction.added"}),
        (("--event-id", sample("space.created")["data"]["id"]), {"space.created"}),
    ],
)
def test_filters_select_by_source_name_noun_network_and_id(
    archived: dict[str, bytes], replay: Any, filters: tuple[str, ...], expected: set[str]
) -> None:
    url = queue("filtered")
    result = replay("--queue", url, *filters)
    assert result.code == 0, result.err
    assert {m.attributes["event_name"] for m in received(url)} == expected


def test_a_network_id_selects_a_cand_community_too(archived: dict[str, bytes], replay: Any) -> None:
    community = json.loads((Path("events/payloads/cand/member.joined.json")).read_text())["context"]["communityId"]
    url = queue("community")
    assert replay("--queue", url, "--network-id", str(community)).code == 0
    assert {m.attributes["source"] for m in received(url)} == {"cand"}


def test_the_time_range_selects_by_publish_time_reading_only_its_days(receiver: Receiver, replay: Any) -> None:
    assert receiver.stack.archive is not None
    topic = receiver.stack.topics["TopicPOST"]
    start = datetime(2025, 4, 30, tzinfo=UTC)
    ids = synthetic(receiver.stack.archive.writer, 8, topic, start, timedelta(hours=12))  # two a day, Apr 30 - May 3
    url = queue("range")
    result = replay("--queue", url, window=("--since", "2025-05-01", "--until", "2025-05-02"))
    assert result.code == 0
    assert sorted(m.attributes["event_id"] for m in received(url)) == ids[2:4]
    # read: May 1st, and May 2nd for late arrivals; April 30th and May 3rd are not even listed
    assert "read 4, sent 2, skipped 2" in result.out
    result = replay("--queue", url, window=("--since", "2025-05-02T00:00:00Z", "--until", "2025-05-02T00:00:01Z"))
    assert [m.attributes["event_id"] for m in received(url)] == ids[4:5]
    assert "read 4, sent 1, skipped 3" in result.out


# ----- to the topics -------------------------------------------------------------------------------------
def allow_stack_topics(receiver: Receiver) -> list[str]:
    """--allow-topic for each of the stack's topics: what --stack reads from its outputs."""
    return [arg for arn in receiver.stack.topics.values() for arg in ("--allow-topic", arn)]


def foreign_topic_subscriber() -> tuple[str, str]:
    """A topic outside the stack, with a queue subscribed to it: (topic ARN, queue URL)."""
    sns, sqs = boto3.client("sns", region_name=REGION), boto3.client("sqs", region_name=REGION)
    topic = sns.create_topic(Name="someone-elses-topic")["TopicArn"]
    url = sqs.create_queue(QueueName="someone-elses-queue")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"})
    return topic, url


def test_an_archived_event_of_a_foreign_topic_is_not_replayed_there(receiver: Receiver, replay: Any) -> None:
    """Whoever can write to the archive must not be able to make a replay publish anywhere else."""
    assert receiver.stack.archive is not None
    writer, start = receiver.stack.archive.writer, datetime(2025, 5, 1, tzinfo=UTC)
    own = synthetic(writer, 1, receiver.stack.topics["TopicPOST"], start)
    foreign, foreign_queue = foreign_topic_subscriber()
    synthetic(writer, 1, foreign, start + timedelta(minutes=1))
    posts = subscriber(receiver, "TopicPOST", "posts")

    result = replay("--topics", *allow_stack_topics(receiver))
    assert result.code == 1
    assert f"topic not allowed: {foreign}" in result.err
    assert "sent 1" in result.out and "failed 1" in result.out
    assert [m.attributes["event_id"] for m in received(posts)] == own
    assert received(foreign_queue) == []

    assert replay("--topics", *allow_stack_topics(receiver), "--allow-topic", foreign).code == 0  # named: allowed
    assert len(received(foreign_queue)) == 1


def test_topics_without_a_stack_or_an_allowed_topic_is_a_usage_error(receiver: Receiver, replay: Any) -> None:
    result = replay("--topics")
    assert result.code == 2
    assert "--stack" in result.err and "--allow-topic" in result.err and "nothing was sent" in result.err


def test_with_stack_the_allowed_topics_are_the_stacks_topic_outputs(receiver: Receiver, replay: Any) -> None:
    """--stack reads the archive bucket and the event topics from the stack's outputs."""
    topics = receiver.stack.topics
    outputs = {
        "ArchiveBucketName": {"Value": receiver.stack.template.physical["ArchiveBucket"]["Ref"]},
        "TopicPOSTArn": {"Value": topics["TopicPOST"]},
        "CatchAllTopicArn": {"Value": topics["CatchAllTopic"]},
        "FailureQueueUrl": {"Value": "https://sqs.example/not-a-topic"},
    }
    template = {"Resources": {"Nothing": {"Type": "AWS::CloudFormation::WaitConditionHandle"}}, "Outputs": outputs}
    boto3.client("cloudformation", region_name=REGION).create_stack(
        StackName="community-webhooks", TemplateBody=json.dumps(template)
    )
    assert receiver.stack.archive is not None
    start = datetime(2025, 5, 1, tzinfo=UTC)
    synthetic(receiver.stack.archive.writer, 2, topics["TopicPOST"], start)
    synthetic(receiver.stack.archive.writer, 1, topics["TopicREACTION"], start + timedelta(minutes=1))
    result = replay("--stack", "community-webhooks", "--topics", bucket_name=None)
    assert result.code == 1  # REACTION's topic is not among these outputs
    assert "sent 2" in result.out and f"topic not allowed: {topics['TopicREACTION']}" in result.err


def test_replay_to_the_topics_reaches_subscribers_marked_and_filter_policies_take_or_refuse_it(
    archived: dict[str, bytes], replay: Any, receiver: Receiver
) -> None:
    everything = subscriber(receiver, "TopicPOST", "all-posts")
    no_replays = subscriber(receiver, "TopicPOST", "live-only", {"replay_id": [{"exists": False}]})
    only_replays = subscriber(receiver, "TopicPOST", "replays-only", {"replay_id": [{"exists": True}]})
    table_before = receiver.items()

    result = replay("--topics", *allow_stack_topics(receiver), "--noun", "POST")
    assert result.code == 0, result.err
    got = received(everything)
    assert sorted(m.attributes["event_name"] for m in got) == ["post.created", "post.published"]
    [replay_id] = {m.attributes["replay_id"] for m in got}
    for message in got:
        assert message.body.encode() == archived[message.attributes["event_id"]]  # the original event id and body
    assert received(no_replays) == []
    assert sorted(m.attributes["event_id"] for m in received(only_replays)) == sorted(
        m.attributes["event_id"] for m in got
    )
    assert receiver.items() == table_before  # the dedupe records are neither read nor changed

    # a live event after the replay: the refusing subscriber takes it, the replay-only one does not
    live = sample("post.published")
    live["data"]["id"] = "e" * 32
    assert receiver.post(raw(live)).status == 200
    assert [m.attributes["event_id"] for m in received(no_replays)] == ["e" * 32]
    assert received(only_replays) == []
    assert replay_id not in json.dumps([m.attributes for m in received(no_replays)])


def test_replays_published_to_the_topics_are_not_archived_again(
    archived: dict[str, bytes], replay: Any, receiver: Receiver
) -> None:
    assert replay("--topics", *allow_stack_topics(receiver)).code == 0
    assert receiver.stack.archive is not None
    assert receiver.stack.archive.deliver() == []  # the archive's filter policy refuses replay_id
    assert sum(len(messages) for messages in receiver.received().values()) == len(archived)  # live subscribers did


# ----- large events --------------------------------------------------------------------------------------
def test_a_large_event_is_replayed_as_its_pointer_which_still_resolves(receiver: Receiver, replay: Any) -> None:
    body = event_of_size(300_000, event_id="d" * 32)
    assert receiver.post(body).status == 200
    assert receiver.stack.archive is not None
    receiver.stack.archive.deliver()
    url = queue("large")
    assert replay("--queue", url).code == 0
    [message] = received(url)
    kind, pointer = json.loads(message.body)
    assert kind == POINTER_CLASS
    assert message.attributes[SIZE_ATTRIBUTE] == "300000"
    assert message.attributes["replay_id"].startswith("replay-")
    s3 = boto3.client("s3", region_name=REGION)
    assert s3.get_object(Bucket=pointer["s3BucketName"], Key=pointer["s3Key"])["Body"].read() == body


# ----- dry run and resume ---------------------------------------------------------------------------------
def test_dry_run_only_counts(archived: dict[str, bytes], replay: Any, receiver: Receiver) -> None:
    url = queue("dry")
    result = replay("--queue", url, "--dry-run", "--source", "bettermode")
    assert result.code == 0
    assert result.out == "dry run: read 6, would send 6, skipped 0 (not selected), failed 0\n"  # cand not even read
    assert received(url) == []
    assert receiver.received() == {}
    assert replay("--dry-run").out.startswith("dry run: read 8, would send 8")  # no target needed


def test_an_interrupted_replay_resumes_where_it_stopped_with_the_same_replay_id(
    receiver: Receiver, replay: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert receiver.stack.archive is not None
    ids = synthetic(
        receiver.stack.archive.writer, 45, receiver.stack.topics["TopicPOST"], datetime(2025, 5, 1, tzinfo=UTC)
    )
    url = queue("resumed")
    checkpoint = tmp_path / "replay.json"
    send = QueueTarget.send
    calls = {"n": 0}

    def interrupted(self: QueueTarget, batch: list[Any]) -> list[Any]:
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt
        return send(self, batch)

    monkeypatch.setattr(QueueTarget, "send", interrupted)
    first = replay("--queue", url, "--checkpoint", str(checkpoint))
    assert first.code == 130
    assert f"--checkpoint {checkpoint} to resume" in first.err
    before = received(url)
    assert len(before) == 20  # two batches of ten went out before the interruption
    saved = json.loads(checkpoint.read_text())
    assert saved["counts"]["sent"] == 20 and saved["done"] is False

    monkeypatch.setattr(QueueTarget, "send", send)
    second = replay("--queue", url, "--checkpoint", str(checkpoint))
    assert second.code == 0, second.err
    assert "resuming replay" in second.err
    after = received(url)
    assert sorted(m.attributes["event_id"] for m in before + after) == ids  # each exactly once
    assert {m.attributes["replay_id"] for m in before + after} == {saved["replay_id"]}
    assert "read 45, sent 45" in second.out

    third = replay("--queue", url, "--checkpoint", str(checkpoint))
    assert third.code == 0 and "already complete" in third.out
    assert received(url) == []
    other = replay("--queue", url, "--noun", "POST", "--checkpoint", str(checkpoint))
    assert other.code == 2 and "of another replay" in other.err


# ----- bad input: a clear error, exit code 2, nothing sent ---------------------------------------------------
@pytest.mark.parametrize(
    ("args", "window", "message"),
    [
        ((), ("--since", "2025-05-01", "--until", "2025-05-01"), "the range is empty"),
        ((), ("--since", "2025-05-02", "--until", "2025-05-01"), "the range is empty"),
        ((), ("--since", "yesterday", "--until", "2025-05-01"), "not an ISO 8601 date"),
        (("--source", "discord"), None, "unknown source discord"),
        (("--endpoint", "http://example.com/hook"), None, "must be https://"),
        (("--function", "no-such-function"), None, "cannot be used"),
    ],
)
def test_bad_input_is_a_clear_error_and_sends_nothing(
    archived: dict[str, bytes],
    replay: Any,
    receiver: Receiver,
    args: tuple[str, ...],
    window: tuple[str, ...] | None,
    message: str,
) -> None:
    url = queue("untouched")
    target = () if any(a in ("--endpoint", "--function") for a in args) else ("--queue", url)
    result = replay(*target, *args, **({"window": window} if window else {}))
    assert result.code == 2
    assert message in result.err and "nothing was sent" in result.err
    assert received(url) == []
    assert receiver.received() == {}


@pytest.mark.parametrize("unknown", [("--colour", "red"), ("--event", "post.published"), ("--network", "x")])
def test_an_unknown_filter_is_refused_never_guessed(
    archived: dict[str, bytes], replay: Any, capsys: pytest.CaptureFixture[str], unknown: tuple[str, str]
) -> None:
    url = queue("unknown-filter")
    with pytest.raises(SystemExit) as exited:
        replay("--queue", url, *unknown)
    assert exited.value.code == 2
    assert f"unrecognized arguments: {' '.join(unknown)}" in capsys.readouterr().err  # no abbreviation is taken
    assert received(url) == []


def test_a_missing_bucket_is_a_clear_error_and_sends_nothing(archived: dict[str, bytes], replay: Any) -> None:
    url = queue("no-bucket")
    result = replay("--queue", url, bucket_name="no-such-archive")
    assert result.code == 2
    assert "the archive bucket no-such-archive does not exist" in result.err
    assert "nothing was sent" in result.err
    assert received(url) == []


def test_a_missing_queue_is_a_clear_error(archived: dict[str, bytes], replay: Any) -> None:
    result = replay("--queue", "https://sqs.us-east-1.amazonaws.com/123456789012/nope")
    assert result.code == 2 and "cannot be used" in result.err
