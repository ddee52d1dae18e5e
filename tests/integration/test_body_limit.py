"""The largest body that is refused still reaches the function, so the refusal is the function's own 413.

API Gateway passes the body to Lambda inside the JSON event: base64 (4 bytes for 3) for a binary
body, otherwise as a JSON string, where a control character takes 6 bytes (\\u0001). Lambda refuses
a synchronous request over 6 MB before the function runs ("Invocation payload (request and
response): 6 MB each", AWS Lambda Developer Guide, "Lambda quotas"), and the gateway then answers
for it. Headers add at most 10,240 bytes ("Total combined size of request line and header values",
API Gateway Developer Guide, "Quotas for configuring and running an HTTP API").
"""

from __future__ import annotations

import json

import pytest

from devkit.events import http_api_event, signed_headers
from devkit.template import load_yaml
from tests.conftest import SECRET, Receiver

LAMBDA_SYNC_PAYLOAD = 6 * 1024 * 1024
HEADER_QUOTA = 10_240
PARAMETER = load_yaml()["Parameters"]["MaxBodyBytes"]


def worst_body(size: int) -> bytes:
    """JSON-shaped, and every byte after the first few a control character: the most a string escapes to."""
    head = b'{"type": "SUBSCRIPTION", "pad": "'
    return head + b"\x01" * (size - len(head))


def padded_headers(body: bytes) -> dict[str, str]:
    """Signed headers plus padding up to the gateway's header quota."""
    headers = signed_headers(SECRET, body)
    used = sum(len(name) + len(value) + 4 for name, value in headers.items())
    headers["x-padding"] = "p" * (HEADER_QUOTA - used - len("x-padding") - 4)
    return headers


def invoke_size(event: dict[str, object]) -> int:
    return len(json.dumps(event).encode("utf-8"))


@pytest.mark.parametrize("base64_body", [False, True], ids=["json-escaped", "base64"])
@pytest.mark.parametrize("limit", [PARAMETER["Default"], PARAMETER["MaxValue"]])
def test_the_first_refused_size_fits_lambdas_payload_in_either_encoding(limit: int, base64_body: bool) -> None:
    body = worst_body(limit + 1)
    event = http_api_event(body, padded_headers(body), base64_body=base64_body)
    assert invoke_size(event) < LAMBDA_SYNC_PAYLOAD


def test_the_old_limit_did_not_fit() -> None:
    """5 MiB, the limit before: its first refused body, base64, never reached the function."""
    body = worst_body(5 * 1024 * 1024 + 1)
    assert invoke_size(http_api_event(body, padded_headers(body), base64_body=True)) > LAMBDA_SYNC_PAYLOAD


@pytest.mark.parametrize("base64_body", [False, True], ids=["json-escaped", "base64"])
def test_the_function_answers_413_at_the_edge_and_accepts_the_limit(receiver: Receiver, base64_body: bool) -> None:
    limit = int(receiver.stack.environment["MAX_BODY_BYTES"])
    assert limit == PARAMETER["Default"]
    over = worst_body(limit + 1)
    response = receiver.invoke(http_api_event(over, padded_headers(over), base64_body=base64_body))
    assert response.status == 413
    assert response.json()["error"] == "payload_too_large"
    at = worst_body(limit)
    assert receiver.invoke(http_api_event(at, padded_headers(at), base64_body=base64_body)).status != 413
    assert receiver.post_cand(b"x" * (limit + 1), base64_body=base64_body).status == 413
    assert receiver.received() == {} and receiver.items() == []
