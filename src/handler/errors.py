"""Failures that end a request with a definite HTTP answer.

Each carries its status, a stable machine-readable code and a message that is safe to show the
sender: it never contains a secret, a signature or the body.
"""

from __future__ import annotations

NOT_FOUND_MESSAGE = "no such route"


class WebhookError(Exception):
    """Base: a request that gets a non-2xx JSON answer instead of being processed."""

    status: int = 400
    code: str = "bad_request"
    retry_after: int | None = None
    kept: bool | None = None  # an event not published: True once it is on the failure queue, False if it could not be

    def __init__(self, message: str, reason: str | None = None) -> None:
        """`reason` refines `code` for logs and metrics (a short, fixed word: never an id or a value)."""
        super().__init__(message)
        self.message = message
        self.reason = reason or self.code


class BadRequest(WebhookError):
    """The body is not a webhook we can read (400): resending it will not help."""

    status = 400
    code = "bad_request"


class PayloadTooLarge(WebhookError):
    """The body is larger than the receiver accepts (413)."""

    status = 413
    code = "payload_too_large"


class Unauthorized(WebhookError):
    """Missing, malformed, wrong or stale signature (401)."""

    status = 401
    code = "unauthorized"


class NotFound(WebhookError):
    """No such route, or a route whose secret path token is wrong (404: reveal nothing)."""

    status = 404
    code = "not_found"


class InProgress(WebhookError):
    """Another delivery of the same event is being processed right now (503, retry later).

    A 5xx, not a 409, so a sender that retries anything retries it; the event is also kept on the
    failure queue, in case the delivery in progress fails and this sender never retries.
    """

    status = 503
    code = "in_progress"
    retry_after = 5


class Unavailable(WebhookError):
    """A dependency failed (DynamoDB, SNS, Secrets Manager, configuration): 503, retry later."""

    status = 503
    code = "unavailable"
    retry_after = 10
