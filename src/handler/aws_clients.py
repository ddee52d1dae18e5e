"""boto3 clients: created on first use, once per container, and shared by every invocation.

Timeouts and retries are bounded so that the whole request stays well inside the function timeout
(and API Gateway's 30 s), leaving time to release a claim when a call fails.

botocore's client-side parameter validation is off, as its documentation allows "for performance
reasons": it walks every parameter of every call against the service model, which was a sixth
of the receiver's own time per 10 KB event (0.15 of 0.94 ms above the floor,
docs/performance.md). Every parameter sent is built by this package (and the redrive checks the shape
of what it reads back before sending it), and AWS validates the request anyway: a malformed one
is a `ClientError`, handled like any other refusal.
"""

from __future__ import annotations

import threading
from typing import Any
from urllib.parse import urlencode

_lock = threading.Lock()
_clients: dict[str, Any] = {}
_session: list[Any] = []  # one boto3 Session, so every client shares its loaded endpoint and model data


def client(service: str) -> Any:
    """The shared client for `service` ("dynamodb", "sns", ...)."""
    found = _clients.get(service)
    if found is not None:
        return found
    with _lock:  # boto3's default session is not safe to create clients from concurrently
        if service not in _clients:
            import boto3
            from botocore.config import Config

            # At worst 2 x (1 s + 2 s) plus a short backoff: inside the 10 s function timeout with
            # time left to release a claim and answer 503 ourselves.
            config = Config(
                connect_timeout=1,
                read_timeout=2,
                retries={"mode": "standard", "total_max_attempts": 2},
                parameter_validation=False,
            )
            if not _session:
                _session.append(boto3.session.Session())
            created = _session[0].client(service, config=config)
            if created.meta.service_model.protocol == "query":  # SNS
                created.meta.events.register(
                    f"before-call.{created.meta.service_model.service_id.hyphenize()}", encode_form_once
                )
            _clients[service] = created
        return _clients[service]


def encode_form_once(params: dict[str, Any], **_: Any) -> None:
    """Form-encode a query-protocol body (SNS) once per call, exactly as botocore would.

    botocore keeps the body as a dict and encodes it again each time it reads it: once to sign the
    request and once to send it, a quoting loop over every byte of the message. For a 10 KB event
    that second pass was about as long as the rest of the receiver's own work (docs/performance.md).
    The signed and sent bytes are unchanged; only the repetition goes.
    """
    body = params.get("body")
    if isinstance(body, dict):
        params["body"] = urlencode([_utf8(item) for item in body.items()], doseq=True)


def _utf8(item: tuple[Any, Any]) -> tuple[Any, Any]:
    key, value = item
    return (
        key.encode("utf-8") if isinstance(key, str) else key,
        value.encode("utf-8") if isinstance(value, str) else value,
    )


def reset() -> None:
    """Forget every client (tests that switch emulated accounts or endpoints call this)."""
    with _lock:
        _clients.clear()
        _session.clear()
