"""Providers: one small, pure module per platform, describing everything platform-specific about it.

A provider says where it is served (`ROUTE`), which credential proves a request is the platform's
(`CREDENTIAL`), how long its event ids are remembered (`ID_LIFETIME`), and how a request is
authenticated and parsed. The receiver resolves the credential and hands its values in, so a
provider never calls AWS. Nothing else in the package names a platform: adding one is a module
here, a line in `handler.platforms`, and its route and secret in the template
(docs/architecture.md).
"""

from __future__ import annotations

from typing import Protocol

from handler.config import Settings
from handler.model import ActiveCredentials, Credential, Lifetime, Parsed, Request


class Provider(Protocol):
    """What the receiver needs from a platform's module."""

    SOURCE: str  # the `source` attribute of its events, and the namespace of its claims
    ROUTE: str  # the path it is served on (POST), a regular expression; named groups are path parameters
    CREDENTIAL: Credential
    ID_LIFETIME: Lifetime | None  # None: DEDUPE_TTL_DAYS, for ids that are unique per event

    def authenticate(self, request: Request, credentials: ActiveCredentials, settings: Settings, now_ms: int) -> None:
        """Raise an error (401 or 404) unless the request proves it comes from the platform, with
        one of the values `credentials()` returns (resolved when first asked, so a request refused
        for its headers alone costs no secret read)."""
        ...

    def parse(self, request: Request) -> Parsed:
        """The body as a Reply or a Publish; BadRequest when it is not a webhook of the platform."""
        ...


def id_lifetime(provider: Provider, settings: Settings) -> int:
    """How long this provider's event ids are remembered, in seconds."""
    if provider.ID_LIFETIME is None:
        return settings.dedupe_ttl_seconds
    return settings.seconds(provider.ID_LIFETIME.variable, provider.ID_LIFETIME.default_seconds)
