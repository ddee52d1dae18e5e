"""Deduplicator: once per event id and handler, on a DynamoDB table like the example's."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from devkit.events import LambdaContext
from tests.conftest import raw, sample
from tests.subscriber.helpers import REGION
from webhook_events import Deduplicator, Delivery, PostEvent, clients, parse_event


def delivery(event_id: str, source: str = "bettermode") -> Delivery[PostEvent]:
    document = sample("post.published")
    document["data"]["id"] = event_id
    event = parse_event(raw(document))
    assert isinstance(event, PostEvent)
    return Delivery(event, {"event_id": event_id, "source": source}, raw(document).decode(), "m-1")


def claims_table(name: str) -> None:
    """A table like the example's (key `id`), and a helper client that will see it."""
    boto3.client("dynamodb", region_name=REGION).create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    clients.client.cache_clear()


@pytest.fixture
def dedupe(aws: None) -> Deduplicator:
    claims_table("processed")
    deduplicator = Deduplicator("processed", expires_after_seconds=3600)
    deduplicator.register_lambda_context(LambdaContext())
    return deduplicator


def test_each_handler_sees_each_event_once(dedupe: Deduplicator) -> None:
    seen: list[tuple[str, str]] = []
    notify = dedupe.once(lambda d: seen.append(("notify", d.event_id)), name="notify")
    index = dedupe.once(lambda d: seen.append(("index", d.event_id)), name="index")
    assert [notify(delivery("a" * 32)), notify(delivery("a" * 32)), notify(delivery("b" * 32))] == [True, False, True]
    assert [index(delivery("a" * 32)), index(delivery("a" * 32))] == [True, False]
    assert notify(delivery("a" * 32, source="cand")) is True  # ids are namespaced by source
    assert seen == [("notify", "a" * 32), ("notify", "b" * 32), ("index", "a" * 32), ("notify", "a" * 32)]
    items = boto3.client("dynamodb", region_name=REGION).scan(TableName="processed")["Items"]
    assert len(items) == 4 and all("expiration" in item for item in items)


def test_a_delivery_without_an_event_id_is_refused(dedupe: Deduplicator) -> None:
    handle = dedupe.once(lambda _d: None, name="any")
    nameless = delivery("")
    with pytest.raises(ValueError, match="no event id"):
        handle(nameless)


def test_outside_lambda_a_claim_is_leased_not_held_forever(aws: None) -> None:
    """A poller that dies while handling must not block the event until the record expires."""
    from aws_lambda_powertools.utilities.idempotency.exceptions import IdempotencyAlreadyInProgressError

    claims_table("polled")
    attempts: list[str] = []
    claims: list[dict[str, Any]] = []

    def leased(seconds: int) -> bool:
        dedupe = Deduplicator("polled", lease_seconds=seconds)  # no Lambda context registered

        @dedupe.once
        def handle(d: Delivery[PostEvent]) -> None:
            attempts.append(d.event_id)
            if len(attempts) == 1:  # while the first attempt holds the claim, a second delivery comes
                claims.extend(boto3.client("dynamodb", region_name=REGION).scan(TableName="polled")["Items"])
                handle(d)

        return handle(delivery(f"{seconds:032d}"))

    with pytest.raises(IdempotencyAlreadyInProgressError):
        leased(300)  # inside the lease: the second delivery is told to retry later
    [claim] = claims
    assert "in_progress_expiration" in claim  # the claim ends; without a lease it would last 7 days
    attempts.clear()
    assert leased(0) is True  # a lapsed lease: the second delivery may run the handler
    assert attempts == ["0" * 32, "0" * 32]
