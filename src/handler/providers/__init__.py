"""Providers: one small module per platform, each with `SOURCE`, `authenticate` and `parse`.

The receiver and the pipeline never name a provider; adding one is a new module and a route.
"""

from __future__ import annotations

from typing import Protocol

from handler.config import Settings
from handler.delivery import Delivery, Request


class Provider(Protocol):
    """What the receiver needs from a platform's module."""

    SOURCE: str

    def authenticate(self, request: Request, settings: Settings, now_ms: int) -> None:
        """Raise an error (401 or 404) unless the request really comes from the platform."""
        ...

    def parse(self, request: Request) -> Delivery:
        """The body as a Reply or a Publish; BadRequest when it is not a webhook of the platform."""
        ...
