"""The Lambda entry: routes of the HTTP API to the receiver; nothing else happens here.

Routing is three rules, matched here rather than by Powertools' event handler: importing that
resolver (with the AppSync, Bedrock and asyncio modules its package pulls in) cost 76 ms of every
cold start, a fifth of the whole receiver's (see bench/benchmark.py), for routing we can state in a
table.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Mapping
from typing import Any

from handler import container, observability, receiver
from handler.container import Container
from handler.errors import NOT_FOUND_MESSAGE, NotFound
from handler.platforms import PROVIDERS
from handler.providers import Provider
from handler.responses import Answer, failure

logger = observability.logger


def routes(providers: tuple[Provider, ...]) -> tuple[tuple[re.Pattern[str], Provider], ...]:
    """Each provider's path, compiled: the only routes (POST); anything else is the same 404."""
    return tuple((re.compile(provider.ROUTE), provider) for provider in providers)


ROUTES = routes(PROVIDERS)


def route(event: Mapping[str, Any], lambda_context: Any, state: Container) -> Answer:
    """The answer of the route that matches the request's method and path, or a 404."""
    method = str(((event.get("requestContext") or {}).get("http") or {}).get("method", "")).upper()
    path = str(event.get("rawPath") or "")
    for pattern, provider in ROUTES:
        match = pattern.fullmatch(path)
        if match and method == "POST":
            return receiver.receive(provider, state, event, lambda_context, match.groupdict())
    return failure(NotFound(NOT_FOUND_MESSAGE), outcome="rejected", reason="not_found")


def http_response(answer: Answer) -> dict[str, Any]:
    """An API Gateway HTTP API (payload 2.0) response with a JSON body."""
    return {
        "statusCode": answer.status,
        "headers": {"content-type": "application/json", **answer.headers},
        "body": json.dumps(answer.body, separators=(",", ":")),
        "isBase64Encoded": False,
    }


def _unexpected() -> Answer:
    """A bug, not bad input: logged with its traceback, answered 500 without one."""
    logger.exception("unexpected error")
    body = {"error": "internal_error", "message": "the request could not be processed; retry later"}
    return Answer(500, body, log={"outcome": "failed", "reason": "internal_error"})


@logger.inject_lambda_context(clear_state=True)
def handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """One request, one JSON answer, and one log line, metrics line and trace about it."""
    started = time.perf_counter()
    observability.begin()
    state = container.current()
    try:
        answer = route(event, context, state)
    except Exception:  # the last line of defence: never a stack trace to the sender
        answer = _unexpected()
    latency_ms = round((time.perf_counter() - started) * 1000, 2)
    observability.record({"status": answer.status, "latency_ms": latency_ms, **answer.log}, state.metric_identity)
    return http_response(answer)


lambda_handler = observability.traced(handle)
