"""DeliveryMode=fifo end to end on the emulated stack: FIFO topics, each object's events in order at a
FIFO subscriber, a publish of the same event again dropped by SNS, and the failure path keeping the ids.

Emulated: moto's SNS FIFO topics hand the group and deduplication ids to SQS FIFO queues, which keep
each group's order and deduplicate; the topic-level deduplication SNS does is devkit/fifo.py's.
"""

from __future__ import annotations

import copy
import itertools
import json
import random
import threading
from collections import defaultdict
from typing import Any

import boto3
import pytest

from handler import container
from tests.conftest import REGION, Receiver, raw, sample
from tests.support import break_sns, event_of_size, queued, redrive, repair_sns


def post_event(post_id: str, verb: str, event_id: str) -> bytes:
    """A post lifecycle event of post `post_id` (created, published, updated, deleted ...)."""
    document = copy.deepcopy(sample("post.published"))
    document["data"].update(id=event_id, verb=verb.upper(), verbAction=verb.upper(), name=f"post.{verb}")
    document["data"]["object"]["id"] = post_id
    return raw(document)


def published_order(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """(group, event id) of each message, in the order the emulated SNS took them (and delivered them on).

    Taken inside the topic's publish, under a lock with the delivery itself: a hook on the client
    would see two concurrent publishes of one group in the order they were sent, not taken.
    """
    from moto.sns.models import Topic

    taken: list[tuple[str, str]] = []
    lock = threading.Lock()
    original = Topic.publish

    def publish(self: Topic, message: str, *args: Any, **kwargs: Any) -> str:
        with lock:
            attributes = kwargs.get("message_attributes") or {}
            event_id = attributes.get("event_id", {}).get("Value", "")
            taken.append((str(kwargs.get("group_id")), event_id))
            return original(self, message, *args, **kwargs)

    monkeypatch.setattr(Topic, "publish", publish)
    return taken


def test_topics_and_subscriber_queues_are_fifo(fifo_receiver: Receiver) -> None:
    sns = boto3.client("sns", region_name=REGION)
    for arn in fifo_receiver.stack.topics.values():
        assert arn.endswith(".fifo")
        assert sns.get_topic_attributes(TopicArn=arn)["Attributes"]["FifoTopic"] == "true"
    assert all(url.endswith(".fifo") for url in fifo_receiver.stack.queues.values())
    assert fifo_receiver.stack.environment["DELIVERY_MODE"] == "fifo"


def test_each_message_carries_its_objects_group_and_its_claim_key(fifo_receiver: Receiver) -> None:
    assert fifo_receiver.post(raw(sample("reaction.added"))).status == 200
    [message] = fifo_receiver.received()["TopicREACTION"]
    assert message.group_id == "bettermode:post:kCPt3feq0MCIT6w"  # a reaction goes with its post
    assert json.loads(message.body) == sample("reaction.added")  # the body as sent, as in standard


def test_the_events_of_each_post_arrive_in_the_order_they_were_published(
    fifo_receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Six posts, each created, published, updated and deleted, sent by eight threads at once in a
    shuffled order: whatever order the receiver publishes them in, each post's events reach the FIFO
    subscriber in that order."""
    taken = published_order(monkeypatch)
    events = [
        (f"post{p}", verb, f"{p}-{verb}") for p in range(6) for verb in ("created", "published", "updated", "deleted")
    ]
    random.Random(7).shuffle(events)  # noqa: S311 - a repeatable shuffle, not a secret
    lock = threading.Lock()
    statuses: list[int] = []

    def sender() -> None:
        while True:
            with lock:
                if not events:
                    return
                post_id, verb, event_id = events.pop()
            status = fifo_receiver.post(post_event(post_id, verb, event_id)).status
            with lock:
                statuses.append(status)

    threads = [threading.Thread(target=sender) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200] * 24
    received = fifo_receiver.received()["TopicPOST"]
    per_group_received: dict[str, list[str]] = defaultdict(list)
    for message in received:
        per_group_received[message.group_id or ""].append(message.attributes["event_id"])
    per_group_published: dict[str, list[str]] = defaultdict(list)
    for group, event_id in taken:
        per_group_published[group].append(event_id)
    assert len(per_group_received) == 6
    assert per_group_received == per_group_published
    interleaved = [group for group, _ in taken]
    assert any(a != b for a, b in itertools.pairwise(interleaved))  # really interleaved


def test_a_publish_of_the_same_event_again_is_dropped_by_sns(fifo_receiver: Receiver) -> None:
    """The window standard topics leave open (SNS took the message, its answer was lost, the claim was
    released, the retry publishes again) is closed by the deduplication id."""
    body = raw(sample("post.published"))
    sns = container.current().clients("sns")
    lost: list[int] = []

    def lose_the_answer(**kwargs: Any) -> None:
        if not lost:
            lost.append(1)
            from botocore.exceptions import ReadTimeoutError

            raise ReadTimeoutError(endpoint_url="https://sns.us-east-1.amazonaws.com")

    sns.meta.events.register("after-call.sns.Publish", lose_the_answer)
    assert fifo_receiver.post(body).status == 503  # published, but the receiver never knew
    assert fifo_receiver.post(body).status == 200  # the sender's retry publishes again ...
    assert len(fifo_receiver.received()["TopicPOST"]) == 1  # ... and SNS drops it


def test_a_large_event_is_a_pointer_in_its_group(fifo_receiver: Receiver) -> None:
    assert fifo_receiver.post(event_of_size(300_000)).status == 200
    [message] = fifo_receiver.received()["TopicPOST"]
    assert message.body.startswith('["software.amazon.payloadoffloading.PayloadS3Pointer"')
    assert message.group_id == "bettermode:post:7YLkAXyezVhHloA"


def test_a_kept_event_is_redriven_with_its_ids_and_once(fifo_receiver: Receiver) -> None:
    body = raw(sample("member.created"))
    break_sns()
    assert fifo_receiver.post(body).status == 503
    [kept] = queued(fifo_receiver)
    assert kept["message_group_id"] == "bettermode:member:zENywtyv1G"
    assert kept["message_deduplication_id"] == "bettermode:e93d6e7272fe7b56a7cdb26a75327f6d"
    repair_sns()
    assert redrive(visibility_seconds=0).published == 1
    [message] = fifo_receiver.received()["TopicMEMBER"]
    assert message.group_id == "bettermode:member:zENywtyv1G"
    assert fifo_receiver.post(body).status == 200  # the sender's retry, had it come: a duplicate
    assert fifo_receiver.received() == {}


def test_a_cand_event_goes_to_the_fifo_catch_all_in_its_objects_group(fifo_receiver: Receiver) -> None:
    from tests.support import cand

    assert fifo_receiver.post_cand(raw(cand("message.created"))).status == 200
    [message] = fifo_receiver.received()["CatchAllTopic"]
    assert message.group_id == "cand:message:MSG0000001"


@pytest.mark.parametrize("redrive_envelope", [{"message_group_id": None}, {"message_deduplication_id": "a b"}])
def test_the_redrive_leaves_a_fifo_envelope_without_valid_ids_for_a_person(
    fifo_receiver: Receiver, redrive_envelope: dict[str, Any]
) -> None:
    break_sns()
    assert fifo_receiver.post(raw(sample("space.created"))).status == 503
    repair_sns()
    [kept] = queued(fifo_receiver)
    sqs = boto3.client("sqs", region_name=REGION)
    url = fifo_receiver.stack.failure_queue_url
    sqs.purge_queue(QueueUrl=url)
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps({**kept, **redrive_envelope}))
    report = redrive(visibility_seconds=0)
    assert (report.invalid, report.published) == (1, 0)
    assert fifo_receiver.received() == {}
