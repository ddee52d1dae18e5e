"""The Bettermode route end to end: handler.app.lambda_handler on the stack emulated from template.yaml.

Every test asserts what a user observes: the HTTP answer, the DynamoDB items, and the messages
that reached the SQS queue subscribed (raw delivery) to each topic.
"""

from __future__ import annotations

import copy
import hashlib
import json
import time
from collections import Counter
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from devkit.events import LambdaContext, http_api_event, now_ms, signed_headers
from devkit.queues import subscribe_queue
from handler import container
from tests.conftest import REGION, SECRET, Receiver, at_once, raw, sample

SUBSCRIPTION_SAMPLES = {
    "post.published": "TopicPOST",
    "reaction.added": "TopicREACTION",
    "space.created": "TopicSPACE",
    "member.created": "TopicMEMBER",
    "network.updated": "TopicNETWORK",
}


def with_id(document: dict[str, Any], event_id: str, **data: Any) -> dict[str, Any]:
    changed = copy.deepcopy(document)
    changed["data"]["id"] = event_id
    changed["data"].update(data)
    return changed


def count_calls(service: str) -> Counter[str]:
    """Count the receiver's own calls to `service`, by operation, from now on."""
    calls: Counter[str] = Counter()
    container.current().clients(service).meta.events.register(
        f"before-call.{service}.*", lambda model, **_: calls.update([model.name])
    )
    return calls


def fail_calls(service: str, operation: str, code: str = "InternalError", times: int | None = None) -> list[int]:
    """Make the receiver's `service.operation` calls fail with `code` (all, or the first `times`)."""
    failed = [0]

    def fail(**_: Any) -> None:
        if times is None or failed[0] < times:
            failed[0] += 1
            raise ClientError({"Error": {"Code": code, "Message": "injected"}}, operation)

    container.current().clients(service).meta.events.register(f"before-call.{service}.{operation}", fail)
    return failed


# ----- the URL challenge ---------------------------------------------------------------------------
@pytest.mark.parametrize("family", ["bettermode", "tribe"])
def test_challenge_is_answered_with_the_same_challenge(receiver: Receiver, family: str) -> None:
    body = raw(sample("test-challenge"))
    response = receiver.post(body, family=family)
    assert response.status == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {
        "type": "TEST",
        "status": "SUCCEEDED",
        "data": {"challenge": "d77dae12ea612cf647d6e2e78dd2b7470e4e4358"},
    }
    assert receiver.received() == {} and receiver.items() == []


def test_current_header_family_wins_when_both_are_sent(receiver: Receiver) -> None:
    body = raw(sample("test-challenge"))
    headers = signed_headers(SECRET, body) | {"x-tribe-signature": "0" * 64, "x-tribe-request-timestamp": "1"}
    assert receiver.post(body, headers=headers).status == 200
    wrong_current = signed_headers("other", body) | signed_headers(SECRET, body, family="tribe")
    assert receiver.post(body, headers=wrong_current).status == 401


def test_challenge_must_be_signed(receiver: Receiver) -> None:
    response = receiver.post(raw(sample("test-challenge")), headers={"content-type": "application/json"})
    assert response.status == 401
    assert response.json()["error"] == "unauthorized"


# ----- publishing by noun ----------------------------------------------------------------------------
@pytest.mark.parametrize(("name", "topic"), sorted(SUBSCRIPTION_SAMPLES.items()))
def test_each_sample_reaches_its_nouns_topic_once_verbatim(receiver: Receiver, name: str, topic: str) -> None:
    document = sample(name)
    body = raw(document)
    response = receiver.post(body)
    assert response.status == 200
    assert response.json() == {"type": "SUBSCRIPTION", "status": "SUCCEEDED"}
    received = receiver.received()
    assert list(received) == [topic]
    [message] = received[topic]
    assert message.body == body.decode("utf-8")
    data = document["data"]
    assert message.attributes["source"] == "bettermode"
    assert message.attributes["event_id"] == data["id"]
    assert message.attributes["event_name"] == data["name"]
    assert message.attributes["noun"] == data["noun"]
    assert message.attributes["verb"] == data["verb"]
    assert message.attributes["network_id"] == document["networkId"]
    assert message.attributes["actor_id"] == data["actor"]["id"]
    assert len(message.attributes) <= 10


