"""claim -> publish -> complete: the path every event to publish takes, whatever its provider."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger

from handler import claims, failures, publishing
from handler.container import Container
from handler.errors import InProgress, Unavailable, WebhookError
from handler.model import Event, Receipt
from handler.observability import subsegment

logger = Logger(child=True)


def publish_once(event: Event, state: Container, lambda_context: Any, id_lifetime: int) -> Receipt:
    """Publish the event exactly once; a redelivery returns the first publish's receipt.

    Its claim is remembered `id_lifetime` seconds (its provider says how long).

    An event that is not published (the claim, the publish or the release failed, or another
    delivery holds the claim) is kept on the failure queue before the non-2xx answer: no platform
    is known to retry every such answer, so the answer alone could lose it. The redrive publishes
    it through the same claim, so whichever comes first, a retry or the redrive, publishes it and the
    other is a duplicate. When the publish succeeded but marking the claim completed failed, the
    event is acknowledged (it is on its topic); should the same id come again after the lease, it
    is published again, and subscribers drop it by `event_id` (docs: the three duplicate windows).
    """
    settings, clients = state.settings, state.clients
    prepared: list[publishing.Outgoing] = []
    published: list[tuple[str, str]] = []

    def publish_it() -> dict[str, Any]:
        with subsegment("publish"):
            outgoing = publishing.prepare(event, settings, clients)  # stores a large body in S3 first
            prepared.append(outgoing)
            message_id = publishing.send(outgoing, clients("sns"))
        published.append((outgoing.topic_arn, message_id))
        return {"topic_arn": outgoing.topic_arn, "message_id": message_id}

    def kept(answer: WebhookError, cause: Exception) -> WebhookError:
        outgoing = prepared[0] if prepared else None
        reason = f"{answer.reason}: {cause}"
        answer.kept = failures.record(event, outgoing, key, reason, settings=settings, clients=clients)
        logger.warning(
            "not published; kept for the redrive" if answer.kept else "not published and NOT kept",
            extra={"reason": answer.reason, "error": str(cause), "event_id": event.event_id},
        )
        return answer

    key = claims.claim_key(event.source, event.event_id)
    try:
        result = state.claims.run_once(key, lambda_context, publish_it, id_lifetime)
    except publishing.PublishFailed as error:
        raise kept(Unavailable("the event could not be published; retry later", "publish_failed"), error) from error
    except claims.ClaimFailed as error:
        if published:
            logger.warning("published, but the claim was not marked completed", extra={"error": str(error)})
            return Receipt(*published[0], duplicate=False)
        # with a message prepared, the publish failed and so did releasing its claim
        reason = "release_failed" if prepared else "claim_failed"
        raise kept(Unavailable("the event could not be recorded; retry later", reason), error) from error
    except InProgress as error:
        raise kept(error, error) from None
    return Receipt(str(result.get("topic_arn", "")), str(result.get("message_id", "")), bool(result.get("duplicate")))
