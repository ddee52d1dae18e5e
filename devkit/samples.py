"""The sample events: one API Gateway event file per case in `events/`, and what each should get.

`python -m devkit events` writes them all from this catalog, freshly stamped and signed with the
local secret, so that `sam local invoke -e events/<file>` passes the 15-minute replay window.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from devkit.events import cand_event, http_api_event, now_ms, signed_headers
from devkit.template import ROOT

EVENTS = ROOT / "events"
PAYLOADS = EVENTS / "payloads"
LOCAL_SECRET = "local-signing-secret"  # noqa: S105 - the documented secret of local runs, never deployed
LOCAL_CAND_TOKEN = "local-cand-token-5f3a9c1e7b2d4e6f"  # noqa: S105 - likewise, the local canD path token
Signing = Literal["valid", "wrong-secret", "stale", "unsigned"]


def local_secrets(secret: str = LOCAL_SECRET, cand_token: str = LOCAL_CAND_TOKEN) -> dict[str, str]:
    """The values of the template's secrets (by logical id) for a local stack."""
    return {"SigningSecretStore": secret, "CandTokenStore": cand_token}


@dataclass(frozen=True)
class Sample:
    """One case: which body, how it is signed, and the answer the receiver must give."""

    name: str
    payload: str | None = None  # a file under events/payloads
    provider: Literal["bettermode", "cand"] = "bettermode"
    raw: bytes | None = None  # or a literal body (for malformed ones)
    signing: Signing = "valid"
    family: str = "bettermode"
    status: int = 200
    publishes: bool = False  # whether the event reaches a topic

    @property
    def path(self) -> Path:
        return EVENTS / f"{self.name}.json"

    @property
    def good(self) -> bool:
        return self.status == 200

    def body(self) -> bytes:
        if self.raw is not None:
            return self.raw
        assert self.payload is not None
        return (PAYLOADS / self.payload).read_bytes()

    def document(self) -> dict[str, Any]:
        return json.loads(self.body())

    def event(
        self, secret: str = LOCAL_SECRET, timestamp_ms: int | None = None, cand_token: str = LOCAL_CAND_TOKEN
    ) -> dict[str, Any]:
        """The API Gateway event, signed as this case says, stamped `timestamp_ms` (default: now).

        A canD case carries `cand_token` in its path ("wrong-secret": another token).
        """
        body = self.body()
        if self.provider == "cand":
            return cand_event(body, cand_token if self.signing == "valid" else "not-the-token-" + "0" * 24)
        stamp = now_ms() if timestamp_ms is None else timestamp_ms
        if self.signing == "unsigned":
            headers = {"content-type": "application/json"}
        elif self.signing == "wrong-secret":
            headers = signed_headers("not-the-" + secret, body, stamp, self.family)
        elif self.signing == "stale":
            headers = signed_headers(secret, body, stamp - 20 * 60 * 1000, self.family)
        else:
            headers = signed_headers(secret, body, stamp, self.family)
        return http_api_event(body, headers)


def _published(name: str, payload: str | None = None) -> Sample:
    return Sample(f"bettermode-{name}", payload or f"bettermode/{name}.json", publishes=True)


def _replied(name: str, payload: str | None = None, family: str = "bettermode") -> Sample:
    return Sample(f"bettermode-{name}", payload or f"bettermode/{name}.json", family=family)


SAMPLES: tuple[Sample, ...] = (
    _replied("test-challenge"),
    _replied("test-challenge-tribe-headers", "bettermode/test-challenge.json", family="tribe"),
    _published("post.created"),
    _published("post.published"),
    _published("reply.published"),
    _published("post.deleted"),
    _published("reaction.added"),
    _published("reaction.removed"),
    _published("space.created"),
    _published("space_membership.created"),
    _published("member.created"),
    _published("moderation.created"),
    _published("network.updated"),
    _published("widget.spun"),
    _published("app-installed"),
    _published("app-uninstalled"),
    _replied("interaction"),
    _replied("shortcuts-states"),
    _replied("federated-search"),
    _replied("get-settings"),
    Sample("bettermode-bad-wrong-signature", "bettermode/post.published.json", signing="wrong-secret", status=401),
    Sample("bettermode-bad-unsigned", "bettermode/post.published.json", signing="unsigned", status=401),
    Sample("bettermode-bad-stale-timestamp", "bettermode/post.published.json", signing="stale", status=401),
    Sample("bettermode-bad-malformed-json", raw=b'{"type": "SUBSCRIPTION", "data": {"id": ', status=400),
    Sample(
        "bettermode-bad-missing-event-id",
        raw=b'{"type": "SUBSCRIPTION", "networkId": "CAxOmI7I7t", "data": {"noun": "POST", "name": "post.published"}}',
        status=400,
    ),
)
CAND_EVENTS = (
    "member.joined", "member.updated", "member.activated",
    "product.created", "product.updated", "product.voted",
    "payment.paid", "payment.cancelled", "payment.purchaseItemConfirmed",
    "subscription.subscribed", "subscription.expired",
    "message.created", "content.created",
)  # fmt: skip
SAMPLES += tuple(Sample(f"cand-{name}", f"cand/{name}.json", provider="cand", publishes=True) for name in CAND_EVENTS)
SAMPLES += (
    Sample("cand-bad-wrong-token", "cand/member.activated.json", provider="cand", signing="wrong-secret", status=404),
    Sample("cand-bad-missing-type", raw=b'{"module": "MOIM", "payload": {"id": "X1"}}', provider="cand", status=400),
    Sample("cand-bad-malformed-json", raw=b'{"module": "MOIM", "type": ', provider="cand", status=400),
)
BY_NAME = {sample.name: sample for sample in SAMPLES}


def write_events(secret: str = LOCAL_SECRET, cand_token: str = LOCAL_CAND_TOKEN) -> list[Path]:
    """(Re)write every event file, stamped now and signed with `secret` (canD: `cand_token` in the path)."""
    stamp = now_ms()
    written = []
    for sample in SAMPLES:
        event = sample.event(secret, stamp, cand_token)
        sample.path.write_text(json.dumps(event, indent=2) + "\n", encoding="utf-8")
        written.append(sample.path)
    return written