def test_space_id_attribute_comes_from_the_object_or_the_target(receiver: Receiver) -> None:
    receiver.post(raw(sample("post.published")))
    receiver.post(raw(sample("space.created")))
    received = receiver.received()
    assert received["TopicPOST"][0].attributes["space_id"] == "kBMLH6nwC78J"  # data.object.spaceId
    assert received["TopicSPACE"][0].attributes["space_id"] == "ky4X0Ci6q4M5"  # data.target.spaceId
    receiver.post(raw(sample("network.updated")))
    assert "space_id" not in receiver.received()["TopicNETWORK"][0].attributes


def test_unknown_noun_goes_to_the_catch_all_topic(receiver: Receiver) -> None:
    document = with_id(sample("post.published"), "0" * 32, noun="WIDGET", name="widget.spun", verb="SPUN")
    assert receiver.post(raw(document)).status == 200
    received = receiver.received()
    assert list(received) == ["CatchAllTopic"]
    assert received["CatchAllTopic"][0].attributes["noun"] == "WIDGET"


def test_same_noun_other_verb_lands_on_the_same_topic(receiver: Receiver) -> None:
    document = with_id(sample("post.published"), "1" * 32, name="post.created", verb="CREATED")
    document["data"]["object"]["title"] = "Grüße, 世界 👋"
    body = raw(document)
    assert receiver.post(body).status == 200
    [message] = receiver.received()["TopicPOST"]
    assert message.body == body.decode("utf-8")
    assert message.attributes["event_name"] == "post.created"


# ----- exactly once ----------------------------------------------------------------------------------
def test_redelivery_is_acknowledged_not_republished_and_costs_one_call(receiver: Receiver) -> None:
    body = raw(sample("post.published"))
    assert receiver.post(body).status == 200
    assert len(receiver.received()["TopicPOST"]) == 1
    dynamodb_calls, sns_calls = count_calls("dynamodb"), count_calls("sns")
    again = receiver.post(body, timestamp_ms=now_ms() + 1000)  # a retry is re-signed with a fresh timestamp
    assert again.status == 200
    assert again.json() == {"type": "SUBSCRIPTION", "status": "SUCCEEDED"}
    assert receiver.received() == {}
    assert sum(dynamodb_calls.values()) == 1
    assert sum(sns_calls.values()) == 0


def test_claim_record_is_completed_with_a_days_long_expiry(receiver: Receiver) -> None:
    event_id = sample("post.published")["data"]["id"]
    receiver.post(raw(sample("post.published")))
    [item] = receiver.items()
    expected_hash = hashlib.md5(json.dumps(f"bettermode:{event_id}").encode(), usedforsecurity=False).hexdigest()
    assert item["id"]["S"] == f"webhook#{expected_hash}"
    assert item["status"]["S"] == "COMPLETED"
    ttl = int(item["expiration"]["N"]) - time.time()
    assert 7 * 86400 - 60 < ttl <= 7 * 86400
    assert "SUBSCRIPTION" not in json.dumps(item)  # the record holds no payload


def test_distinct_ids_with_the_same_body_are_each_published(receiver: Receiver) -> None:
    for event_id in ("a" * 32, "b" * 32):
        assert receiver.post(raw(with_id(sample("post.published"), event_id))).status == 200
    ids = [m.attributes["event_id"] for m in receiver.received()["TopicPOST"]]
    assert sorted(ids) == ["a" * 32, "b" * 32]


