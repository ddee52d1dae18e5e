"""What Lambda hands a subscriber, built from what moto's SNS and SQS really delivered."""

from __future__ import annotations

import hashlib
from typing import Any

REGION = "us-east-1"


def subscribed_queue(sns: Any, sqs: Any, topic_arn: str, name: str, **attributes: str) -> tuple[str, str]:
    """A new queue subscribed to the topic; (queue URL, queue ARN)."""
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=arn, Attributes=attributes)
    return url, arn


def receive_all(sqs: Any, url: str) -> list[dict[str, Any]]:
    """Every message waiting on the queue, as `receive_message` returns them (left on the queue)."""
    messages: list[dict[str, Any]] = []
    while batch := sqs.receive_message(
        QueueUrl=url,
        MaxNumberOfMessages=10,
        MessageAttributeNames=["All"],
        AttributeNames=["All"],
        VisibilityTimeout=300,
    ).get("Messages", []):
        messages.extend(batch)
    return messages


def sqs_record(message: dict[str, Any], queue_arn: str) -> dict[str, Any]:
    """A Lambda SQS event record for a received message (Lambda's camelCase shape)."""
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": message.get("Attributes", {}),
        "messageAttributes": {
            name: {
                "stringValue": value.get("StringValue"),
                "stringListValues": [],
                "binaryListValues": [],
                "dataType": value["DataType"],
            }
            for name, value in message.get("MessageAttributes", {}).items()
        },
        "md5OfBody": hashlib.md5(message["Body"].encode()).hexdigest(),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": REGION,
    }


def sqs_event(messages: list[dict[str, Any]], queue_arn: str) -> dict[str, Any]:
    return {"Records": [sqs_record(message, queue_arn) for message in messages]}


def sns_record(envelope: dict[str, Any], subscription_arn: str) -> dict[str, Any]:
    """A Lambda SNS event record carrying the notification SNS sent (its envelope, Lambda's spelling)."""
    sns = {name: value for name, value in envelope.items() if name not in ("SigningCertURL", "UnsubscribeURL")}
    sns |= {"SigningCertUrl": envelope["SigningCertURL"], "UnsubscribeUrl": envelope["UnsubscribeURL"]}
    sns.setdefault("Subject", None)
    sns.setdefault("MessageAttributes", {})
    return {"EventSource": "aws:sns", "EventVersion": "1.0", "EventSubscriptionArn": subscription_arn, "Sns": sns}
