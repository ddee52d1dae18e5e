"""HTTP answers: a JSON body, a status, and the fields the request's log line carries."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from handler.errors import WebhookError


@dataclass(slots=True)
class Answer:
    """The response to send and what to log about the request (never a secret or a body)."""

    status: int
    body: Mapping[str, Any]
    headers: dict[str, str] = field(default_factory=dict)
    log: dict[str, Any] = field(default_factory=dict)


def ok(body: Mapping[str, Any], **log: Any) -> Answer:
    return Answer(200, body, log=log)


def failure(error: WebhookError, **log: Any) -> Answer:
    """`{"error": <code>, "message": <what is wrong>}` with the error's status (and Retry-After)."""
    headers = {"Retry-After": str(error.retry_after)} if error.retry_after else {}
    return Answer(error.status, {"error": error.code, "message": error.message}, headers, log)
