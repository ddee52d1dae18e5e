"""The local endpoint over real HTTP, with AWS emulated by the moto server on loopback."""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from collections.abc import Iterator

import pytest

from devkit import sender
from devkit.endpoint import LocalEndpoint
from devkit.queues import Message, drain, subscribe_queue
from devkit.samples import BY_NAME, LOCAL_SECRET


class Received:
    """What the endpoint's subscriber-queue watcher reported, by topic."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, Message]] = []
        self.lock = threading.Lock()

    def __call__(self, topic: str, message: Message) -> None:
        with self.lock:
            self.messages.append((topic, message))

    def wait_for(self, count: int, timeout: float = 10) -> list[tuple[str, Message]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.messages) >= count:
                    break
            time.sleep(0.1)
        time.sleep(1.2)  # two more polls of every queue, so that an extra message would show
        with self.lock:
            return list(self.messages)


@pytest.fixture(scope="module")
def endpoint() -> Iterator[tuple[LocalEndpoint, Received]]:
    received = Received()
    with LocalEndpoint(on_message=received) as running:
        yield running, received


def test_challenge_over_http(endpoint: tuple[LocalEndpoint, Received]) -> None:
    running, _ = endpoint
    response = sender.send(running.url, BY_NAME["bettermode-test-challenge"].body(), LOCAL_SECRET)
    assert response.status == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json()["data"]["challenge"] == "d77dae12ea612cf647d6e2e78dd2b7470e4e4358"


def test_event_reaches_its_subscriber_once_and_a_redelivery_does_not(endpoint: tuple[LocalEndpoint, Received]) -> None:
    running, received = endpoint
    body = BY_NAME["bettermode-reaction.added"].body()
    before = len(received.messages)
    assert sender.send(running.url, body, LOCAL_SECRET).status == 200
    assert sender.send(running.url, body, LOCAL_SECRET, family="tribe").status == 200
    got = received.wait_for(before + 1)[before:]
    assert [(topic, message.attributes["event_name"]) for topic, message in got] == [("REACTION", "reaction.added")]
    assert got[0][1].body.encode() == body
    items = running.client("dynamodb").scan(TableName=running.stack.table_name)["Items"]
    assert [item["status"]["S"] for item in items] == ["COMPLETED"]


def test_refused_requests_publish_nothing(endpoint: tuple[LocalEndpoint, Received]) -> None:
    running, received = endpoint
    before = len(received.messages)
    body = BY_NAME["bettermode-post.deleted"].body()
    assert sender.send(running.url, body, "not-the-secret").status == 401
    assert sender.send(running.url, b"{oops", LOCAL_SECRET).status == 400
    request = urllib.request.Request(running.url.replace("bettermode", "nope"), data=b"{}", method="POST")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 404
    assert json.loads(refused.value.read())["error"] == "not_found"
    assert received.wait_for(before + 1, timeout=1)[before:] == []


def test_sender_command_posts_an_event_file_with_a_fresh_id(
    endpoint: tuple[LocalEndpoint, Received], capsys: pytest.CaptureFixture[str]
) -> None:
    running, received = endpoint
    before = len(received.messages)
    path = str(BY_NAME["bettermode-post.published"].path)
    assert sender.main(path, running.url, LOCAL_SECRET, "bettermode", fresh_id=True) == 0
    assert sender.main(path, running.url, LOCAL_SECRET, "bettermode", fresh_id=True) == 0
    assert capsys.readouterr().out.count("HTTP 200") == 2
    got = received.wait_for(before + 2)[before:]
    assert [topic for topic, _ in got] == ["POST", "POST"]
    assert len({message.attributes["event_id"] for _, message in got}) == 2


def test_sender_reports_an_unreachable_url(capsys: pytest.CaptureFixture[str]) -> None:
    path = str(BY_NAME["bettermode-test-challenge"].path)
    assert sender.main(path, "http://127.0.0.1:9/webhooks/bettermode", LOCAL_SECRET, "bettermode", fresh_id=False) == 2
    assert "could not reach" in capsys.readouterr().out


@pytest.fixture(scope="module")
def fifo_endpoint() -> Iterator[tuple[LocalEndpoint, Received]]:
    received = Received()
    with LocalEndpoint(on_message=received, mode="fifo") as running:
        yield running, received


def test_fifo_mode_delivers_each_event_in_its_objects_group(fifo_endpoint: tuple[LocalEndpoint, Received]) -> None:
    """`make serve MODE=fifo`: the same endpoint on FIFO topics and FIFO subscriber queues."""
    running, received = fifo_endpoint
    before = len(received.messages)
    body = BY_NAME["bettermode-reaction.added"].body()
    assert sender.send(running.url, body, LOCAL_SECRET).status == 200
    assert sender.send(running.url, body, LOCAL_SECRET).status == 200  # a redelivery: claimed already
    [(topic, message)] = received.wait_for(before + 1)[before:]
    assert topic == "REACTION.fifo"
    assert message.group_id == "bettermode:post:kCPt3feq0MCIT6w"  # the group of the post it is on
    assert message.body.encode() == body


def test_fifo_topics_of_the_local_endpoint_drop_a_repeated_deduplication_id(
    fifo_endpoint: tuple[LocalEndpoint, Received],
) -> None:
    """The moto server of `make serve` deduplicates at the topic, as SNS does within 5 minutes
    (https://docs.aws.amazon.com/sns/latest/dg/fifo-message-dedup.html): the repeat is answered with
    the first message's id and reaches no subscriber, not even one that subscribed in between."""
    running, _ = fifo_endpoint
    assert running.stack is not None
    sns, sqs = running.client("sns"), running.client("sqs")
    topic_arn = running.stack.topics["TopicPOST"]
    late = subscribe_queue(sns, sqs, topic_arn, "late-subscriber")
    first = sns.publish(TopicArn=topic_arn, Message="{}", MessageGroupId="g", MessageDeduplicationId="d-1")
    assert [m.body for m in drain(sqs, late)] == ["{}"]
    later = subscribe_queue(sns, sqs, topic_arn, "later-subscriber")
    again = sns.publish(TopicArn=topic_arn, Message="{}", MessageGroupId="g", MessageDeduplicationId="d-1")
    assert again["MessageId"] == first["MessageId"]
    assert drain(sqs, later) == []
    assert drain(sqs, late) == []


def test_the_endpoint_prints_each_message_with_its_group_in_fifo(capsys: pytest.CaptureFixture[str]) -> None:
    from devkit.endpoint import _print_message

    attributes = {"source": "bettermode", "event_name": "reaction.added", "event_id": "ca03"}
    _print_message("REACTION.fifo", Message("{}", attributes, "bettermode:post:kCPt3feq0MCIT6w"))
    _print_message("REACTION", Message("{}", attributes))
    fifo, standard = capsys.readouterr().out.splitlines()
    assert fifo == "  [REACTION.fifo subscriber] reaction.added  group=bettermode:post:kCPt3feq0MCIT6w  event_id=ca03"
    assert standard == "  [REACTION subscriber] reaction.added  event_id=ca03"