def test_concurrent_duplicates_are_published_once(receiver: Receiver) -> None:
    body = raw(with_id(sample("reaction.added"), "c" * 32))
    sns = container.current().clients("sns")

    def slow_publish(**_: Any) -> None:
        time.sleep(0.2)  # keep the first claim in progress while the others arrive

    sns.meta.events.register("before-call.sns.Publish", slow_publish)
    statuses = at_once(8, lambda: receiver.post(body))
    assert len(receiver.received()["TopicREACTION"]) == 1
    assert statuses.count(200) >= 1
    assert set(statuses) <= {200, 503}  # 503 in_progress: retryable by any platform
    assert 503 in statuses
    assert receiver.post(body).status == 200  # once completed, a retry is acknowledged
    assert receiver.received() == {}


def test_in_progress_duplicate_gets_a_retryable_503(receiver: Receiver) -> None:
    body = raw(sample("member.created"))
    event_id = sample("member.created")["data"]["id"]
    key = hashlib.md5(json.dumps(f"bettermode:{event_id}").encode(), usedforsecurity=False).hexdigest()
    lease_ends = int((time.time() + 30) * 1000)
    receiver.dynamodb.put_item(
        TableName=receiver.stack.table_name,
        Item={
            "id": {"S": f"webhook#{key}"},
            "status": {"S": "INPROGRESS"},
            "expiration": {"N": str(int(time.time()) + 3600)},
            "in_progress_expiration": {"N": str(lease_ends)},
        },
    )
    response = receiver.post(body)
    assert response.status == 503
    assert response.headers["retry-after"] == "5"
    assert response.json()["error"] == "in_progress"
    assert receiver.received() == {}


def test_claim_of_a_crashed_delivery_is_retaken_after_its_lease(receiver: Receiver) -> None:
    body = raw(sample("member.created"))
    dies = LambdaContext(timeout_s=10)
    sns = container.current().clients("sns")

    def crash(**_: Any) -> None:
        raise SystemExit("the function died between claim and publish")

    sns.meta.events.register("before-call.sns.Publish", crash, unique_id="crash")
    with pytest.raises(SystemExit):
        receiver.post(body, context=dies)  # the record stays INPROGRESS with a 10 s lease
    sns.meta.events.unregister("before-call.sns.Publish", unique_id="crash")
    [item] = receiver.items()
    assert item["status"]["S"] == "INPROGRESS"
    lease = int(item["in_progress_expiration"]["N"]) / 1000 - time.time()
    assert 8 < lease <= 10  # the lease is the function's timeout, not the record's days-long expiry
    assert receiver.post(body).json()["error"] == "in_progress"  # inside the lease
    receiver.dynamodb.update_item(  # let the lease pass
        TableName=receiver.stack.table_name,
        Key={"id": item["id"]},
        UpdateExpression="SET in_progress_expiration = :past",
        ExpressionAttributeValues={":past": {"N": str(int((time.time() - 1) * 1000))}},
    )
    assert receiver.post(body).status == 200
    assert len(receiver.received()["TopicMEMBER"]) == 1
    assert receiver.items()[0]["status"]["S"] == "COMPLETED"


def test_publish_failure_releases_the_claim_and_the_retry_publishes(receiver: Receiver) -> None:
    body = raw(sample("space.created"))
    failed = fail_calls("sns", "Publish", times=1)  # the first delivery's publish
    response = receiver.post(body)
    assert response.status == 503
    assert response.headers["retry-after"] == "10"
    assert response.json()["error"] == "unavailable"
    assert failed[0] == 1
    assert receiver.items() == []  # released, not left in progress
    assert receiver.received() == {}
    assert receiver.post(body).status == 200
    assert len(receiver.received()["TopicSPACE"]) == 1


def test_claim_failure_answers_503_and_publishes_nothing(receiver: Receiver) -> None:
    fail_calls("dynamodb", "PutItem", code="ProvisionedThroughputExceededException")
    response = receiver.post(raw(sample("post.published")))
    assert response.status == 503
    assert receiver.received() == {}


