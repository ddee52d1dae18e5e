"""Bettermode (formerly Tribe): signed requests, a URL challenge, and typed request kinds.

Every request is signed, TEST included. Headers come in two families, the current
`x-bettermode-*` and the older `x-tribe-*`; official apps still in service send only one of them.
"""

from __future__ import annotations

import copy
from typing import Any

from handler.config import Settings
from handler.errors import BadRequest, Unauthorized
from handler.model import ActiveCredentials, Credential, Event, Lifetime, Parsed, Publish, Reply, Request
from handler.providers.bettermode_signature import check_timestamp, signature_matches
from handler.providers.json_body import json_object, optional_object, optional_text, present, required_text, time_ms

SOURCE = "bettermode"
ROUTE = r"/webhooks/bettermode"
# The app's signing secret: in Secrets Manager (deployed), or SIGNING_SECRET for local runs.
CREDENTIAL = Credential("SIGNING_SECRET_ARN", "SIGNING_SECRET", "signing secret")
ID_LIFETIME: Lifetime | None = None  # `data.id` is unique per event: remembered DEDUPE_TTL_DAYS

# (signature header, timestamp header), the current family first: it wins when both are present.
HEADER_FAMILIES = (
    ("x-bettermode-signature", "x-bettermode-request-timestamp"),
    ("x-tribe-signature", "x-tribe-request-timestamp"),
)

APP_LIFECYCLE = {"APP_INSTALLED": "INSTALLED", "APP_UNINSTALLED": "UNINSTALLED"}
APP_NOUN = "APP_INSTALLATION"

# The object each noun's events are about: its FIFO message group (docs/delivery-modes.md), so that a
# subscriber of the noun's topic gets one object's events in order. SNS orders within one topic only:
# nouns that share a group (a post, its reactions) are in no order with each other. (kind, parts):
# each part is the first of its `|`-separated paths in `data` that holds an id; a noun not listed
# groups by its `object.id`.
GROUPS: dict[str, tuple[str, tuple[str, ...]]] = {
    "POST": ("post", ("object.id",)),  # a post (or reply) and its lifecycle
    "REACTION": ("post", ("object.postId|target.postId",)),  # the reactions on one post, in order on REACTION
    "MODERATION": ("post", ("target.postId",)),  # the moderations of one post (else: MODERATED, below)
    "SPACE_MEMBERSHIP": ("space_membership", ("object.spaceId|target.spaceId", "object.memberId|target.memberId")),
    "MEMBER": ("member", ("object.id|target.memberId",)),
    "SPACE": ("space", ("object.id|target.spaceId",)),
    "NETWORK": ("network", ("object.id|target.networkId",)),
}

# A moderation of something other than a post (no target.postId) is grouped by what it moderates,
# named by `object.entityType`: only these kinds, so a group's kind never comes from the sender's text.
MODERATED = {"POST": "post", "MEMBER": "member", "SPACE": "space"}

# Request types answered without publishing, with the `data` each expects back.
REPLY_DATA: dict[str, Any] = {
    "INTERACTION": {"interactions": []},
    "SHORTCUTS_STATES": [],
    "FEDERATED_SEARCH": [],
}


def authenticate(request: Request, credentials: ActiveCredentials, settings: Settings, now_ms: int) -> None:
    """Unauthorized unless the request carries a fresh timestamp and a matching signature."""
    for signature_header, timestamp_header in HEADER_FAMILIES:
        if signature_header in request.headers:
            signature = request.headers[signature_header]
            timestamp = request.headers.get(timestamp_header, "")
            break
    else:
        raise Unauthorized(
            "the request is not signed (no X-Bettermode-Signature or X-Tribe-Signature header)", "unsigned"
        )
    if not timestamp:
        raise Unauthorized(f"the request has no {timestamp_header} header", "unsigned")
    check_timestamp(timestamp, now_ms, settings.replay_window_seconds, settings.future_skew_seconds)
    if not signature_matches(credentials(), timestamp, request.body, signature):
        raise Unauthorized("the signature does not match the body", "bad_signature")


