"""Typed community events for subscribers of the webhook receiver's SNS topics.

    from webhook_events import PostEvent, parse_record

    def record_handler(record):           # an SQS record, raw or SNS-wrapped, or an SNS record
        delivery = parse_record(record, PostEvent)
        print(delivery.event_id, delivery.event.post.title, delivery.event.is_reply)

Imports nothing of the receiver. Needs pydantic v2 and boto3; `Deduplicator` needs
aws-lambda-powertools, HTTPS signature verification needs cryptography.
"""

__version__ = "1.0.0"  # the package's own version (webhook-events/pyproject.toml): subscribers pin it

from webhook_events.dedupe import Deduplicator
from webhook_events.models import (
    DOCUMENTED_EVENTS,
    SEEN_EVENTS,
    Actor,
    AppInstallation,
    AppInstallationEvent,
    BettermodeEvent,
    BettermodeRequest,
    CandContext,
    CandEvent,
    CandPayload,
    CommunityEvent,
    Entities,
    EntityObject,
    EventData,
    MemberEvent,
    MemberInvitationEvent,
    MemberObject,
    ModerationEvent,
    ModerationObject,
    NetworkEvent,
    NetworkObject,
    PlanEvent,
    PostEvent,
    PostObject,
    PostTypeObject,
    ReactionEvent,
    ReactionObject,
    SpaceEvent,
    SpaceJoinRequestEvent,
    SpaceMembershipEvent,
    SpaceMembershipObject,
    SpaceObject,
    Target,
    parse_event,
)
from webhook_events.records import (
    Delivery,
    NotAnEvent,
    SubscriptionConfirmation,
    parse_notification,
    parse_record,
    resolve_body,
)
from webhook_events.signatures import InvalidSignature, verify_notification

__all__ = [
    "DOCUMENTED_EVENTS",
    "SEEN_EVENTS",
    "Actor",
    "AppInstallation",
    "AppInstallationEvent",
    "BettermodeEvent",
    "BettermodeRequest",
    "CandContext",
    "CandEvent",
    "CandPayload",
    "CommunityEvent",
    "Deduplicator",
    "Delivery",
    "Entities",
    "EntityObject",
    "EventData",
    "InvalidSignature",
    "MemberEvent",
    "MemberInvitationEvent",
    "MemberObject",
    "ModerationEvent",
    "ModerationObject",
    "NetworkEvent",
    "NetworkObject",
    "NotAnEvent",
    "PlanEvent",
    "PostEvent",
    "PostObject",
    "PostTypeObject",
    "ReactionEvent",
    "ReactionObject",
    "SpaceEvent",
    "SpaceJoinRequestEvent",
    "SpaceMembershipEvent",
    "SpaceMembershipObject",
    "SpaceObject",
    "SubscriptionConfirmation",
    "Target",
    "parse_event",
    "parse_notification",
    "parse_record",
    "resolve_body",
    "verify_notification",
]
