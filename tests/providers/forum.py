"""A third platform, for tests only: proof that a provider plugs in without touching `src/handler`.

"Forum" signs each request with `hex(HMAC-SHA256(secret, body))` in `x-forum-signature` and sends
`{"id", "event": "<noun>.<verb>", "thread": {"id"}}`. Like the real providers it is pure: it
declares its route, its credential and how long its ids are remembered, and is handed the active
credentials by the receiver.
"""

from __future__ import annotations

import hashlib
import hmac

from handler.config import Settings
from handler.errors import Unauthorized
from handler.model import ActiveCredentials, Credential, Event, Lifetime, Parsed, Publish, Reply, Request
from handler.providers.json_body import json_object, optional_object, optional_text, present, required_text

SOURCE = "forum"
ROUTE = r"/webhooks/forum"
CREDENTIAL = Credential("FORUM_SECRET_ARN", "FORUM_SECRET", "forum signing secret")
ID_LIFETIME: Lifetime | None = Lifetime("FORUM_DEDUPE_TTL_SECONDS", 3600)


def sign(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def authenticate(request: Request, credentials: ActiveCredentials, settings: Settings, now_ms: int) -> None:
    given = request.headers.get("x-forum-signature", "")
    if not given:
        raise Unauthorized("the request is not signed (no X-Forum-Signature header)", "unsigned")
    matched = False
    for secret in credentials():
        matched |= hmac.compare_digest(given.encode(), sign(secret, request.body).encode())
    if not matched:
        raise Unauthorized("the signature does not match the body", "bad_signature")


def parse(request: Request) -> Parsed:
    document = json_object(request.body)
    kind = required_text(document, "event", "body")
    if kind == "ping":
        return Reply({"pong": True})
    noun, _, verb = kind.partition(".")
    return Publish(
        Event(
            source=SOURCE,
            event_id=required_text(document, "id", "body"),
            name=kind,
            noun=noun.upper(),
            verb=verb.upper() or None,
            body=request.body,
            attributes=present(thread_id=optional_text(optional_object(document, "thread").get("id"))),
        ),
        {"received": True},
    )