def test_completion_failure_after_publish_is_acknowledged(receiver: Receiver) -> None:
    body = raw(sample("post.published"))
    fail_calls("dynamodb", "UpdateItem")
    assert receiver.post(body).status == 200  # the event is on its topic: acknowledging avoids a duplicate
    assert len(receiver.received()["TopicPOST"]) == 1
    assert receiver.items()[0]["status"]["S"] == "INPROGRESS"  # until its lease passes


# ----- app lifecycle ---------------------------------------------------------------------------------
def test_install_then_uninstall_with_one_id_are_both_published(receiver: Receiver) -> None:
    installation = {"id": "inst-1", "networkId": "CAxOmI7I7t", "appId": "app-9", "status": "ENABLED"}
    bodies = [
        raw(
            {"networkId": "CAxOmI7I7t", "context": "NETWORK", "currentSettings": [], "type": kind, "data": installation}
        )
        for kind in ("APP_INSTALLED", "APP_UNINSTALLED")
    ]
    for body, kind in zip(bodies, ("APP_INSTALLED", "APP_UNINSTALLED"), strict=True):
        response = receiver.post(body)
        assert response.status == 200
        assert response.json() == {"type": kind, "status": "SUCCEEDED"}
    messages = receiver.received()["TopicAPPINSTALLATION"]
    assert [m.body.encode() for m in messages] == bodies
    assert [m.attributes["event_name"] for m in messages] == [
        "app_installation.installed",
        "app_installation.uninstalled",
    ]
    assert len({m.attributes["event_id"] for m in messages}) == 2  # subscribers dedupe on it: never equal
    assert receiver.post(bodies[1]).status == 200  # a redelivered uninstall is still deduplicated
    assert receiver.received() == {}


# ----- reply-only request types ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "data"),
    [("interaction", {"interactions": []}), ("shortcuts-states", []), ("federated-search", [])],
)
def test_reply_types_get_their_expected_reply(receiver: Receiver, name: str, data: Any) -> None:
    document = sample(name)
    response = receiver.post(raw(document))
    assert response.status == 200
    assert response.json() == {"type": document["type"], "status": "SUCCEEDED", "data": data}
    assert receiver.received() == {} and receiver.items() == []


@pytest.mark.parametrize("kind", ["GET_SETTINGS", "UPDATE_SETTINGS", "LOAD_BLOCK", "CALLBACK", "SOMETHING_NEW"])
def test_legacy_and_unknown_types_succeed_without_publishing(receiver: Receiver, kind: str) -> None:
    response = receiver.post(raw({"networkId": "n", "type": kind, "data": {"x": 1}}))
    assert response.status == 200
    assert response.json() == {"type": kind, "status": "SUCCEEDED"}
    assert receiver.received() == {} and receiver.items() == []


