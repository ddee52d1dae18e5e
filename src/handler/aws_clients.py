"""boto3 clients: created on first use, once per container, and shared by every invocation.

Timeouts and retries are bounded so that the whole request stays well inside the function timeout
(and API Gateway's 30 s), leaving time to release a claim when a call fails.

botocore's client-side parameter validation is off, as its documentation allows "for performance
reasons": it walks every parameter of every call against the service model, which was a sixth
of the receiver's own time per 10 KB event (0.15 of 0.94 ms above the floor, README
"Performance"). Every parameter sent is built by this package (and the redrive checks the shape
of what it reads back before sending it), and AWS validates the request anyway: a malformed one
is a `ClientError`, handled like any other refusal.
"""

from __future__ import annotations

import threading
from typing import Any

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
            _clients[service] = _session[0].client(service, config=config)
        return _clients[service]


def reset() -> None:
    """Forget every client (tests that switch emulated accounts or endpoints call this)."""
    with _lock:
        _clients.clear()
        _session.clear()