def parse(request: Request) -> Parsed:
    """The body as a challenge reply, an event to publish, or a reply-only request."""
    document = json_object(request.body)
    kind = required_text(document, "type", "body")
    if kind == "TEST":
        return Reply(challenge_reply(document))
    if kind == "SUBSCRIPTION":
        event = subscription_event(document, request.body)
        return Publish(event._replace(sent_at_ms=signed_at_ms(request)), {"type": kind, "status": "SUCCEEDED"})
    if kind in APP_LIFECYCLE:
        event = app_event(document, kind, request.body)
        return Publish(event._replace(sent_at_ms=signed_at_ms(request)), {"type": kind, "status": "SUCCEEDED"})
    reply: dict[str, Any] = {"type": kind, "status": "SUCCEEDED"}
    if kind in REPLY_DATA:
        reply["data"] = copy.deepcopy(REPLY_DATA[kind])
    return Reply(reply)


def signed_at_ms(request: Request) -> int | None:
    """The signed request timestamp (Unix ms) of the header family `authenticate` checked, if numeric."""
    for signature_header, timestamp_header in HEADER_FAMILIES:
        if signature_header in request.headers:
            value = request.headers.get(timestamp_header, "")
            return int(value) if value.isdigit() and len(value) <= 16 else None
    return None


def challenge_reply(document: dict[str, Any]) -> dict[str, Any]:
    """The answer that proves to Bettermode that this URL is ours: the same challenge back."""
    data = optional_object(document, "data")
    if "challenge" not in data:
        raise BadRequest("data.challenge is required for a TEST request")
    return {"type": "TEST", "status": "SUCCEEDED", "data": {"challenge": data["challenge"]}}


def subscription_event(document: dict[str, Any], body: bytes) -> Event:
    """A community event: `data.id` is unique per event instance and is the dedupe key."""
    data = document.get("data")
    if not isinstance(data, dict):
        raise BadRequest("data is required for a SUBSCRIPTION request and must be an object")
    event_id = required_text(data, "id", "data")
    noun = required_text(data, "noun", "data").upper()
    verb = optional_text(data.get("verb"))
    name = optional_text(data.get("name")) or (f"{noun}.{verb}" if verb else noun)
    target = optional_object(data, "target")
    kind, parts = GROUPS.get(noun, (noun.lower(), ("object.id",)))
    if noun == "MODERATION" and not optional_text(target.get("postId")):
        entity = optional_object(data, "object")
        kind = MODERATED.get(str(entity.get("entityType", "")).upper(), "moderation")
        parts = ("object.entityId|object.id",)
    return Event(
        source=SOURCE,
        event_id=event_id,
        name=name.lower(),
        noun=noun,
        verb=verb.upper() if verb else None,
        body=body,
        attributes=present(
            network_id=optional_text(document.get("networkId")) or optional_text(target.get("networkId")),
            space_id=optional_text(optional_object(data, "object").get("spaceId"))
            or optional_text(target.get("spaceId")),
            actor_id=optional_text(optional_object(data, "actor").get("id")),
        ),
        group=group(kind, data, parts),
        occurred_at_ms=time_ms(data.get("time")),
    )


def app_event(document: dict[str, Any], kind: str, body: bytes) -> Event:
    """An app (un)installation. Both carry the installation's id, so the event id includes the type
    (an uninstall must never be taken for a redelivered install) and, when sent, the time of the
    change (a reinstall that reuses the installation id is a new event)."""
    data = document.get("data")
    if not isinstance(data, dict):
        raise BadRequest(f"data is required for an {kind} request and must be an object")
    installation_id = required_text(data, "id", "data")
    changed_at = optional_text(data.get("updatedAt")) or optional_text(data.get("installedAt"))
    verb = APP_LIFECYCLE[kind]
    return Event(
        source=SOURCE,
        event_id=f"{kind}:{installation_id}" + (f"@{changed_at}" if changed_at else ""),
        name=f"{APP_NOUN}.{verb}".lower(),
        noun=APP_NOUN,
        verb=verb,
        body=body,
        attributes=present(
            network_id=optional_text(document.get("networkId")) or optional_text(data.get("networkId")),
            app_id=optional_text(data.get("appId")),
        ),
        group=f"{APP_NOUN.lower()}:{installation_id}",
        occurred_at_ms=time_ms(changed_at),
    )


def group(kind: str, data: dict[str, Any], parts: tuple[str, ...]) -> str:
    """`kind:<id>[.<id>]` from the first path of each part that holds an id; `kind` alone if one has none."""
    ids = []
    for part in parts:
        found = None
        for path in part.split("|"):
            parent, _, name = path.partition(".")
            found = optional_text(optional_object(data, parent).get(name))
            if found:
                break
        if not found:
            return kind
        ids.append(found)
    return f"{kind}:{'.'.join(ids)}"