# ----- authentication --------------------------------------------------------------------------------
def post_rejected(receiver: Receiver, body: bytes, headers: dict[str, str]) -> dict[str, Any]:
    response = receiver.post(body, headers=headers)
    assert response.status == 401, response.body
    assert receiver.received() == {} and receiver.items() == []
    error = response.json()
    assert set(error) == {"error", "message"} and error["error"] == "unauthorized"
    assert SECRET not in response.body
    return error


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda h: h | {"x-bettermode-signature": signed_headers("wrong", b"x")["x-bettermode-signature"]}, "match"),
        (lambda h: h | {"x-bettermode-signature": h["x-bettermode-signature"][:63]}, "match"),
        (lambda h: h | {"x-bettermode-signature": h["x-bettermode-signature"] * 2}, "match"),
        (lambda h: h | {"x-bettermode-signature": h["x-bettermode-signature"].upper()}, "match"),
        (lambda h: h | {"x-bettermode-signature": "sha256=" + h["x-bettermode-signature"]}, "match"),
        (lambda h: h | {"x-bettermode-signature": "é" * 64}, "match"),
        (lambda h: h | {"x-bettermode-signature": ""}, "match"),
        (lambda h: {k: v for k, v in h.items() if k != "x-bettermode-signature"}, "not signed"),
        (lambda h: {k: v for k, v in h.items() if k != "x-bettermode-request-timestamp"}, "timestamp"),
        (lambda h: h | {"x-bettermode-request-timestamp": "soon"}, "milliseconds"),
        (lambda h: h | {"x-bettermode-request-timestamp": "-5"}, "milliseconds"),
        (lambda h: h | {"x-bettermode-request-timestamp": "9" * 40}, "milliseconds"),
    ],
    ids=[
        "wrong-secret",
        "63-chars",
        "128-chars",
        "upper-case",
        "prefixed",
        "non-ascii",
        "empty",
        "missing-signature",
        "missing-timestamp",
        "non-numeric-timestamp",
        "negative-timestamp",
        "huge-timestamp",
    ],
)
def test_bad_signatures_are_refused(receiver: Receiver, change: Any, reason: str) -> None:
    body = raw(sample("post.published"))
    error = post_rejected(receiver, body, change(signed_headers(SECRET, body)))
    assert reason in error["message"]


@pytest.mark.parametrize(
    ("offset_ms", "accepted", "reason"),
    [
        (-14 * 60_000, True, ""),
        (-16 * 60_000, False, "old"),
        (30_000, True, ""),
        (10 * 60_000, False, "future"),
    ],
    ids=["14-min-old", "16-min-old", "30-s-ahead", "10-min-ahead"],
)
def test_replay_window(receiver: Receiver, offset_ms: int, accepted: bool, reason: str) -> None:
    body = raw(with_id(sample("post.published"), f"{offset_ms + 10**9:032d}"))
    headers = signed_headers(SECRET, body, now_ms() + offset_ms)
    if accepted:
        assert receiver.post(body, headers=headers).status == 200
        assert len(receiver.received()["TopicPOST"]) == 1
    else:
        assert reason in post_rejected(receiver, body, headers)["message"]


def test_timestamp_in_seconds_is_refused(receiver: Receiver) -> None:
    body = raw(sample("post.published"))
    post_rejected(receiver, body, signed_headers(SECRET, body, int(time.time())))


def test_signature_over_reserialised_json_is_refused(receiver: Receiver) -> None:
    body = raw(sample("post.published"))
    compact = json.dumps(json.loads(body), separators=(",", ":")).encode()
    post_rejected(receiver, body, signed_headers(SECRET, compact))


def test_rotated_secrets_are_all_accepted(receiver: Receiver, monkeypatch: pytest.MonkeyPatch) -> None:
    """Deployed: the Secrets Manager value holds "old,new" during a rotation."""
    secrets = boto3.client("secretsmanager", region_name=REGION)
    secrets.put_secret_value(SecretId=receiver.stack.environment["SIGNING_SECRET_ARN"], SecretString="old-one, new-one")
    body = raw(sample("test-challenge"))
    assert receiver.post(body, secret="old-one").status == 200
    assert receiver.post(body, secret="new-one").status == 200
    post_rejected(receiver, body, signed_headers(SECRET, body))  # the replaced secret no longer works


def test_environment_secret_takes_precedence(receiver: Receiver, monkeypatch: pytest.MonkeyPatch) -> None:
    from devkit.runtime import reset_handler_state

    monkeypatch.setenv("SIGNING_SECRET", "local-a,local-b")
    reset_handler_state()
    body = raw(sample("test-challenge"))
    assert receiver.post(body, secret="local-a").status == 200
    assert receiver.post(body, secret="local-b").status == 200
    post_rejected(receiver, body, signed_headers(SECRET, body))


