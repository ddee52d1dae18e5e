"""The canD route end to end: token in the path, derived dedupe key, fan-out by noun, replies."""

from __future__ import annotations

import json
import time
from pathlib import Path

import boto3
import pytest

from devkit.events import http_api_event, signed_headers
from devkit.queues import subscribe_queue
from devkit.runtime import reset_handler_state
from devkit.samples import CAND_EVENTS, PAYLOADS
from handler import container
from handler.providers.cand import derived_event_id
from tests.conftest import CAND_TOKEN, REGION, SECRET, Receiver, at_once, raw, sample
from tests.support import cand

CAND = PAYLOADS / "cand"


def not_found_body(receiver: Receiver) -> str:
    return receiver.invoke(http_api_event(b"{}", {}, path="/no/such/route")).body


@pytest.mark.parametrize("name", CAND_EVENTS)
def test_each_moim_event_is_published_once_with_its_attributes(receiver: Receiver, name: str) -> None:
    document = cand(name)
    body = (CAND / f"{name}.json").read_bytes()
    response = receiver.post_cand(body)
    assert response.status == 200
    assert response.json() == {"status": "SUCCEEDED"}
    received = receiver.received()
    noun = name.split(".", maxsplit=1)[0].upper()
    topic = "TopicMEMBER" if noun == "MEMBER" else "CatchAllTopic"  # the default TopicNouns
    assert list(received) == [topic]
    [message] = received[topic]
    assert message.body.encode() == body
    assert message.attributes == {
        "source": "cand",
        "event_id": derived_event_id(document),
        "event_name": document["type"],
        "noun": noun,
        "verb": document["type"].split(".", 1)[1].upper(),
        "module": "MOIM",
        "community_id": "G0CHILD001",
        "actor_id": "UAKDIJ23KD",
        "origin_community_id": "G0ORIGIN01",
    }


def test_noun_with_its_own_topic_in_the_template_gets_it(receiver: Receiver) -> None:
    """Same rule as Bettermode: a noun listed in TopicNouns has its topic (here MEMBER)."""
    receiver.post_cand(raw(cand("member.joined")))
    receiver.post_cand(raw(dict(cand("member.joined"), type="quest.completed")))
    assert sorted(receiver.received()) == ["CatchAllTopic", "TopicMEMBER"]


@pytest.mark.parametrize(
    "token",
    ["", "wrong", CAND_TOKEN[:-1], CAND_TOKEN + "x", CAND_TOKEN.upper(), "é" * 32, SECRET],
    ids=["empty", "wrong", "prefix", "longer", "upper-case", "non-ascii", "the-bettermode-secret"],
)
def test_wrong_token_is_a_404_like_any_unknown_route(receiver: Receiver, token: str) -> None:
    response = receiver.post_cand(raw(cand("member.activated")), token)
    assert response.status == 404
    assert response.body == not_found_body(receiver)  # nothing tells the route exists
    assert receiver.received() == {} and receiver.items() == []


def test_token_is_checked_before_the_body(receiver: Receiver) -> None:
    huge = b"x" * (5 * 1024 * 1024 + 1)
    assert receiver.post_cand(b"{not json", "wrong").status == 404
    assert receiver.post_cand(huge, "wrong").status == 404
    assert receiver.post_cand(huge).status == 413


def test_rotated_tokens_are_all_accepted(receiver: Receiver) -> None:
    boto3.client("secretsmanager", region_name=REGION).put_secret_value(
        SecretId=receiver.stack.environment["CAND_TOKEN_ARN"],
        SecretString="old-token-aaaaaaaaaaaaaaaa,new-token-bbbbbbbbbbbbbbbb",
    )
    body = raw(cand("member.joined"))
    assert receiver.post_cand(body, "old-token-aaaaaaaaaaaaaaaa").status == 200
    assert receiver.post_cand(raw(cand("member.updated")), "new-token-bbbbbbbbbbbbbbbb").status == 200
    assert receiver.post_cand(body, CAND_TOKEN).status == 404  # the replaced token no longer works
    assert len(receiver.received()["TopicMEMBER"]) == 2


