"""Where the active signing secrets come from.

`SIGNING_SECRET` (comma-separated for several) wins, for local runs and tests. Deployed, the value
of the Secrets Manager secret `SIGNING_SECRET_ARN` is used: fetched with Powertools Parameters and
cached for `SECRET_CACHE_SECONDS`, so rotating it (store "old,new", switch the platform, then store
"new") needs no deployment. Several active secrets are what make a rotation lossless.
"""

from __future__ import annotations

from handler.config import Settings, split_list
from handler.errors import Unavailable


def active_secrets(settings: Settings) -> tuple[str, ...]:
    """The secrets a signature may be made with; Unavailable when none can be had."""
    if settings.signing_secrets:
        return settings.signing_secrets
    if not settings.signing_secret_arn:
        raise Unavailable("the receiver is not configured (no signing secret)")
    # Imported here: only deployed functions read Secrets Manager, and only once per cache period.
    from aws_lambda_powertools.utilities import parameters

    try:
        value = parameters.get_secret(settings.signing_secret_arn, max_age=settings.secret_cache_seconds)
    except parameters.exceptions.GetParameterError as error:
        raise Unavailable("the signing secret could not be read") from error
    secrets = split_list(value if isinstance(value, str) else value.decode("utf-8"))
    if not secrets:
        raise Unavailable("the signing secret is empty")
    return secrets
