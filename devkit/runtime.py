"""Running the real handler locally: its environment, a fresh container's state, one invocation."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from devkit.events import HttpResponse, LambdaContext

REGION = "us-east-1"
EMULATED_AWS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
    "POWERTOOLS_TRACE_DISABLED": "true",
}
# Settings of the calling shell that would point the handler at a real account.
_REAL_AWS = ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "SIGNING_SECRET")


def reset_handler_state() -> None:
    """What a fresh Lambda container has: no settings, clients, claims store or cached secret."""
    from handler import aws_clients, claims, config, credentials, observability

    config.settings.cache_clear()
    observability.metric_identity.cache_clear()
    aws_clients.reset()
    claims.reset()
    credentials.reset()


@contextmanager
def handler_environment(variables: Mapping[str, str]) -> Iterator[None]:
    """Run the handler with exactly the emulated account and `variables`; restore everything after."""
    saved = dict(os.environ)
    try:
        for name in _REAL_AWS:
            os.environ.pop(name, None)
        os.environ.update(EMULATED_AWS)
        os.environ.update(variables)
        reset_handler_state()
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)
        reset_handler_state()


def invoke(event: dict[str, Any], context: Any = None) -> HttpResponse:
    """Call `handler.app.lambda_handler` as Lambda does and read its result as HTTP."""
    from handler.app import lambda_handler

    return HttpResponse.from_result(lambda_handler(event, context or LambdaContext()))
