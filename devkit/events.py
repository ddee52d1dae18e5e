"""API Gateway HTTP API (payload 2.0) events and Lambda contexts, as the receiver gets them deployed.

Signatures are made with `handler.providers.bettermode_signature.sign`, the exact mirror of what the receiver verifies.
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from handler.providers.bettermode import HEADER_FAMILIES as _FAMILIES
from handler.providers.bettermode_signature import sign

BETTERMODE_PATH = "/webhooks/bettermode"
CAND_ROUTE = "/webhooks/cand/{token}"
# "bettermode" / "tribe" -> (signature header, timestamp header), as the receiver reads them
HEADER_FAMILIES = {signature.split("-")[1]: (signature, timestamp) for signature, timestamp in _FAMILIES}


def cand_event(body: bytes, token: str, *, base64_body: bool = False) -> dict[str, Any]:
    """A canD delivery: unsigned, authenticated by the token in its URL path."""
    return http_api_event(
        body,
        {"content-type": "application/json"},
        path=CAND_ROUTE.replace("{token}", token),
        route=CAND_ROUTE,
        path_parameters={"token": token},
        base64_body=base64_body,
    )


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def signed_headers(
    secret: str, body: bytes, timestamp_ms: int | None = None, family: str = "bettermode"
) -> dict[str, str]:
    """The headers Bettermode sends: content type, timestamp (ms) and signature of one family."""
    timestamp = str(now_ms() if timestamp_ms is None else timestamp_ms)
    signature_header, timestamp_header = HEADER_FAMILIES[family]
    return {
        "content-type": "application/json",
        timestamp_header: timestamp,
        signature_header: sign(secret, timestamp, body),
    }


def http_api_event(
    body: bytes,
    headers: Mapping[str, str],
    *,
    path: str = BETTERMODE_PATH,
    method: str = "POST",
    base64_body: bool = False,
    path_parameters: Mapping[str, str] | None = None,
    route: str | None = None,
) -> dict[str, Any]:
    """An HTTP API payload-2.0 event for a request, as API Gateway builds it (header names lower-cased).

    `route` is the matched route's path template (default: `path`), as in `POST /webhooks/cand/{token}`.
    """
    now = time.time()
    route_key = f"{method} {route or path}"
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": path,
        "rawQueryString": "",
        "headers": {name.lower(): value for name, value in headers.items()}
        | {"content-length": str(len(body)), "host": "localhost", "user-agent": "Bettermode-Webhook"},
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "local",
            "domainName": "localhost",
            "domainPrefix": "localhost",
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "127.0.0.1",
                "userAgent": "Bettermode-Webhook",
            },
            "requestId": str(uuid.uuid4()),
            "routeKey": route_key,
            "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "timeEpoch": int(now * 1000),
        },
        "body": base64.b64encode(body).decode("ascii") if base64_body else body.decode("utf-8"),
        "isBase64Encoded": base64_body,
    }
    if path_parameters:
        event["pathParameters"] = dict(path_parameters)
    return event


@dataclass
class LambdaContext:
    """The parts of the Lambda context the receiver uses; remaining time counts down from `timeout_s`."""

    function_name: str = "webhooks-local-WebhookFunction"
    timeout_s: int = 10
    memory_limit_in_mb: int = 512
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    started: float = field(default_factory=time.monotonic)

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:us-east-1:123456789012:function:{self.function_name}"

    @property
    def function_version(self) -> str:
        return "$LATEST"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.timeout_s - (time.monotonic() - self.started)) * 1000))


@dataclass(frozen=True)
class HttpResponse:
    """A Lambda proxy result read back as HTTP."""

    status: int
    headers: dict[str, str]
    body: str

    @classmethod
    def from_result(cls, result: Mapping[str, Any]) -> HttpResponse:
        headers = {str(k).lower(): str(v) for k, v in (result.get("headers") or {}).items()}
        body = result.get("body") or ""
        if result.get("isBase64Encoded"):
            body = base64.b64decode(body).decode("utf-8")
        return cls(int(result["statusCode"]), headers, body)

    def json(self) -> Any:
        return json.loads(self.body)
