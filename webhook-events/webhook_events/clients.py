"""boto3 clients, created on first use: importing the package costs no boto3 import and no client."""

from __future__ import annotations

import functools
from typing import Any


@functools.cache
def client(service: str) -> Any:
    """One client per service per process, in the environment's region and credentials.

    `client.cache_clear()` forgets them (after changing credentials or region, and in tests).
    """
    import boto3

    make: Any = boto3.client  # any service, by name: the stubs' per-service overloads do not apply
    return make(service)
