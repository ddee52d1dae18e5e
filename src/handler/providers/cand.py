"""canD (modules such as MOIM): unsigned webhooks, authenticated by a secret token in the URL path.

canD signs nothing and sends no event id, timestamp or challenge; the only protection it offers is
an unguessable URL. So the route carries a token (kept in Secrets Manager, compared in constant
time) and a wrong one is answered exactly like a route that does not exist.
"""

from __future__ import annotations

import hashlib
import hmac
import json

from handler.config import MINUTE, Settings
from handler.errors import NOT_FOUND_MESSAGE, NotFound
from handler.model import ActiveCredentials, Credential, Event, Lifetime, Parsed, Publish, Request
from handler.providers.json_body import json_object, optional_object, optional_text, present, required_text

SOURCE = "cand"
ROUTE = r"/webhooks/cand/(?P<token>[^/]+)"
# The path token: in Secrets Manager (deployed), or CAND_WEBHOOK_TOKEN for local runs.
CREDENTIAL = Credential("CAND_TOKEN_ARN", "CAND_WEBHOOK_TOKEN", "canD token")
# canD sends no event id: its id is derived from the body, and a legitimately repeated event (the
# same vote again, a name changed back) has the same id, so it is remembered just long enough to
# absorb a redelivery.
ID_LIFETIME: Lifetime | None = Lifetime("CAND_DEDUPE_TTL_SECONDS", 15 * MINUTE)
REPLY = {"status": "SUCCEEDED"}


def authenticate(request: Request, credentials: ActiveCredentials, settings: Settings, now_ms: int) -> None:
    """NotFound unless the path token is one of the active tokens (every one is compared)."""
    given = request.path_parameters.get("token", "").encode("utf-8", "surrogatepass")
    matched = False
    for token in credentials():
        matched |= hmac.compare_digest(given, token.encode("utf-8"))
    if not matched or not given:
        raise NotFound(NOT_FOUND_MESSAGE)


def parse(request: Request) -> Parsed:
    """`{module, type, context, payload}` as an event to publish; unknown fields are tolerated."""
    document = json_object(request.body)
    module = required_text(document, "module", "body")
    kind = required_text(document, "type", "body")
    noun, _, verb = kind.partition(".")
    context = optional_object(document, "context")
    object_id = optional_text(optional_object(document, "payload").get("id"))
    return Publish(
        Event(
            source=SOURCE,
            event_id=derived_event_id(document),
            name=kind,  # as canD names it (e.g. payment.purchaseItemConfirmed)
            noun=noun.upper(),
            verb=verb.upper() or None,
            body=request.body,
            attributes=present(
                module=module,
                community_id=optional_text(context.get("communityId")),
                actor_id=optional_text(context.get("profileId")),
                origin_community_id=optional_text(context.get("originCommunityId")),
            ),
            # its FIFO message group: the payload's object (a product, a member, a message ...)
            group=f"{noun.lower()}:{object_id}" if object_id else noun.lower(),
        ),
        REPLY,
    )


def derived_event_id(document: dict[str, object]) -> str:
    """A stable id for an event that has none: the SHA-256 of its canonical JSON (first 32 hex).

    A redelivery carries the same event, so the same key, even if it is re-serialised with other
    spacing or key order. Module, type, community and payload id alone would not do: two edits of
    one product (two `product.updated` with the same payload id) are two events and must both be
    published; they differ in their payloads, so in their hashes. Only a byte-for-byte identical
    event is taken for a redelivery, and a subscriber could not tell those apart either.
    """
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()[:32]
