"""webhook_events reads what a FIFO topic delivers to a FIFO queue, and works with Powertools'
SqsFifoPartialProcessor: when one event of an object fails, the rest of that object's events wait
(reported failed, retried in order) while the other objects' events go on."""

from __future__ import annotations

import copy
from typing import Any

import boto3
from aws_lambda_powertools.utilities.batch import SqsFifoPartialProcessor, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from devkit.events import LambdaContext
from tests.conftest import REGION, Receiver, raw, sample
from tests.subscriber.helpers import receive_all, sqs_event
from webhook_events import PostEvent, parse_record


def post_event(post_id: str, verb: str, event_id: str) -> bytes:
    document = copy.deepcopy(sample("post.published"))
    document["data"].update(id=event_id, verb=verb.upper(), name=f"post.{verb}")
    document["data"]["object"]["id"] = post_id
    return raw(document)


def fifo_batch(receiver: Receiver) -> tuple[dict[str, Any], list[str]]:
    """Two posts' lifecycles, published in turn; the Lambda event their FIFO queue would hand a function."""
    sent = []
    for verb in ("created", "published", "deleted"):
        for post_id in ("A", "B"):
            assert receiver.post(post_event(post_id, verb, f"{post_id}-{verb}")).status == 200
            sent.append(f"{post_id}-{verb}")
    url = receiver.stack.queues["TopicPOST"]
    sqs = boto3.client("sqs", region_name=REGION)
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return sqs_event(receive_all(sqs, url), arn), sent


def test_a_fifo_record_has_its_group_and_sequence(fifo_receiver: Receiver) -> None:
    event, sent = fifo_batch(fifo_receiver)
    deliveries = [parse_record(record, PostEvent) for record in event["Records"]]
    assert sorted(d.event_id for d in deliveries) == sorted(sent)
    assert {d.group_id for d in deliveries} == {"bettermode:post:A", "bettermode:post:B"}
    assert all(d.sequence_number for d in deliveries)
    for group in ("bettermode:post:A", "bettermode:post:B"):
        names = [d.event.name for d in deliveries if d.group_id == group]
        assert names == ["post.created", "post.published", "post.deleted"]  # each post's order


def test_a_failed_event_holds_back_the_rest_of_its_group_only(fifo_receiver: Receiver) -> None:
    event, _ = fifo_batch(fifo_receiver)
    handled: list[str] = []

    def record_handler(record: SQSRecord) -> None:
        delivery = parse_record(record, PostEvent)
        if delivery.event_id == "A-published":
            raise RuntimeError("the subscriber's database is down")
        handled.append(delivery.event_id)

    processor = SqsFifoPartialProcessor(skip_group_on_error=True)
    response = process_partial_response(event, record_handler, processor, LambdaContext())
    failed = {item["itemIdentifier"] for item in response["batchItemFailures"]}
    by_id = {record["messageId"]: parse_record(record).event_id for record in event["Records"]}
    assert {by_id[message_id] for message_id in failed} == {"A-published", "A-deleted"}  # A waits, in order
    assert sorted(handled) == ["A-created", "B-created", "B-deleted", "B-published"]
