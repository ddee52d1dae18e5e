"""SQS queues of local runs: a queue subscribed to a topic, and what waits in one, read and removed.

Apart from the stack and the archive so that both can use it without importing each other.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


@dataclass
class Message:
    """A message as a subscriber queue received it (raw delivery: body and attributes as published)."""

    body: str
    attributes: dict[str, str]
    group_id: str | None = None  # from a FIFO queue: the message group it came in

    def json(self) -> Any:
        return json.loads(self.body)


def subscribe_queue(sns: Any, sqs: Any, topic_arn: str, queue_name: str, **subscription: str) -> str:
    """A new SQS queue subscribed to the topic with raw delivery (and any other subscription attributes).

    A FIFO topic's queue is a FIFO queue (`<name>.fifo`): what keeps each group's order and drops
    duplicates on the subscriber's side too.
    """
    fifo = topic_arn.endswith(".fifo")
    name = queue_name.replace(".fifo", "") + ".fifo" if fifo else queue_name
    url = sqs.create_queue(QueueName=name, Attributes={"FifoQueue": "true"} if fifo else {})["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(
        TopicArn=topic_arn,
        Protocol="sqs",
        Endpoint=queue_arn,
        Attributes={"RawMessageDelivery": "true", **subscription},
    )
    return url


def _receive_all(sqs: Any, queue_url: str) -> list[dict[str, Any]]:
    """Every message waiting in the queue (as receive_message gives it), removed from it."""
    received: list[dict[str, Any]] = []
    while True:
        batch = sqs.receive_message(
            QueueUrl=queue_url,
            MaxNumberOfMessages=10,
            MessageAttributeNames=["All"],
            MessageSystemAttributeNames=["MessageGroupId"],
            WaitTimeSeconds=0,
        ).get("Messages", [])
        if not batch:
            return received
        received += batch
        sqs.delete_message_batch(
            QueueUrl=queue_url,
            Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(batch)],
        )


def drain(sqs: Any, queue_url: str) -> list[Message]:
    """Every message waiting in the queue, removed from it."""
    return [
        Message(
            message["Body"],
            {name: value.get("StringValue", "") for name, value in message.get("MessageAttributes", {}).items()},
            message.get("Attributes", {}).get("MessageGroupId"),
        )
        for message in _receive_all(sqs, queue_url)
    ]


def drain_bodies(sqs: Any, queue_url: str) -> list[str]:
    """The bodies of every message waiting in the queue, removed from it."""
    return [message["Body"] for message in _receive_all(sqs, queue_url)]
