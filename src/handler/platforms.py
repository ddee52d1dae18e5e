"""The platforms this receiver serves: the one place that lists their provider modules."""

from __future__ import annotations

from handler.providers import Provider, bettermode, cand

PROVIDERS: tuple[Provider, ...] = (bettermode, cand)


def by_source(source: str, providers: tuple[Provider, ...] = PROVIDERS) -> Provider | None:
    """The provider whose events carry this `source`, if any."""
    return next((provider for provider in providers if source == provider.SOURCE), None)
