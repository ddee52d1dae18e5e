"""moto's in-process state at one moment, to go back to in milliseconds instead of building it again.

Creating the stack from template.yaml is some forty emulated AWS calls (about 0.3 s); a test suite
that needs it fresh for every test spends most of its time there. A snapshot is a deep copy of
every moto backend in use; restoring it puts a fresh copy in place, so each test still starts from
exactly the stack the template makes, with nothing another test wrote.

Emulated queues hold threading locks and conditions, which `copy.deepcopy` cannot copy: while a
snapshot is taken or restored, each is copied as a new, unheld one (the state they guard is copied
with them; no thread holds one between tests).
"""

from __future__ import annotations

import copy
import copyreg
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

_SYNCHRONISATION: dict[Any, Callable[[], Any]] = {
    type(threading.Lock()): threading.Lock,
    type(threading.RLock()): threading.RLock,
    threading.Condition: threading.Condition,
}


@contextmanager
def _fresh_locks() -> Iterator[None]:
    """Within: a deep copy of a lock or condition is a new one (copy's dispatch table, restored after)."""
    saved = {kind: copyreg.dispatch_table.get(kind) for kind in _SYNCHRONISATION}
    for kind, make in _SYNCHRONISATION.items():
        copyreg.dispatch_table[kind] = lambda _held, make=make: (make, ())
    try:
        yield
    finally:
        for kind, previous in saved.items():
            if previous is None:
                copyreg.dispatch_table.pop(kind, None)
            else:
                copyreg.dispatch_table[kind] = previous


@dataclass(frozen=True)
class EmulatedState:
    """Every region's backend of every emulated service in use, as it was when captured."""

    backends: tuple[tuple[Any, str, str, Any], ...]  # (service's BackendDict, account, region, backend copy)

    @classmethod
    def capture(cls) -> EmulatedState:
        """The state of the running mock (call inside `mock_aws()`)."""
        from moto.core.base_backend import BackendDict

        with _fresh_locks():
            return cls(
                tuple(
                    (service, account, region, copy.deepcopy(backend))
                    for service in list(BackendDict._instances)
                    for account, regions in list(service.items())
                    for region, backend in list(regions.items())
                )
            )

    def restore(self) -> None:
        """Put a fresh copy of the captured state in place (call inside a freshly started `mock_aws()`)."""
        with _fresh_locks():
            for service, account, region, backend in self.backends:
                service[account][region] = copy.deepcopy(backend)
