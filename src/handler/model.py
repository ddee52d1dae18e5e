"""The values that flow through a request: Request -> (Reply | Publish) -> Receipt, and what a
provider declares about itself (its Credential and how long its event ids are remembered).

Providers turn a Request into a Reply (answer only) or a Publish (an Event to fan out, then a
reply); the pipeline never needs to know which provider an Event came from. They are NamedTuples:
immutable like frozen dataclasses, and a tenth of their cost to define at cold start.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, NamedTuple

_NOTHING: Mapping[str, str] = MappingProxyType({})


class Request(NamedTuple):
    """An HTTP request as a provider sees it: lower-cased headers and the body's raw bytes."""

    headers: Mapping[str, str]
    body: bytes
    path_parameters: Mapping[str, str] = _NOTHING


class Event(NamedTuple):
    """One community event to publish exactly once.

    `event_id` is unique per event within its source and is what deduplicates it; the claim
    namespaces it by `source`, so two providers can never collide. `attributes` are the provider's
    extra SNS filter attributes (empty values are left out when publishing). `group` names the
    object the event is about, so that in the FIFO delivery mode a subscriber receives the events of
    one object in the order they were published; the provider chooses it per noun.
    """

    source: str
    event_id: str
    name: str
    noun: str
    verb: str | None
    body: bytes
    attributes: Mapping[str, str] = _NOTHING
    group: str = ""  # the object it is about, e.g. "post:<id>": its FIFO message group (publishing.group_id)
    occurred_at_ms: int | None = None  # when it happened, by the platform's clock (its payload's time), if sent
    sent_at_ms: int | None = None  # when the platform signed this request, if it signs one


class Reply(NamedTuple):
    """Answer with this JSON body (HTTP 200); nothing is published."""

    body: Mapping[str, Any]


class Publish(NamedTuple):
    """Publish `event` exactly once, then answer with `reply` (HTTP 200)."""

    event: Event
    reply: Mapping[str, Any]


class Receipt(NamedTuple):
    """What the pipeline did with an Event: published now, or already published before."""

    topic_arn: str
    message_id: str
    duplicate: bool


Parsed = Reply | Publish
"""What a provider makes of a request's body."""


class Credential(NamedTuple):
    """Where a provider's credential is found: the variable that names its secret's ARN (deployed)
    and the variable that holds it directly (local runs only; comma-separated for several)."""

    secret_arn_variable: str
    local_variable: str
    description: str  # for logs: "signing secret"; never the value


ActiveCredentials = Callable[[], tuple[str, ...]]
"""The active values of a provider's credential, as the receiver resolves them (several during a rotation)."""


class Lifetime(NamedTuple):
    """How long a provider's event ids are remembered: the variable that sets it, in seconds, and its default."""

    variable: str
    default_seconds: int
