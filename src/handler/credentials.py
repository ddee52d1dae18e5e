"""Where the active credentials come from: Bettermode signing secrets and canD path tokens.

A local value (`SIGNING_SECRET`, `CAND_WEBHOOK_TOKEN`; comma-separated for several) wins, for local
runs, `sam local` and tests, and never in a deployed function (`config.deployed`), where one set by
mistake is ignored with a warning naming the variable. Deployed, each lives in a Secrets Manager
secret, fetched with Powertools Parameters through the shared boto3 session (a provider of its own
would open a second one, which cost 70-100 ms of every cold start) and cached for
`SECRET_CACHE_SECONDS`, so rotating one (store "old,new", switch the platform, then store "new")
needs no deployment. Several active values are what make a rotation lossless.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger

from handler.aws_clients import client
from handler.config import Settings, split_list
from handler.errors import Unavailable

logger = Logger(child=True)
_provider: list[Any] = []  # one Powertools SecretsProvider, holding the cache, created on first use


def signing_secrets(settings: Settings) -> tuple[str, ...]:
    """The secrets a Bettermode signature may be made with."""
    return _active(settings.signing_secrets, settings.signing_secret_arn, settings, "signing secret")


def cand_tokens(settings: Settings) -> tuple[str, ...]:
    """The path tokens a canD webhook URL may carry."""
    return _active(settings.cand_tokens, settings.cand_token_arn, settings, "canD token")


def _active(local: tuple[str, ...], secret_arn: str | None, settings: Settings, what: str) -> tuple[str, ...]:
    """The answers never name which credential is missing: that would tell a stranger a route exists."""
    if local:
        return local
    if not secret_arn:
        logger.error("no credential configured", extra={"credential": what})
        raise Unavailable("the receiver is not configured", "not_configured")
    # Imported here: only deployed functions read Secrets Manager, and only once per cache period.
    from aws_lambda_powertools.utilities import parameters

    if not _provider:  # once per container
        if settings.ignored_local_credentials:
            logger.warning(
                "local credential variables are ignored in a deployed function; the secrets are read",
                extra={"ignored_variables": list(settings.ignored_local_credentials)},
            )
        _provider.append(parameters.SecretsProvider(boto3_client=client("secretsmanager")))
    try:
        value = _provider[0].get(secret_arn, max_age=settings.secret_cache_seconds)
    except parameters.exceptions.GetParameterError as error:
        logger.error("credential could not be read", extra={"credential": what, "error": str(error)})
        raise Unavailable("a credential could not be read; retry later", "credential_unavailable") from error
    values = split_list(value if isinstance(value, str) else value.decode("utf-8"))
    if not values:
        logger.error("credential is empty", extra={"credential": what})
        raise Unavailable("the receiver is not configured", "not_configured")
    return values


def reset() -> None:
    """Forget the provider and its cached values (a fresh container; tests)."""
    _provider.clear()
