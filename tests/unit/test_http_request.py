"""handler.receiver.http_request: an HTTP API payload-2.0 event as a Request with the raw body bytes."""

from __future__ import annotations

import base64

import pytest

from handler.errors import BadRequest
from handler.model import Request
from handler.receiver import http_request


def test_header_names_are_lower_cased():
    request = http_request(
        {
            "headers": {
                "X-Bettermode-Signature": "abc",
                "X-TRIBE-REQUEST-TIMESTAMP": "1700000000000",
                "content-type": "application/json",
            }
        }
    )
    assert request.headers == {
        "x-bettermode-signature": "abc",
        "x-tribe-request-timestamp": "1700000000000",
        "content-type": "application/json",
    }


def test_header_values_are_kept_as_sent():
    request = http_request({"headers": {"X-Value": "MiXeD Case ✓"}})
    assert request.headers["x-value"] == "MiXeD Case ✓"


@pytest.mark.parametrize("event", [{}, {"headers": None}, {"headers": {}}], ids=["missing", "null", "empty"])
def test_missing_headers_are_an_empty_mapping(event):
    assert http_request(event).headers == {}


@pytest.mark.parametrize(
    "body",
    [
        b"\x00\x01\x02\xff\xfe\xfd",
        b"\xc3\x28",
        b'{"a": "\xe9"}',
        bytes(range(256)),
        '{"name": "Siavash ✓ é"}'.encode(),
        b"",
    ],
    ids=["binary", "invalid-utf8-sequence", "latin1-in-json", "all-bytes", "utf8", "empty"],
)
def test_base64_body_is_decoded_to_the_exact_bytes(body):
    request = http_request({"body": base64.b64encode(body).decode("ascii"), "isBase64Encoded": True})
    assert request.body == body
    assert isinstance(request.body, bytes)


@pytest.mark.parametrize(
    "text",
    [
        '{"type":"TEST"}',
        '{"name": "Siavash ✓ é 日本 🎉"}',
        '{\n  "a" : 1 ,\r\n\t"b":[ ]\n}',
    ],
    ids=["ascii", "non-ascii", "whitespace-kept"],
)
def test_text_body_is_encoded_as_utf8(text):
    request = http_request({"body": text, "isBase64Encoded": False})
    assert request.body == text.encode("utf-8")


def test_non_ascii_text_body_bytes():
    request = http_request({"body": "é✓🎉"})
    assert request.body == b"\xc3\xa9\xe2\x9c\x93\xf0\x9f\x8e\x89"


def test_text_body_without_base64_flag():
    assert http_request({"body": "plain"}).body == b"plain"


@pytest.mark.parametrize(
    "event",
    [{}, {"body": None}, {"body": ""}, {"isBase64Encoded": True}, {"body": None, "isBase64Encoded": True}],
    ids=["missing", "null", "empty", "missing-base64", "null-base64"],
)
def test_missing_body_is_empty_bytes(event):
    assert http_request(event).body == b""


@pytest.mark.parametrize(
    "body",
    ["not base64!", "abc", "YQ=", "Y", "YW Jj", "YWJj\n", "é", "*&^%"],
    ids=["punctuation", "bad-padding", "short-padding", "lone-character", "space", "newline", "non-ascii", "symbols"],
)
def test_invalid_base64_is_bad_request(body):
    with pytest.raises(BadRequest, match="marked base64-encoded but is not valid base64") as caught:
        http_request({"body": body, "isBase64Encoded": True})
    assert caught.value.status == 400


def test_text_that_looks_like_base64_is_not_decoded_without_the_flag():
    encoded = base64.b64encode(b"hello").decode("ascii")
    assert http_request({"body": encoded, "isBase64Encoded": False}).body == encoded.encode("ascii")


def test_path_parameters_are_the_routes_not_the_events():
    parameters = {"token": "abc"}
    request = http_request({"pathParameters": {"token": "from-the-event"}}, parameters)
    assert request.path_parameters == {"token": "abc"}
    assert request.path_parameters is not parameters


@pytest.mark.parametrize("event", [{}, {"pathParameters": None}], ids=["missing", "null"])
def test_missing_path_parameters_are_empty(event):
    assert http_request(event).path_parameters == {}


def test_full_payload_v2_event():
    body = b'{"type":"TEST","data":{"challenge":"c"}}'
    event = {
        "version": "2.0",
        "routeKey": "POST /webhooks/bettermode",
        "rawPath": "/webhooks/bettermode",
        "headers": {"Content-Type": "application/json", "X-Tribe-Signature": "sig"},
        "requestContext": {"http": {"method": "POST"}},
        "body": base64.b64encode(body).decode("ascii"),
        "isBase64Encoded": True,
    }
    assert http_request(event) == Request(
        headers={"content-type": "application/json", "x-tribe-signature": "sig"},
        body=body,
        path_parameters={},
    )