@pytest.mark.parametrize("sam_local", [False, True])
def test_a_deployed_function_ignores_an_environment_secret(
    receiver: Receiver, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, sam_local: bool
) -> None:
    """Set by mistake in a deployed function's configuration, SIGNING_SECRET must not replace the secret
    in Secrets Manager; under `sam local` (AWS_SAM_LOCAL=true) it is the local secret it is meant to be."""
    from devkit.runtime import reset_handler_state

    monkeypatch.setenv("AWS_EXECUTION_ENV", "AWS_Lambda_python3.13")
    monkeypatch.setenv("SIGNING_SECRET", "planted-by-mistake")
    if sam_local:
        monkeypatch.setenv("AWS_SAM_LOCAL", "true")
    reset_handler_state()
    body = raw(sample("test-challenge"))
    planted = receiver.post(body, secret="planted-by-mistake")
    stored = receiver.post(body, secret=SECRET)
    if sam_local:
        assert (planted.status, stored.status) == (200, 401)
        return
    assert planted.status == 401
    assert stored.status == 200 and stored.json()["data"] == sample("test-challenge")["data"]
    warnings = [r for r in caplog.records if "ignored in a deployed function" in r.getMessage()]
    assert len(warnings) == 1
    assert "planted-by-mistake" not in caplog.text


def test_secret_is_fetched_once_and_cached(receiver: Receiver, monkeypatch: pytest.MonkeyPatch) -> None:
    from botocore.client import BaseClient

    calls: list[str] = []
    make_api_call = BaseClient._make_api_call

    def spy(client: BaseClient, operation: str, params: dict[str, Any]) -> Any:
        calls.append(operation)
        return make_api_call(client, operation, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", spy)
    body = raw(sample("test-challenge"))
    for _ in range(3):
        assert receiver.post(body).status == 200
    assert calls == ["GetSecretValue"]  # and a challenge needs no other AWS call


def test_unreadable_secret_answers_503(receiver: Receiver, monkeypatch: pytest.MonkeyPatch) -> None:
    from devkit.runtime import reset_handler_state

    monkeypatch.setenv("SIGNING_SECRET_ARN", receiver.stack.environment["SIGNING_SECRET_ARN"] + "-gone")
    reset_handler_state()
    response = receiver.post(raw(sample("test-challenge")))
    assert response.status == 503
    assert response.json()["error"] == "unavailable"


# ----- malformed bodies --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"", "empty"),
        (b"   ", "empty"),
        (b"{not json", "not valid JSON"),
        (b'["SUBSCRIPTION"]', "must be a JSON object"),
        (b'"TEST"', "must be a JSON object"),
        (b"\xff\xfe{}", "UTF-8"),
        (b'{"data": {}}', "body.type"),
        (b'{"type": 7}', "body.type"),
        (b'{"type": "TEST", "data": {}}', "data.challenge"),
        (b'{"type": "SUBSCRIPTION"}', "data is required"),
        (b'{"type": "SUBSCRIPTION", "data": {"noun": "POST"}}', "data.id"),
        (b'{"type": "SUBSCRIPTION", "data": {"id": 5, "noun": "POST"}}', "data.id"),
        (b'{"type": "SUBSCRIPTION", "data": {"id": "abc"}}', "data.noun"),
        (b'{"type": "SUBSCRIPTION", "data": {"id": "abc", "noun": ""}}', "data.noun"),
        (b'{"type": "APP_INSTALLED", "data": {}}', "data.id"),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
    ],
    ids=[
        "empty",
        "blank",
        "invalid-json",
        "array",
        "string",
        "not-utf8",
        "no-type",
        "type-not-string",
        "test-without-challenge",
        "subscription-without-data",
        "without-id",
        "id-not-string",
        "without-noun",
        "empty-noun",
        "install-without-id",
        "deeply-nested",
    ],
)
def test_malformed_bodies_get_400_saying_what_is_wrong(receiver: Receiver, body: bytes, reason: str) -> None:
    response = receiver.invoke(http_api_event(body, signed_headers(SECRET, body), base64_body=True))
    assert response.status == 400, response.body
    error = response.json()
    assert error["error"] == "bad_request"
    assert reason in error["message"]
    assert receiver.received() == {} and receiver.items() == []


