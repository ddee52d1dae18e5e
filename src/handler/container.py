"""What a warm Lambda container keeps between invocations: one object, made on first use, one reset.

Lambda reuses an execution environment for many invocations, and what is made once there (the
settings, the boto3 session and clients, the claims' persistence layers, the secrets' cache, the
metrics' identity) is reused by each of them. All of it lives on one `Container`, so a test or a
local run that wants a fresh container calls `reset` and cannot forget a piece. Whatever calls AWS
is handed its client from here (`container.clients("sns")`), so a test can hand it a stub instead.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Mapping
from typing import Any

from handler import config
from handler.aws_clients import Clients
from handler.claims import Claims
from handler.credentials import SecretStore
from handler.observability import MetricIdentity, metric_identity


class Container:
    """The state of one execution environment; every part is created the first time it is used."""

    def __init__(self, environment: Mapping[str, str] | None = None, session: Callable[[], Any] | None = None) -> None:
        self.environment = os.environ if environment is None else environment
        self.clients = Clients(session)
        self.secrets = SecretStore(self.clients)
        self._lock = threading.Lock()
        self._settings: config.Settings | None = None
        self._claims: Claims | None = None
        self._identity: MetricIdentity | None = None

    @property
    def settings(self) -> config.Settings:
        """The environment read once; an invalid one is a 503 on every request until it is fixed."""
        if self._settings is None:
            self._settings = config.from_env(self.environment)
        return self._settings

    @property
    def claims(self) -> Claims:
        """The claims table's persistence layers (503 when the stack forgot to name the table)."""
        with self._lock:
            if self._claims is None:
                self._claims = Claims(self.settings.require_table(), self.clients("dynamodb"))
            return self._claims

    @property
    def metric_identity(self) -> MetricIdentity:
        """The metrics' namespace and `service` dimension."""
        if self._identity is None:
            self._identity = metric_identity(self.environment)
        return self._identity


_current: list[Container] = []
_creating = threading.Lock()


def current() -> Container:
    """This execution environment's container, created on first use."""
    if not _current:
        with _creating:
            if not _current:
                _current.append(Container())
    return _current[0]


def reset(session: Callable[[], Any] | None = None) -> Container:
    """Start again as a fresh execution environment would (tests, local runs); the new container.

    `session` makes the boto3 session its clients come from; by default a new one.
    """
    with _creating:
        _current[:] = [Container(session=session)]
        return _current[0]
