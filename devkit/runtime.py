"""Running the real handler locally: its environment, a fresh container's state, one invocation."""

from __future__ import annotations

import functools
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


@functools.cache
def _service_models() -> Any:
    """One botocore loader for every local session: the service models read from disk once per process."""
    from botocore.loaders import create_loader

    return create_loader()


def fresh_session() -> Any:
    """A new boto3 session, as a fresh container makes, but with the service models already loaded.

    Reading and parsing the models is most of what creating a client costs (about 50 ms each);
    they are the same files for every session, and a session keeps nothing else of its own.
    """
    import boto3
    import botocore.session

    core = botocore.session.get_session()
    core.register_component("data_loader", _service_models())
    return boto3.session.Session(botocore_session=core)


def reset_handler_state() -> None:
    """What a fresh Lambda container has: no settings, clients, claims store or cached secret."""
    from handler import container

    container.reset(session=fresh_session)


def _handler_log_level(level: str | int | None = None) -> int:
    """The handler's logger level, set to `level` (or the environment's) and the one it had returned.

    The logger reads its level once, when it is first imported: in Lambda the environment is set by
    then, but a local run may import it earlier, with another environment.
    """
    from handler import observability

    before = int(observability.logger.log_level)
    wanted = level or os.environ.get("POWERTOOLS_LOG_LEVEL") or os.environ.get("LOG_LEVEL")
    if wanted:
        observability.logger.setLevel(wanted)
    return before


@contextmanager
def handler_environment(variables: Mapping[str, str]) -> Iterator[None]:
    """Run the handler with exactly the emulated account and `variables`; restore everything after."""
    saved = dict(os.environ)
    level: int | None = None
    try:
        for name in _REAL_AWS:
            os.environ.pop(name, None)
        os.environ.update(EMULATED_AWS)
        os.environ.update(variables)
        reset_handler_state()
        level = _handler_log_level()
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)
        reset_handler_state()
        if level is not None:
            _handler_log_level(level)


def invoke(event: dict[str, Any], context: Any = None) -> HttpResponse:
    """Call `handler.app.lambda_handler` as Lambda does and read its result as HTTP."""
    from handler.app import lambda_handler

    return HttpResponse.from_result(lambda_handler(event, context or LambdaContext()))