def test_unknown_fields_are_tolerated(receiver: Receiver) -> None:
    document = sample("post.published")
    document["brandNew"] = {"nested": [1, 2]}
    document["data"]["alsoNew"] = None
    document["data"]["actor"] = "not-an-object"
    assert receiver.post(raw(document)).status == 200
    [message] = receiver.received()["TopicPOST"]
    assert "actor_id" not in message.attributes


def test_base64_body_is_verified_and_published_as_decoded_bytes(receiver: Receiver) -> None:
    body = raw(with_id(sample("post.published"), "d" * 32))
    assert receiver.post(body, base64_body=True).status == 200
    [message] = receiver.received()["TopicPOST"]
    assert message.body == body.decode("utf-8")


def test_invalid_base64_is_a_400(receiver: Receiver) -> None:
    event = http_api_event(b"x", signed_headers(SECRET, b"x"), base64_body=True)
    event["body"] = "***not base64***"
    assert receiver.invoke(event).status == 400


def test_oversized_body_is_refused_before_it_is_parsed(receiver: Receiver) -> None:
    body = b'{"type": "SUBSCRIPTION", "pad": "' + b"x" * (5 * 1024 * 1024) + b'"}'
    assert receiver.post(body, secret="wrong").status == 401  # authentication comes first
    response = receiver.post(body)
    assert response.status == 413
    assert response.json()["error"] == "payload_too_large"
    assert receiver.received() == {} and receiver.items() == []


# ----- routing -------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("method", "path"), [("GET", "/webhooks/bettermode"), ("POST", "/webhooks/other"), ("POST", "/")]
)
def test_other_routes_are_404_json(receiver: Receiver, method: str, path: str) -> None:
    body = raw(sample("test-challenge"))
    response = receiver.invoke(http_api_event(body, signed_headers(SECRET, body), method=method, path=path))
    assert response.status == 404
    assert response.json()["error"] == "not_found"


# ----- subscriber filter policies ----------------------------------------------------------------------
def test_body_filter_policy_takes_published_posts_that_are_not_replies(receiver: Receiver) -> None:
    """docs/subscribing.md's example policy, applied by SNS to the message body."""
    sns, sqs = boto3.client("sns", region_name=REGION), boto3.client("sqs", region_name=REGION)
    policy = {"data": {"name": ["post.published"], "object": {"isReply": [False]}}}
    queue = subscribe_queue(
        sns,
        sqs,
        receiver.stack.topics["TopicPOST"],
        "top-level-posts",
        FilterPolicyScope="MessageBody",
        FilterPolicy=json.dumps(policy),
    )
    post = sample("post.published")
    reply = with_id(post, "e" * 32)
    reply["data"]["object"]["isReply"] = True
    created = with_id(post, "f" * 32, name="post.created", verb="CREATED")
    for document in (post, reply, created):
        assert receiver.post(raw(document)).status == 200
    got = [
        json.loads(m["Body"])["data"]["id"]
        for m in sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", [])
    ]
    assert got == [post["data"]["id"]]


def test_attribute_filter_policy_takes_one_event_name(receiver: Receiver) -> None:
    sns, sqs = boto3.client("sns", region_name=REGION), boto3.client("sqs", region_name=REGION)
    queue = subscribe_queue(
        sns,
        sqs,
        receiver.stack.topics["TopicPOST"],
        "created-only",
        FilterPolicy=json.dumps({"source": ["bettermode"], "event_name": ["post.created"]}),
    )
    receiver.post(raw(sample("post.published")))
    receiver.post(raw(with_id(sample("post.published"), "9" * 32, name="post.created", verb="CREATED")))
    messages = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, MessageAttributeNames=["All"])["Messages"]
    assert [m["MessageAttributes"]["event_id"]["StringValue"] for m in messages] == ["9" * 32]
