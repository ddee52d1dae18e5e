"""Claims on event ids in DynamoDB, through Powertools Idempotency: the only code that talks to DynamoDB.

Powertools gives exactly the semantics a webhook receiver needs, with one conditional write per
state change:
- first delivery: a conditional put claims the key (INPROGRESS, with a lease taken from the Lambda
  context's remaining time); the function runs; the record is marked COMPLETED;
- redelivery of a completed key: the failed conditional put returns the old item
  (ReturnValuesOnConditionCheckFailure), so it costs one call and publishes nothing;
- a concurrent delivery of an in-progress key: IdempotencyAlreadyInProgressError;
- the function raises (publishing failed): the claim is deleted, so a retry can publish;
- the function died mid-way: once the lease has passed, the next delivery can take the claim.
The key prefix is fixed (not the function's name), so renaming the function keeps its records.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any

from handler.errors import InProgress
from handler.observability import subsegment

KEY_PREFIX = "webhook"  # item ids are "webhook#<md5 of the namespaced key>"


class ClaimFailed(Exception):
    """DynamoDB could not record a claim, its completion or its release."""


def claim_key(source: str, event_id: str) -> str:
    """The idempotency key of an event: namespaced by source, so providers never collide."""
    return f"{source}:{event_id}"


@functools.cache
def _traced_layer_class() -> type:
    """Powertools' DynamoDB layer with a trace subsegment around each state change of a claim."""
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer
    from aws_lambda_powertools.utilities.idempotency.exceptions import IdempotencyItemAlreadyExistsError

    class TracedPersistenceLayer(DynamoDBPersistenceLayer):
        def save_inprogress(self, *args: Any, **kwargs: Any) -> None:
            taken: IdempotencyItemAlreadyExistsError | None = None
            with subsegment("claim") as segment:
                try:
                    super().save_inprogress(*args, **kwargs)
                except IdempotencyItemAlreadyExistsError as error:  # a redelivery: an answer, not a fault
                    taken = error
                    if segment is not None:
                        segment.put_annotation("claim", "already_taken")
            if taken is not None:
                raise taken

        def save_success(self, *args: Any, **kwargs: Any) -> None:
            with subsegment("complete"):
                super().save_success(*args, **kwargs)

        def delete_record(self, *args: Any, **kwargs: Any) -> None:
            with subsegment("release"):
                super().delete_record(*args, **kwargs)

    return TracedPersistenceLayer


def _mark_duplicate(response: Any, idempotent_data: Any) -> Any:
    """Powertools calls this only when it returns a stored result: the event was published before."""
    return {**(response or {}), "duplicate": True}


class Claims:
    """The claims of one table: a persistence layer per record lifetime, all sharing one DynamoDB client.

    Powertools fixes a layer's record lifetime the first time it is used, so each lifetime (one
    per provider) has its own layer. Held by the container, so its layers live as long as it does.
    """

    def __init__(self, table: str, dynamodb: Any) -> None:
        self.table = table
        self._dynamodb = dynamodb
        self._lock = threading.Lock()
        self._layers: dict[int, Any] = {}

    def layer(self, expires_after_seconds: int) -> Any:
        """The persistence layer for records of this lifetime, created on first use."""
        with self._lock:
            layer = self._layers.get(expires_after_seconds)
            if layer is None:
                layer = _traced_layer_class()(table_name=self.table, boto3_client=self._dynamodb)
                self._layers[expires_after_seconds] = layer
            return layer

    def run_once(
        self, key: str, lambda_context: Any, action: Callable[[], dict[str, Any]], expires_after_seconds: int
    ) -> dict[str, Any]:
        """Run `action` at most once per `key` and return its result, or the stored one (with `duplicate`).

        The claim is remembered `expires_after_seconds`. Raises InProgress while another request
        holds the claim, ClaimFailed when DynamoDB fails, and re-raises whatever `action` raised
        once its claim is released.
        """
        from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig, idempotent_function
        from aws_lambda_powertools.utilities.idempotency.exceptions import (
            IdempotencyAlreadyInProgressError,
            IdempotencyInconsistentStateError,
            IdempotencyPersistenceLayerError,
        )

        layer = self.layer(expires_after_seconds)
        config = IdempotencyConfig(  # per call: it carries this invocation's Lambda context
            event_key_jmespath="key",
            expires_after_seconds=expires_after_seconds,
            use_local_cache=False,  # containers do not share a cache; DynamoDB is the truth
            raise_on_no_idempotency_key=True,
            response_hook=_mark_duplicate,
        )
        if lambda_context is not None:
            config.register_lambda_context(lambda_context)  # the lease ends when this invocation would time out

        def claimed(claim: dict[str, str]) -> dict[str, Any]:
            return action()

        once = idempotent_function(
            data_keyword_argument="claim", persistence_store=layer, config=config, key_prefix=KEY_PREFIX
        )
        try:
            result: dict[str, Any] = once(claimed)(claim={"key": key})
            return result
        except IdempotencyAlreadyInProgressError:
            raise InProgress("another delivery of this event is being processed; retry later") from None
        except (IdempotencyPersistenceLayerError, IdempotencyInconsistentStateError) as error:
            raise ClaimFailed(str(error)) from error
