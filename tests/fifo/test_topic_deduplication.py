"""devkit.fifo, the one part of SNS FIFO that moto lacks: a topic drops a repeated deduplication id
within 5 minutes, per message group, and answers with the first message's id
(https://docs.aws.amazon.com/sns/latest/dg/fifo-message-dedup.html)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from devkit import fifo
from tests.conftest import REGION


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def topic(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, str, Clock]]:
    monkeypatch.setattr(fifo, "PRUNE_AT", 2)  # prune as soon as two ids are remembered
    clock = Clock()
    with mock_aws(), fifo.topic_deduplication(clock=clock):
        sns = boto3.client("sns", region_name=REGION)
        arn = sns.create_topic(Name="t.fifo", Attributes={"FifoTopic": "true"})["TopicArn"]
        yield sns, arn, clock


def publish(sns: Any, arn: str, deduplication: str, group: str = "g") -> str:
    answer = sns.publish(TopicArn=arn, Message="{}", MessageGroupId=group, MessageDeduplicationId=deduplication)
    return str(answer["MessageId"])


def test_a_repeat_within_the_interval_is_answered_with_the_first_id_even_after_pruning(
    topic: tuple[Any, str, Clock],
) -> None:
    sns, arn, clock = topic
    first_a = publish(sns, arn, "a")
    clock.now = 200
    first_b = publish(sns, arn, "b")
    assert publish(sns, arn, "b", group="other") != first_b  # another group: its own deduplication
    clock.now = 400  # "a" is past the interval, "b" is not; this publish prunes what is stale
    publish(sns, arn, "c")
    assert publish(sns, arn, "b") == first_b
    assert publish(sns, arn, "a") != first_a  # published again: SNS deduplicates within 5 minutes only
