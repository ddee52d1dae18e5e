"""Where the active credentials come from, for whichever provider declares them (`model.Credential`).

A local value (the credential's `local_variable`; comma-separated for several) wins, for local
runs, `sam local` and tests, and never in a deployed function (`config.deployed`), where one set by
mistake is ignored with a warning naming the variable. Deployed, each lives in a Secrets Manager
secret, fetched with Powertools Parameters through the container's shared boto3 session (a
provider of its own would open a second one, which cost 70-100 ms of every cold start) and cached
for `SECRET_CACHE_SECONDS`, so rotating one (store "old,new", switch the platform, then store
"new") needs no deployment. Several active values are what make a rotation lossless.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger

from handler.aws_clients import ClientFactory
from handler.config import Settings, split_list
from handler.errors import Unavailable
from handler.model import Credential

logger = Logger(child=True)


class SecretStore:
    """Secrets Manager through one Powertools SecretsProvider, holding the container's cache."""

    def __init__(self, clients: ClientFactory) -> None:
        self._clients = clients
        self._provider: Any = None
        self.warned: set[str] = set()  # ignored local variables already logged in this container

    def get(self, secret_arn: str, max_age: int) -> str:
        """The secret's value, from the cache while it is younger than `max_age` seconds."""
        # Imported here: only deployed functions read Secrets Manager, and only once per cache period.
        from aws_lambda_powertools.utilities import parameters

        if self._provider is None:
            self._provider = parameters.SecretsProvider(boto3_client=self._clients("secretsmanager"))
        value = self._provider.get(secret_arn, max_age=max_age)
        return value if isinstance(value, str) else value.decode("utf-8")


def active(credential: Credential, settings: Settings, store: SecretStore) -> tuple[str, ...]:
    """The values a request may prove itself with. The answers never name which credential is
    missing: that would tell a stranger a route exists."""
    environment = settings.environment
    local = environment.get(credential.local_variable, "")
    if settings.deployed:
        if local and credential.local_variable not in store.warned:
            store.warned.add(credential.local_variable)
            logger.warning(
                "local credential variables are ignored in a deployed function; the secrets are read",
                extra={"ignored_variables": [credential.local_variable]},
            )
    elif split_list(local):
        return split_list(local)
    secret_arn = environment.get(credential.secret_arn_variable)
    if not secret_arn:
        logger.error("no credential configured", extra={"credential": credential.description})
        raise Unavailable("the receiver is not configured", "not_configured")
    from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError

    try:
        values = split_list(store.get(secret_arn, settings.secret_cache_seconds))
    except GetParameterError as error:
        logger.error("credential could not be read", extra={"credential": credential.description, "error": str(error)})
        raise Unavailable("a credential could not be read; retry later", "credential_unavailable") from error
    if not values:
        logger.error("credential is empty", extra={"credential": credential.description})
        raise Unavailable("the receiver is not configured", "not_configured")
    return values
