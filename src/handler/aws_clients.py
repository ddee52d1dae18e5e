"""boto3 clients: created on first use, once per container, and shared by every invocation.

Timeouts and retries are bounded so that one slow call leaves the request time, inside the function's
10 s timeout (and API Gateway's 30 s), to release its claim and keep the event when the call fails.
Calls that each exhaust their timeouts one after the other (a request makes up to four) can outlast
the function: it is then ended like a crash, and only a retry of the request, after the claim's lease,
publishes that event (docs/reliability.md: the function dies between claim and publish).

botocore's client-side parameter validation is off, as its documentation allows "for performance
reasons": it walks every parameter of every call against the service model, which was a sixth
of the receiver's own time per 10 KB event (0.15 of 0.94 ms above the floor,
docs/performance.md). Every parameter sent is built by this package (and the redrive checks the shape
of what it reads back before sending it), and AWS validates the request anyway: a malformed one
is a `ClientError`, handled like any other refusal.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

ClientFactory = Callable[[str], Any]
"""What code that calls AWS is given: `clients("sns")` is the client for SNS (tests pass stubs)."""


class Clients:
    """One boto3 session and one client per service, created on first use and shared by every invocation.

    One session, so every client shares its loaded endpoint and model data. `session` makes it
    (default: a new `boto3.session.Session()`); a local run can pass its own.
    """

    def __init__(self, session: Callable[[], Any] | None = None) -> None:
        self._new_session = session
        self._lock = threading.Lock()
        self._clients: dict[str, Any] = {}
        self._session: Any = None

    def __call__(self, service: str) -> Any:
        """The shared client for `service` ("dynamodb", "sns", ...)."""
        found = self._clients.get(service)
        if found is not None:
            return found
        with self._lock:  # a boto3 session is not safe to create clients from concurrently
            if service not in self._clients:
                self._clients[service] = self._create(service)
            return self._clients[service]

    def _create(self, service: str) -> Any:
        from botocore.config import Config

        # At worst 2 x (1 s + 2 s) plus a short backoff: inside the 10 s function timeout with
        # time left to release a claim and answer 503 ourselves.
        config = Config(
            connect_timeout=1,
            read_timeout=2,
            retries={"mode": "standard", "total_max_attempts": 2},
            parameter_validation=False,
        )
        if self._session is None:
            if self._new_session is None:
                import boto3

                self._session = boto3.session.Session()
            else:
                self._session = self._new_session()
        created = self._session.client(service, config=config)
        if created.meta.service_model.protocol == "query":  # SNS
            created.meta.events.register(
                f"before-call.{created.meta.service_model.service_id.hyphenize()}", encode_form_once
            )
        return created


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
