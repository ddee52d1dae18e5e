"""Hostile and malformed requests: never a 500, never a write or publish, always a JSON error that says why."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from devkit.events import cand_event, http_api_event, now_ms, signed_headers
from handler.providers.bettermode_signature import sign
from tests.conftest import CAND_TOKEN, SECRET, Receiver, raw, sample

GOOD = raw(sample("post.published"))


def signed(body: bytes, **overrides: str) -> dict[str, str]:
    return signed_headers(SECRET, body) | overrides


def nested(depth: int) -> bytes:
    return (
        b'{"type": "SUBSCRIPTION", "data": {"id": "n1", "noun": "POST", "deep": ' + b"[" * depth + b"]" * depth + b"}}"
    )


CASES: list[tuple[str, dict[str, Any], set[int]]] = [
    # --- bodies -------------------------------------------------------------------------------
    ("null-body", {"body": b"null"}, {400}),
    ("number-body", {"body": b"42"}, {400}),
    ("truncated-json", {"body": GOOD[:-10]}, {400}),
    ("trailing-garbage", {"body": GOOD + b"}}"}, {400}),
    ("type-is-number", {"body": b'{"type": 1}'}, {400}),
    ("data-is-string", {"body": b'{"type": "SUBSCRIPTION", "data": "x"}'}, {400}),
    ("id-is-list", {"body": b'{"type": "SUBSCRIPTION", "data": {"id": [], "noun": "POST"}}'}, {400}),
    ("noun-is-object", {"body": b'{"type": "SUBSCRIPTION", "data": {"id": "x", "noun": {}}}'}, {400}),
    ("huge-integer", {"body": b'{"type": "TEST", "data": {"challenge": 1' + b"0" * 5000 + b"}}"}, {400}),
    ("nan-literal", {"body": b'{"type": "TEST", "data": {"challenge": NaN}}'}, {200}),
    ("deep-nesting-100k", {"body": nested(100_000)}, {400}),
    ("nesting-500-is-fine", {"body": nested(500)}, {200}),
    ("invalid-utf8", {"body": b'{"type": "TEST", "data": {"challenge": "\xff"}}'}, {400}),
    ("utf16-body", {"body": '{"type": "TEST"}'.encode("utf-16")}, {400}),
    ("nul-and-emoji-in-values", {"body": raw(sample("post.published") | {"networkId": "a\u0000b😀"})}, {200}),
    (
        "lone-surrogate-actor",
        {"body": GOOD.replace(b'"id": "olQ88vTqYp"', b'"id": "\\ud800"', 1)},
        {200},
    ),
    ("near-the-body-limit", {"body": raw(sample("post.published") | {"pad": "x" * 990_000})}, {200}),
    ("over-the-body-limit", {"body": b'{"pad": "' + b"x" * (5 * 1024 * 1024) + b'"}'}, {413}),
    # --- transport ------------------------------------------------------------------------------
    ("get", {"method": "GET"}, {404}),
    ("put", {"method": "PUT"}, {404}),
    ("delete", {"method": "DELETE"}, {404}),
    ("wrong-path", {"path": "/webhooks/bettermode/extra"}, {404}),
    ("path-traversal", {"path": "/webhooks/../webhooks/bettermode"}, {404}),
    ("text-plain-content-type", {"headers": {"content-type": "text/plain"}}, {200}),
    ("no-content-type", {"headers": {"content-type": ""}}, {200}),
    ("invalid-base64", {"base64": "@@@"}, {400}),
    # --- headers --------------------------------------------------------------------------------
    ("huge-signature-header", {"headers": {"x-bettermode-signature": "a" * 65_536}}, {401}),
    ("a-thousand-headers", {"extra_headers": {f"x-junk-{i}": "v" * 100 for i in range(1000)}}, {200}),
    ("two-signatures-joined", {"headers": {"x-bettermode-signature": "0" * 64 + "," + "1" * 64}}, {401}),
    ("signature-upper-case", {"upper": True}, {401}),
    ("signature-63-chars", {"cut": 1}, {401}),
    ("timestamp-in-seconds", {"timestamp": str(now_ms() // 1000)}, {401}),
    ("timestamp-negative", {"timestamp": "-1700000000000"}, {401}),
    ("timestamp-enormous", {"timestamp": "9" * 30}, {401}),
    ("timestamp-float", {"timestamp": "1.7e12"}, {401}),
    ("timestamp-padded", {"timestamp": f" {now_ms()} "}, {401}),
    ("timestamp-unicode-digits", {"timestamp": "\u0661\u0667" + "\u0660" * 11}, {401}),
]


def build(case: dict[str, Any]) -> dict[str, Any]:
    body = case.get("body", GOOD)
    timestamp = case.get("timestamp")
    if timestamp is not None:
        headers = {
            "content-type": "application/json",
            "x-bettermode-request-timestamp": timestamp,
            "x-bettermode-signature": sign(SECRET, timestamp, body) if timestamp.isascii() else "0" * 64,
        }
    else:
        headers = signed(body)
    if case.get("upper"):
        headers["x-bettermode-signature"] = headers["x-bettermode-signature"].upper()
    if case.get("cut"):
        headers["x-bettermode-signature"] = headers["x-bettermode-signature"][: -case["cut"]]
    headers |= case.get("headers", {}) | case.get("extra_headers", {})
    try:
        body.decode("utf-8")
        binary = False
    except UnicodeDecodeError:
        binary = True  # API Gateway base64-encodes what is not text
    method, path = case.get("method", "POST"), case.get("path", "/webhooks/bettermode")
    event = http_api_event(body, headers, method=method, path=path, base64_body=binary)
    if "base64" in case:
        event["body"], event["isBase64Encoded"] = case["base64"], True
    return event


def assert_clean_refusal(receiver: Receiver, response: Any) -> None:
    assert response.status != 500
    error = response.json()
    assert isinstance(error, dict)
    assert set(error) == {"error", "message"}
    assert error["message"]
    assert SECRET not in response.body and CAND_TOKEN not in response.body
    assert receiver.items() == []
    assert receiver.received() == {}


@pytest.mark.parametrize(("name", "case", "expected"), CASES, ids=[name for name, _, _ in CASES])
def test_hostile_request(receiver: Receiver, name: str, case: dict[str, Any], expected: set[int]) -> None:
    response = receiver.invoke(build(case))
    assert response.status in expected, response.body[:300]
    if response.status >= 400:
        assert_clean_refusal(receiver, response)
    elif "challenge" not in response.body:
        assert sum(len(m) for m in receiver.received().values()) == 1


@pytest.mark.parametrize(
    "token",
    ["", " ", "..", "../bettermode", CAND_TOKEN + "/x", "%2e%2e", "\x00", CAND_TOKEN.lower() + "é"],
    ids=["empty", "space", "dots", "traversal", "extra-segment", "encoded", "nul", "non-ascii"],
)
def test_hostile_cand_tokens(receiver: Receiver, token: str) -> None:
    response = receiver.invoke(cand_event(raw({"module": "MOIM", "type": "member.joined"}), token))
    assert response.status == 404
    assert_clean_refusal(receiver, response)


# ----- property-based ------------------------------------------------------------------------------
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)
ENVELOPES = st.fixed_dictionaries(
    {},
    optional={
        "type": st.sampled_from(["TEST", "SUBSCRIPTION", "APP_INSTALLED", "INTERACTION", "X"]) | st.text(max_size=5),
        "networkId": JSON,
        "data": st.fixed_dictionaries({}, optional={"id": JSON, "noun": JSON, "name": JSON, "challenge": JSON}) | JSON,
    },
)
BODIES = st.one_of(
    st.binary(max_size=300),
    JSON.map(lambda value: json.dumps(value).encode()),
    ENVELOPES.map(lambda value: json.dumps(value).encode()),
)
HEADER_NAMES = st.sampled_from(
    ["x-bettermode-signature", "x-bettermode-request-timestamp", "x-tribe-signature", "x-tribe-request-timestamp",
     "content-type", "x-other"]
)  # fmt: skip


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    body=BODIES,
    sign_it=st.booleans(),
    headers=st.dictionaries(HEADER_NAMES, st.text(max_size=80), max_size=4),
    method=st.sampled_from(["POST", "POST", "GET", "PUT"]),
    path=st.sampled_from(["/webhooks/bettermode", "/webhooks/bettermode", "/webhooks/cand/x", "/", "/webhooks"]),
)
def test_generated_requests_never_break_the_receiver(
    receiver: Receiver, body: bytes, sign_it: bool, headers: dict[str, str], method: str, path: str
) -> None:
    sent = (signed(body) if sign_it else {}) | headers
    before = len(receiver.items())
    response = receiver.invoke(http_api_event(body, sent, method=method, path=path, base64_body=True))
    assert response.status != 500
    assert response.status in {200, 400, 401, 404, 413}, response.body
    document = response.json()
    assert isinstance(document, dict)
    assert SECRET not in response.body
    published = sum(len(m) for m in receiver.received().values())
    if response.status != 200:
        assert set(document) == {"error", "message"}
        assert len(receiver.items()) == before and published == 0
    else:
        assert published <= 1
