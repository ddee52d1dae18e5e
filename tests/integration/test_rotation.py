"""The rotation runbook (docs/operations.md), step by step, with zero rejected deliveries.

A rotation is: store "old,new" -> wait until every container has read it -> switch the platform
to the new value -> store "new". Deliveries signed (or addressed) with either value are accepted
throughout, including retries of deliveries made before the switch; afterwards the old value is
refused. The wait is real: a container keeps its cached value for SecretCacheSeconds.
"""

from __future__ import annotations

import copy
import uuid
from typing import Any

import boto3
import pytest

from devkit.runtime import reset_handler_state
from tests.conftest import CAND_TOKEN, REGION, SECRET, Receiver, raw, sample
from tests.support import cand

NEW_SECRET = "rotated-signing-secret-4f1e9a7c"
NEW_TOKEN = "rotated-cand-token-Qm3Xw8Zr6Tb1Yk4N"


def fresh_post() -> bytes:
    document: dict[str, Any] = copy.deepcopy(sample("post.published"))
    document["data"]["id"] = uuid.uuid4().hex
    return raw(document)


def store(arn: str, value: str) -> None:
    boto3.client("secretsmanager", region_name=REGION).put_secret_value(SecretId=arn, SecretString=value)


def cache_expires() -> None:
    """What SecretCacheSeconds passing does to a warm container: the next request reads the secret again."""
    reset_handler_state()


def test_signing_secret_rotation_rejects_no_delivery(receiver: Receiver) -> None:
    arn = receiver.stack.environment["SIGNING_SECRET_ARN"]
    statuses = [receiver.post(fresh_post(), secret=SECRET).status]

    store(arn, f"{SECRET},{NEW_SECRET}")  # 1. both values active
    # until the cache expires, containers still know only the old value: this is why step 2 waits
    assert receiver.post(fresh_post(), secret=NEW_SECRET).status == 401
    cache_expires()  # 2. wait SecretCacheSeconds
    in_flight = fresh_post()  # signed with the old secret just before the switch, retried after it
    statuses.append(receiver.post(in_flight, secret=SECRET).status)
    statuses.append(receiver.post(fresh_post(), secret=NEW_SECRET).status)  # 3. the platform now signs with new
    statuses.append(receiver.post(in_flight, secret=SECRET).status)  # the retry: accepted, a duplicate

    store(arn, NEW_SECRET)  # 4. the old value retired
    cache_expires()
    statuses.append(receiver.post(fresh_post(), secret=NEW_SECRET).status)

    assert statuses == [200] * 5
    assert len(receiver.received()["TopicPOST"]) == 4  # four events, each published once
    assert receiver.post(fresh_post(), secret=SECRET).status == 401  # the old secret no longer works


def test_cand_token_rotation_rejects_no_delivery(receiver: Receiver) -> None:
    arn = receiver.stack.environment["CAND_TOKEN_ARN"]
    statuses = [receiver.post_cand(raw(cand("member.joined")), CAND_TOKEN).status]

    store(arn, f"{CAND_TOKEN},{NEW_TOKEN}")
    assert receiver.post_cand(raw(cand("member.updated")), NEW_TOKEN).status == 404  # not read yet
    cache_expires()
    statuses.append(receiver.post_cand(raw(cand("member.activated")), CAND_TOKEN).status)
    statuses.append(receiver.post_cand(raw(cand("member.updated")), NEW_TOKEN).status)  # canD now uses the new URL

    store(arn, NEW_TOKEN)
    cache_expires()
    statuses.append(receiver.post_cand(raw(cand("content.created")), NEW_TOKEN).status)

    assert statuses == [200] * 4
    received = receiver.received()
    assert sum(len(messages) for messages in received.values()) == 4
    assert receiver.post_cand(raw(cand("member.joined")), CAND_TOKEN).status == 404


@pytest.mark.parametrize("separator", [",", ", ", " ,\n"])
def test_the_stored_list_tolerates_spacing(receiver: Receiver, separator: str) -> None:
    store(receiver.stack.environment["SIGNING_SECRET_ARN"], f"{SECRET}{separator}{NEW_SECRET}")
    cache_expires()
    assert receiver.post(fresh_post(), secret=NEW_SECRET).status == 200
    assert receiver.post(fresh_post(), secret=SECRET).status == 200
