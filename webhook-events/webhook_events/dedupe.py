"""Acting at most once per event, for subscribers whose work must not be repeated.

SNS delivers at least once and the receiver can publish an event twice in rare windows (its
docs/answers.md, "Exactly once"); every copy carries the same `event_id`. This is Powertools Idempotency on
a DynamoDB table (partition key `id`, string; TTL on `expiration`), keyed on source and event id:
- the first delivery claims the id, runs the handler, marks the id done;
- a later delivery of a done id is skipped (one DynamoDB call);
- a delivery while another is running raises `IdempotencyAlreadyInProgressError`: let the record
  fail, its retry finds the id done;
- if the handler raises, the claim is released, so the retry runs it again.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any, TypeVar, cast

from webhook_events.clients import client
from webhook_events.records import Delivery

D = TypeVar("D", bound=Delivery[Any])
DEFAULT_EXPIRY_SECONDS = 7 * 24 * 3600  # as long as the receiver remembers an id by default
DEFAULT_LEASE_SECONDS = 300


class _Lease:
    """A stand-in Lambda context outside Lambda: a claim's lease is `seconds`, not forever."""

    def __init__(self, seconds: int) -> None:
        self.seconds = seconds

    def get_remaining_time_in_millis(self) -> int:
        return self.seconds * 1000


class Deduplicator:
    """Runs a handler once per event id, the claims kept in `table_name` for `expires_after_seconds`."""

    def __init__(
        self,
        table_name: str,
        *,
        expires_after_seconds: int = DEFAULT_EXPIRY_SECONDS,
        lease_seconds: int = DEFAULT_LEASE_SECONDS,
    ) -> None:
        """Outside Lambda (a poller, a container), a claim is leased `lease_seconds`: should the
        process die while handling, a retry after that long can handle the event. In Lambda, call
        `register_lambda_context` instead: the lease is then the invocation's remaining time."""
        from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig

        self.table_name = table_name
        self.config = IdempotencyConfig(
            event_key_jmespath="key",
            expires_after_seconds=expires_after_seconds,
            raise_on_no_idempotency_key=True,
            response_hook=lambda _response, _record: False,  # called only with a stored result: a duplicate
        )
        # until a real context is registered; only its get_remaining_time_in_millis is read
        self.config.register_lambda_context(cast(Any, _Lease(lease_seconds)))
        self._layer: Any = None
        self._lock = threading.Lock()

    def register_lambda_context(self, context: Any) -> None:
        """Call once per invocation: a claim's lease is then the invocation's remaining time, so the
        retry of a delivery whose function died can run it once the lease has passed."""
        self.config.register_lambda_context(context)

    def _persistence(self) -> Any:
        """The DynamoDB layer, created on first use (no client at import or construction)."""
        with self._lock:
            if self._layer is None:
                from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

                self._layer = DynamoDBPersistenceLayer(table_name=self.table_name, boto3_client=client("dynamodb"))
            return self._layer

    def once(self, handler: Callable[[D], object], *, name: str | None = None) -> Callable[[D], bool]:
        """`handler` run at most once per event; the wrapper returns True if it ran, False if skipped.

        `name` (default: the handler's module and name) namespaces the ids, so that two handlers
        sharing a table each see every event once.
        """
        from aws_lambda_powertools.utilities.idempotency import idempotent_function

        prefix = name or f"{handler.__module__}.{handler.__qualname__}"

        def run(*, key: dict[str, str], delivery: D) -> bool:
            handler(delivery)
            return True

        @functools.cache
        def guarded() -> Callable[..., Any]:
            once: Callable[..., Any] = idempotent_function(
                run,
                data_keyword_argument="key",
                persistence_store=self._persistence(),
                config=self.config,
                key_prefix=prefix,
            )
            return once

        @functools.wraps(handler)
        def deduplicated(delivery: D) -> bool:
            if not delivery.event_id:
                raise ValueError("the delivery has no event id to deduplicate on")
            return bool(guarded()(key={"key": f"{delivery.source}:{delivery.event_id}"}, delivery=delivery))

        return deduplicated
