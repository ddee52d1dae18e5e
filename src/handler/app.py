"""The Lambda entry: routes of the HTTP API to the receiver; nothing else happens here."""

from __future__ import annotations

import json
import time
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError

from handler import receiver
from handler.errors import NOT_FOUND_MESSAGE, NotFound
from handler.providers import bettermode, cand
from handler.responses import Answer, failure

logger = Logger()
app = APIGatewayHttpResolver()


def respond(answer: Answer, started: float) -> Response:
    """The Answer as an HTTP response, and the request's one log line."""
    logger.info(
        "webhook request",
        extra={"status": answer.status, "latency_ms": round((time.perf_counter() - started) * 1000, 2), **answer.log},
    )
    return Response(
        status_code=answer.status,
        content_type="application/json",
        body=json.dumps(answer.body, separators=(",", ":")),
        headers=answer.headers,
    )


@app.post("/webhooks/bettermode")
def bettermode_webhook() -> Response:
    started = time.perf_counter()
    return respond(receiver.receive(bettermode, app.current_event.raw_event, app.lambda_context), started)


@app.post("/webhooks/cand/<token>")
def cand_webhook(token: str) -> Response:
    started = time.perf_counter()
    event = app.current_event.raw_event
    return respond(receiver.receive(cand, event, app.lambda_context, {"token": token}), started)


@app.not_found
def not_found(_error: NotFoundError) -> Response:
    """Any other path or method; also exactly what a canD URL with a wrong token gets."""
    return respond(failure(NotFound(NOT_FOUND_MESSAGE), outcome="rejected", reason="not_found"), time.perf_counter())


@app.exception_handler(Exception)
def unexpected(_error: Exception) -> Response:
    """A bug, not bad input: logged with its traceback, answered 500 without one."""
    logger.exception("unexpected error")
    body = {"error": "internal_error", "message": "the request could not be processed; retry later"}
    return Response(500, "application/json", json.dumps(body))


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
