"""claim -> publish -> complete: the path every event to publish takes, whatever its provider."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger

from handler import claims, failures, publishing
from handler.config import Settings
from handler.delivery import Event, Receipt
from handler.errors import Unavailable
from handler.observability import subsegment

logger = Logger(child=True)


def deliver(event: Event, settings: Settings, lambda_context: Any) -> Receipt:
    """Publish the event exactly once; a redelivery returns the first publish's receipt.

    Failures before the publish leave no claim behind and answer 503, so the platform's retry
    publishes (a failed publish is also kept on the failure queue). When the publish succeeded
    but marking the claim completed failed, the event is acknowledged (it is on its topic);
    should the same id come again after the lease, it is published again, and subscribers drop it
    by `event_id`. README lists this window and the two others.
    """
    prepared: list[publishing.Outgoing] = []
    published: list[tuple[str, str]] = []

    def publish_it() -> dict[str, Any]:
        with subsegment("publish"):
            outgoing = publishing.prepare(event, settings)  # stores a large body in S3 first
            prepared.append(outgoing)
            message_id = publishing.send(outgoing)
        published.append((outgoing.topic_arn, message_id))
        return {"topic_arn": outgoing.topic_arn, "message_id": message_id}

    key = claims.claim_key(event.source, event.event_id)
    try:
        result = claims.run_once(settings, key, lambda_context, publish_it, settings.dedupe_ttl_for(event.source))
    except publishing.PublishFailed as error:
        kept = failures.record(event, prepared[0] if prepared else None, key, settings, str(error))
        logger.warning(
            "publish failed; claim released",
            extra={"error": str(error), "event_id": event.event_id, "on_failure_queue": kept},
        )
        raise Unavailable("the event could not be published; retry later", "publish_failed") from error
    except claims.ClaimFailed as error:
        if published:
            logger.warning("published, but the claim was not marked completed", extra={"error": str(error)})
            return Receipt(*published[0], duplicate=False)
        logger.warning("claim failed", extra={"error": str(error), "event_id": event.event_id})
        raise Unavailable("the event could not be recorded; retry later", "claim_failed") from error
    return Receipt(str(result.get("topic_arn", "")), str(result.get("message_id", "")), bool(result.get("duplicate")))
