"""DeliveryMode=fifo end to end on the emulated stack: FIFO topics, each object's events in order at
the FIFO subscriber of their topic (SNS keeps no order between topics, so none is asserted), a
publish of the same event again dropped by SNS, and the failure path keeping the ids.

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
from handler.providers import bettermode
from tests.conftest import REGION, Receiver, raw, sample
from tests.support import break_sns, event_of_size, queued, redrive, repair_sns


def post_event(post_id: str, verb: str, event_id: str) -> bytes:
    """A post lifecycle event of post `post_id` (created, published, updated, deleted ...)."""
    document = copy.deepcopy(sample("post.published"))
    document["data"].update(id=event_id, verb=verb.upper(), verbAction=verb.upper(), name=f"post.{verb}")
    document["data"]["object"]["id"] = post_id
    return raw(document)


def reaction_event(post_id: str, verb: str, event_id: str) -> bytes:
    """A reaction added to (or removed from) post `post_id`."""
    document = copy.deepcopy(sample("reaction.added"))
    document["data"].update(id=event_id, verb=verb.upper(), verbAction=verb.upper(), name=f"reaction.{verb}")
    document["data"]["object"]["postId"] = document["data"]["target"]["postId"] = post_id
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
    assert message.group_id == "bettermode:post:kCPt3feq0MCIT6w"  # the group of the post it is on
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


def test_the_reactions_on_one_post_arrive_on_the_reaction_topic_in_the_order_they_were_published(
    fifo_receiver: Receiver,
) -> None:
    """What docs/delivery-modes.md promises a reaction: its post's group, in order on the REACTION
    topic. The post's own events share the group but come on POST; between the two topics SNS keeps
    no order, so none is asserted."""
    sent = [
        reaction_event("postA", "added", "r1"),
        post_event("postA", "updated", "p1"),
        reaction_event("postB", "added", "r2"),
        reaction_event("postA", "removed", "r3"),
        reaction_event("postA", "added", "r4"),
        post_event("postA", "deleted", "p2"),
        reaction_event("postB", "removed", "r5"),
        reaction_event("postA", "removed", "r6"),
    ]
    assert [fifo_receiver.post(body).status for body in sent] == [200] * len(sent)
    received = fifo_receiver.received()
    reactions: dict[str, list[str]] = defaultdict(list)
    for message in received["TopicREACTION"]:
        assert message.attributes["noun"] == "REACTION"  # the post's own events are not on this topic
        reactions[message.group_id or ""].append(message.attributes["event_id"])
    assert reactions == {
        "bettermode:post:postA": ["r1", "r3", "r4", "r6"],  # every reaction on A, in publish order
        "bettermode:post:postB": ["r2", "r5"],
    }
    posts = [(message.group_id, message.attributes["event_id"]) for message in received["TopicPOST"]]
    assert posts == [("bettermode:post:postA", "p1"), ("bettermode:post:postA", "p2")]  # the same group, on POST


NOUN_SAMPLES = {
    "POST": "post.published",
    "REACTION": "reaction.added",
    "MODERATION": "moderation.created",
    "SPACE_MEMBERSHIP": "space_membership.created",
    "MEMBER": "member.created",
    "SPACE": "space.created",
    "NETWORK": "network.updated",
}


@pytest.mark.parametrize("noun", sorted(bettermode.GROUPS))
def test_each_nouns_events_arrive_on_its_own_topic_in_order_per_object(fifo_receiver: Receiver, noun: str) -> None:
    """The table in docs/delivery-modes.md, row by row: two objects' events, interleaved, reach the
    subscriber of the noun's topic in publish order per object, in the group of the kind GROUPS names."""
    kind, parts = bettermode.GROUPS[noun]
    sent: list[tuple[str, str]] = []
    for n, name in enumerate("xyxxyx"):
        document = copy.deepcopy(sample(NOUN_SAMPLES[noun]))
        document["data"]["id"] = f"{noun}-{n}"
        for i, part in enumerate(parts):
            for path in part.split("|"):  # every path the group may be read from: the same id
                parent, _, field = path.partition(".")
                document["data"][parent][field] = f"{name}{i}"
        assert fifo_receiver.post(raw(document)).status == 200
        sent.append((f"bettermode:{kind}:" + ".".join(f"{name}{i}" for i in range(len(parts))), f"{noun}-{n}"))
    topic = "Topic" + noun.replace("_", "")  # the topic's logical id in template.yaml
    received = fifo_receiver.received()
    assert set(received) == {topic}
    got = [(message.group_id, message.attributes["event_id"]) for message in received[topic]]
    for group in {group for group, _ in sent}:
        assert [m for m in got if m[0] == group] == [m for m in sent if m[0] == group]
    assert sorted(got) == sorted(sent)


def test_an_install_and_its_uninstall_arrive_in_turn_on_the_app_installation_topic(fifo_receiver: Receiver) -> None:
    """The table's row for app installations: one installation's events in publish order."""
    sent: list[tuple[str, str]] = []
    for n, (installation, kind) in enumerate(
        [("i1", "installed"), ("i2", "installed"), ("i1", "uninstalled"), ("i1", "installed"), ("i2", "uninstalled")]
    ):
        document = copy.deepcopy(sample(f"app-{kind}"))
        document["data"].update(id=installation, updatedAt=f"2026-12-0{n + 1}T00:00:00.000Z")
        assert fifo_receiver.post(raw(document)).status == 200
        event_id = f"{document['type']}:{installation}@{document['data']['updatedAt']}"
        sent.append((f"bettermode:app_installation:{installation}", event_id))
    received = fifo_receiver.received()
    assert set(received) == {"TopicAPPINSTALLATION"}
    got = [(message.group_id, message.attributes["event_id"]) for message in received["TopicAPPINSTALLATION"]]
    for installation in ("i1", "i2"):
        group = f"bettermode:app_installation:{installation}"
        assert [m for m in got if m[0] == group] == [m for m in sent if m[0] == group]
    assert sorted(got) == sorted(sent)


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
