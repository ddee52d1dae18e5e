"""The floor: only the unavoidable work of a webhook receiver, with the standard library and bare boto3.

HMAC check, `json.loads`, one conditional put, one publish, one update. No routing, no challenge,
no replay window, no attributes beyond the event id, no error handling worth the name. The
receiver is measured against this.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from typing import Any

_clients: dict[str, Any] = {}


def _client(service: str) -> Any:
    if service not in _clients:
        import boto3

        _clients[service] = boto3.client(service)
    return _clients[service]


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    headers = event.get("headers") or {}
    body = (event.get("body") or "").encode()
    timestamp = headers.get("x-bettermode-request-timestamp", "")
    expected = hmac.new(os.environ["SIGNING_SECRET"].encode(), timestamp.encode() + b":" + body, hashlib.sha256)
    if not hmac.compare_digest(expected.hexdigest().encode(), headers.get("x-bettermode-signature", "").encode()):
        return {"statusCode": 401, "body": ""}
    event_id = json.loads(body)["data"]["id"]
    table = os.environ["TABLE_NAME"]
    try:
        _client("dynamodb").put_item(
            TableName=table,
            Item={"id": {"S": f"floor#{event_id}"}, "status": {"S": "INPROGRESS"}},
            ConditionExpression="attribute_not_exists(id)",
        )
    except _client("dynamodb").exceptions.ConditionalCheckFailedException:
        return {"statusCode": 200, "body": ""}
    _client("sns").publish(TopicArn=os.environ["FLOOR_TOPIC_ARN"], Message=body.decode())
    _client("dynamodb").update_item(
        TableName=table,
        Key={"id": {"S": f"floor#{event_id}"}},
        UpdateExpression="SET #s = :done",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":done": {"S": "COMPLETED"}},
    )
    return {"statusCode": 200, "body": ""}
