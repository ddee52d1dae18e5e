"""Make the emulated DynamoDB's item calls atomic, as DynamoDB's are.

moto checks a condition and writes the item in two Python steps; two threads can interleave
between them, so both "win" a conditional put, which real DynamoDB never allows. Concurrency tests
and the threaded local endpoint need the real guarantee, not moto's race.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

_OPERATIONS = ("put_item", "get_item", "update_item", "delete_item")


@contextmanager
def atomic_dynamodb() -> Iterator[None]:
    """While active, every item read or write of the emulated DynamoDB runs alone."""
    from moto.dynamodb.models import DynamoDBBackend

    lock = threading.RLock()
    originals: dict[str, Callable[..., Any]] = {name: getattr(DynamoDBBackend, name) for name in _OPERATIONS}

    def serialised(method: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(method)
        def call(*args: Any, **kwargs: Any) -> Any:
            with lock:
                return method(*args, **kwargs)

        return call

    for name, method in originals.items():
        setattr(DynamoDBBackend, name, serialised(method))
    try:
        yield
    finally:
        for name, method in originals.items():
            setattr(DynamoDBBackend, name, method)
