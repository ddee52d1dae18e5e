"""One webhook request, whatever its provider: authenticate -> parse -> publish once -> answer."""

from __future__ import annotations

import base64
import binascii
import time
from collections.abc import Mapping
from typing import Any

from handler import credentials, observability, pipeline
from handler.container import Container
from handler.errors import BadRequest, PayloadTooLarge, WebhookError
from handler.model import Event, Publish, Request
from handler.providers import Provider, id_lifetime
from handler.responses import Answer, failure, ok


def http_request(event: Mapping[str, Any], path_parameters: Mapping[str, str] | None = None) -> Request:
    """The request of an API Gateway HTTP API (payload 2.0) event, with the body's raw bytes.

    `path_parameters` are the route's, as the resolver matched them.

    The signature covers the bytes as sent, so the body is base64-decoded when API Gateway says so
    and otherwise encoded back to the UTF-8 it arrived as; it is never re-serialised.
    """
    headers = {str(name).lower(): str(value) for name, value in (event.get("headers") or {}).items()}
    raw = event.get("body") or ""
    if event.get("isBase64Encoded"):
        try:
            body = base64.b64decode(raw, validate=True)
        except (binascii.Error, ValueError):
            raise BadRequest("the body is marked base64-encoded but is not valid base64") from None
    else:
        body = raw.encode("utf-8", "surrogatepass")
    return Request(headers=headers, body=body, path_parameters=dict(path_parameters or {}))


def ages(event: Event, received_ms: int) -> dict[str, int]:
    """How late an event arrived, in ms: since it happened (its own time) and since the platform signed
    the request (docs/operations.md: event age). Never negative: clocks differ by a little."""
    found = {}
    if event.occurred_at_ms is not None:
        found["event_age_ms"] = max(0, received_ms - event.occurred_at_ms)
    if event.sent_at_ms is not None:
        found["request_age_ms"] = max(0, received_ms - event.sent_at_ms)
    return found


def receive(
    provider: Provider,
    state: Container,
    event: Mapping[str, Any],
    lambda_context: Any,
    path_parameters: Mapping[str, str] | None = None,
) -> Answer:
    """Answer one request; every failure becomes a JSON error with its status, never an exception.

    The size limit is checked after authentication, so that a route protected by a path token
    answers a stranger 404 whatever the body.
    """
    log: dict[str, Any] = {"source": provider.SOURCE}
    try:
        settings = state.settings
        request = http_request(event, path_parameters)

        def active() -> tuple[str, ...]:
            return credentials.active(provider.CREDENTIAL, settings, state.secrets)

        received_ms = time.time_ns() // 1_000_000
        provider.authenticate(request, active, settings, received_ms)
        if len(request.body) > settings.max_body_bytes:
            raise PayloadTooLarge(f"the body is larger than {settings.max_body_bytes} bytes")
        parsed = provider.parse(request)
        if not isinstance(parsed, Publish):
            return ok(parsed.body, outcome="replied", request_type=parsed.body.get("type"), **log)
        published = parsed.event
        observability.correlate(published.event_id)
        # `noun` is the topic's (TOPIC_NOUNS or OTHER): it is a metric dimension, so it must be a fixed set
        # whatever nouns a sender makes up; the event's own noun is in its name.
        log.update(event_id=published.event_id, event_name=published.name, noun=settings.topic_noun(published.noun))
        receipt = pipeline.publish_once(published, state, lambda_context, id_lifetime(provider, settings))
        if receipt.duplicate:
            return ok(
                parsed.reply, outcome="duplicate", topic_arn=receipt.topic_arn, message_id=receipt.message_id, **log
            )
        log.update(ages(published, received_ms))
        return ok(parsed.reply, outcome="published", topic_arn=receipt.topic_arn, message_id=receipt.message_id, **log)
    except WebhookError as error:
        outcome = "rejected" if error.status < 500 else "failed"
        if error.kept is not None:
            log["kept"] = error.kept
        return failure(error, outcome=outcome, reason=error.reason, detail=error.message, **log)