def test_environment_token_takes_precedence(receiver: Receiver, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CAND_WEBHOOK_TOKEN", "local-one-cccccccccccccccccc")
    reset_handler_state()
    assert receiver.post_cand(raw(cand("member.joined")), "local-one-cccccccccccccccccc").status == 200
    assert receiver.post_cand(raw(cand("member.joined")), CAND_TOKEN).status == 404


def test_redelivered_body_is_published_once_even_reserialised(receiver: Receiver) -> None:
    document = cand("payment.paid")
    compact = json.dumps(document, separators=(",", ":")).encode()
    reordered = json.dumps(dict(reversed(list(document.items()))), indent=4).encode()
    for body in (raw(document), raw(document), compact, reordered):
        assert receiver.post_cand(body).status == 200
    assert len(receiver.received()["CatchAllTopic"]) == 1
    assert len(receiver.items()) == 1


def test_events_sharing_a_payload_id_are_each_published(receiver: Receiver) -> None:
    created, updated = cand("product.created"), cand("product.updated")
    assert created["payload"]["id"] == updated["payload"]["id"]
    edited_again = json.loads(json.dumps(updated))
    edited_again["payload"]["price"] = 89000  # a second edit of the same product
    for document in (created, updated, edited_again):
        assert receiver.post_cand(raw(document)).status == 200
    names = [m.attributes["event_name"] for m in receiver.received()["CatchAllTopic"]]
    assert names == ["product.created", "product.updated", "product.updated"]


def test_concurrent_duplicates_are_published_once(receiver: Receiver) -> None:
    body = raw(cand("message.created"))
    container.current().clients("sns").meta.events.register("before-call.sns.Publish", lambda **_: time.sleep(0.2))
    statuses = at_once(6, lambda: receiver.post_cand(body))
    assert len(receiver.received()["CatchAllTopic"]) == 1
    assert set(statuses) <= {200, 503}  # 503 in_progress: retryable by any platform
    assert 503 in statuses


def test_providers_never_collide_on_a_key(receiver: Receiver) -> None:
    document = cand("member.activated")
    shared = derived_event_id(document)
    bettermode = sample("member.created")
    bettermode["data"]["id"] = shared  # the same key string from the other provider
    body = raw(bettermode)
    assert receiver.post(body).status == 200
    assert receiver.post_cand(raw(document)).status == 200
    messages = receiver.received()["TopicMEMBER"]
    assert sorted(m.attributes["source"] for m in messages) == ["bettermode", "cand"]
    assert {m.attributes["event_id"] for m in messages} == {shared}


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"", "empty"),
        (b"{oops", "not valid JSON"),
        (b'["MOIM"]', "must be a JSON object"),
        (b'{"type": "member.joined"}', "body.module"),
        (b'{"module": "MOIM"}', "body.type"),
        (b'{"module": "MOIM", "type": ""}', "body.type"),
        (b'{"module": 5, "type": "member.joined"}', "body.module"),
        (b'{"module": "MOIM", "type": ["member.joined"]}', "body.type"),
    ],
    ids=["empty", "invalid-json", "array", "no-module", "no-type", "empty-type", "module-number", "type-list"],
)
def test_malformed_bodies_get_400_saying_what_is_wrong(receiver: Receiver, body: bytes, reason: str) -> None:
    response = receiver.post_cand(body)
    assert response.status == 400
    assert response.json()["error"] == "bad_request"
    assert reason in response.json()["message"]
    assert receiver.received() == {} and receiver.items() == []


def test_unknown_fields_and_shapes_are_tolerated(receiver: Receiver) -> None:
    document = {"module": "MOIM", "type": "member.joined", "context": "not-an-object", "payload": None, "extra": [1]}
    assert receiver.post_cand(raw(document)).status == 200
    [message] = receiver.received()["TopicMEMBER"]
    assert message.attributes["module"] == "MOIM"
    assert "community_id" not in message.attributes


def test_base64_body(receiver: Receiver) -> None:
    body = raw(cand("content.created"))
    assert receiver.post_cand(body, base64_body=True).status == 200
    assert receiver.received()["CatchAllTopic"][0].body.encode() == body


def test_a_filter_policy_takes_one_source(receiver: Receiver) -> None:
    """docs/subscribing.md's example: a MEMBER subscriber that wants canD events only."""
    sns, sqs = boto3.client("sns", region_name=REGION), boto3.client("sqs", region_name=REGION)
    queue = subscribe_queue(
        sns, sqs, receiver.stack.topics["TopicMEMBER"], "cand-members", FilterPolicy=json.dumps({"source": ["cand"]})
    )
    receiver.post(raw(sample("member.created")))
    receiver.post_cand(raw(cand("member.joined")))
    messages = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, MessageAttributeNames=["All"])["Messages"]
    assert [m["MessageAttributes"]["source"]["StringValue"] for m in messages] == ["cand"]


def test_bettermode_route_is_unaffected_by_cand_headers(receiver: Receiver) -> None:
    """A signed Bettermode request to the canD route is still a canD request: the token decides."""
    body = raw(cand("member.joined"))
    response = receiver.invoke(http_api_event(body, signed_headers(SECRET, body), path=f"/webhooks/cand/{CAND_TOKEN}"))
    assert response.status == 200
    assert "TopicMEMBER" in receiver.received()


def test_sample_files_exist_for_every_moim_event() -> None:
    assert {Path(p).stem for p in CAND.glob("*.json")} == set(CAND_EVENTS)
