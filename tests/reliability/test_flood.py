"""A flood on one route does not take the other route's budget: each route has its own throttle.

Unauthenticated traffic hits canD's route at many times its throttle while Bettermode sends at its
usual rate on its own route: every Bettermode event is published once, and none is answered 429.
API Gateway is emulated in front of the real handler (devkit/gateway.py): the two routes and their
throttles as the deployed template sets them (the stage's RouteSettings, translated from
template.yaml with a small ThrottleRateLimit and ThrottleBurstLimit), and a clock the test moves.
A path that matches no route is answered 404 by the gateway, and the function never sees it.

The control: the same flood against one bucket shared by both routes (a single budget for the
stage) leaves Bettermode's events answered 429.
"""

from __future__ import annotations

import random
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import pytest

from devkit.events import HttpResponse, signed_headers
from devkit.gateway import Clock, Gateway, Route, Throttle, deployed_routes
from handler import container
from tests.conftest import SECRET, Receiver, raw, sample
from tests.support import cand, queued

OVERRIDES = {"ThrottleRateLimit": "5", "ThrottleBurstLimit": "10"}  # small, so that the flood is short
BETTERMODE_ROUTE = "POST /webhooks/bettermode"
CAND_ROUTE = "POST /webhooks/cand/{token}"
SECONDS = 10
PLATFORM_EVERY = 0.5  # Bettermode's pace: one event every half second
FLOOD_FACTOR = 20  # the attacker's rate, in multiples of the route's throttle
SERVICES = ("dynamodb", "sns", "sqs", "s3", "secretsmanager")  # every client the handler makes


@cache
def routes() -> tuple[Route, ...]:
    """The API's routes and throttles, from the deployed template with OVERRIDES."""
    return tuple(deployed_routes(OVERRIDES))


def throttle_of(key: str) -> Throttle:
    throttle = next(route.throttle for route in routes() if route.key == key)
    assert throttle is not None, f"{key} has no throttle of its own"
    return throttle


@dataclass
class Request:
    at: float
    sender: str  # "bettermode", "attacker (canD)", "attacker (no route)"
    method: str
    path: str
    body: bytes
    event_id: str | None = None


@dataclass
class Tally:
    sent: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    invoked: int = 0  # requests that reached the function


def flood(rate: float) -> list[Request]:
    """Over SECONDS: Bettermode's signed events on its route; at FLOOD_FACTOR x `rate`, POSTs to canD's
    route with wrong tokens, and as many requests to paths (and methods) no route has."""
    rng = random.Random(20)  # noqa: S311 - wrong tokens and stray paths, the same every run
    attack_every = 1 / (FLOOD_FACTOR * rate)
    cand_body = raw(cand("member.joined"))
    requests = []
    for i in range(round(SECONDS / attack_every)):
        at = i * attack_every
        token = rng.randbytes(16).hex()
        requests.append(Request(at, "attacker (canD)", "POST", f"/webhooks/cand/{token}", cand_body))
        method, path = rng.choice(
            [
                ("POST", f"/{token}"),
                ("POST", f"/webhooks/cand/{token}/{token}"),
                ("POST", f"/webhooks/CAND/{token}"),
                ("POST", "/webhooks/cand"),
                ("POST", f"/webhooks/bettermode/{token}"),
                ("GET", f"/webhooks/cand/{token}"),
                ("GET", "/webhooks/bettermode"),
                ("PUT", "/webhooks/bettermode"),
                ("POST", "/.env"),
                ("POST", "/"),
            ]
        )
        requests.append(Request(at + attack_every / 2, "attacker (no route)", method, path, cand_body))
    for k in range(round(SECONDS / PLATFORM_EVERY)):
        document = sample("post.published")
        document["data"]["id"] = uuid.uuid4().hex
        at = k * PLATFORM_EVERY + attack_every / 4  # between two of the attacker's: no tie to order
        requests.append(
            Request(at, "bettermode", "POST", "/webhooks/bettermode", raw(document), document["data"]["id"])
        )
    return sorted(requests, key=lambda request: request.at)


@pytest.fixture
def aws_calls(receiver: Receiver) -> Iterator[list[str]]:
    """`service.Operation` of every AWS call the handler's clients make from now on."""
    made: list[str] = []

    def record(model: Any, **_: Any) -> None:
        made.append(f"{model.service_model.endpoint_prefix}.{model.name}")

    for service in SERVICES:
        container.current().clients(service).meta.events.register("before-call", record, unique_id="flood")
    yield made
    for service in SERVICES:
        container.current().clients(service).meta.events.unregister("before-call", unique_id="flood")


@dataclass
class Run:
    tallies: dict[str, Tally]
    answered: dict[str, int]  # Bettermode's event id -> status
    attacker_calls: list[str]  # AWS calls made while the function answered the attacker
    invoked_routes: Counter[str]  # route keys of the events the function got
    gateway: Gateway


def run(receiver: Receiver, aws_calls: list[str], shared: Throttle | None = None) -> Run:
    """The flood through the emulated gateway, in time order, on a clock moved to each request."""
    invoked_routes: Counter[str] = Counter()

    def function(event: dict[str, Any]) -> HttpResponse:
        invoked_routes[event["routeKey"]] += 1
        return receiver.invoke(event)

    clock = Clock()
    gateway = Gateway(routes(), function, clock, shared=shared)
    tallies: dict[str, Tally] = {}
    answered: dict[str, int] = {}
    attacker_calls: list[str] = []
    for request in flood(throttle_of(CAND_ROUTE).rate):
        clock.advance_to(request.at)
        tally = tallies.setdefault(request.sender, Tally())
        headers = (
            signed_headers(SECRET, request.body)
            if request.sender == "bettermode"
            else {"content-type": "application/json"}
        )
        calls_before, invoked_before = len(aws_calls), sum(invoked_routes.values())
        response = gateway.request(request.method, request.path, request.body, headers)
        reached = sum(invoked_routes.values()) > invoked_before
        tally.sent += 1
        tally.statuses[response.status] += 1
        tally.invoked += reached
        if request.event_id:
            answered[request.event_id] = response.status
        elif reached:
            attacker_calls += aws_calls[calls_before:]
    return Run(tallies, answered, attacker_calls, invoked_routes, gateway)


def published(receiver: Receiver) -> dict[str, Counter[str]]:
    """Messages per event id, by topic logical id (drained)."""
    return {
        topic: Counter(message.attributes["event_id"] for message in messages)
        for topic, messages in receiver.received().items()
    }


@pytest.fixture
def warm(receiver: Receiver, aws_calls: list[str]) -> None:
    """A warm container: its first request reads canD's token (whatever the token) and caches it for
    SecretCacheSeconds; from then on a wrong token is answered without any AWS call."""
    assert receiver.post_cand(raw(cand("member.joined")), "warming-up").status == 404
    assert [call.split(".")[1] for call in aws_calls] == ["GetSecretValue"]
    aws_calls.clear()


def test_the_routes_and_their_throttles_are_read_from_the_deployed_template() -> None:
    assert sorted(route.key for route in routes()) == [BETTERMODE_ROUTE, CAND_ROUTE]  # no $default route
    expected = Throttle(float(OVERRIDES["ThrottleRateLimit"]), int(OVERRIDES["ThrottleBurstLimit"]))
    assert throttle_of(BETTERMODE_ROUTE) == throttle_of(CAND_ROUTE) == expected


@pytest.mark.usefixtures("warm")
def test_a_flood_on_cands_route_leaves_every_bettermode_event_published_once_and_none_429(
    receiver: Receiver, aws_calls: list[str]
) -> None:
    result = run(receiver, aws_calls)
    platform, attack, stray = (
        result.tallies[name] for name in ("bettermode", "attacker (canD)", "attacker (no route)")
    )
    events = round(SECONDS / PLATFORM_EVERY)
    # Bettermode: every event answered 2xx, none 429, each on its topic exactly once
    assert platform.sent == events == len(result.answered)
    assert all(200 <= status < 300 for status in result.answered.values()), platform.statuses
    assert platform.statuses[429] == 0
    assert published(receiver) == {"TopicPOST": Counter(dict.fromkeys(result.answered, 1))}
    assert queued(receiver) == []  # nothing kept: all published
    # the attacker on canD's route: at FLOOD_FACTOR x the throttle, the excess is API Gateway's 429
    budget = throttle_of(CAND_ROUTE)
    assert attack.sent == FLOOD_FACTOR * budget.rate * SECONDS
    assert attack.statuses[429] == attack.sent - attack.invoked == result.gateway.throttled[CAND_ROUTE]
    assert budget.rate * SECONDS <= attack.invoked <= budget.burst + budget.rate * SECONDS
    # what reached the function was a 404, with no AWS call: no claim, publish, keep or secret read
    assert attack.statuses[404] == attack.invoked
    assert set(attack.statuses) == {404, 429}
    assert result.attacker_calls == []
    assert len(receiver.items()) == events  # the claims are Bettermode's only
    # paths and methods no route has: API Gateway's 404, never the function
    assert stray.sent == attack.sent
    assert stray.statuses == Counter({404: stray.sent}) and stray.invoked == 0
    assert result.gateway.unmatched == stray.sent
    assert result.invoked_routes == Counter({BETTERMODE_ROUTE: events, CAND_ROUTE: attack.invoked})
    assert result.gateway.throttled[BETTERMODE_ROUTE] == 0


@pytest.mark.usefixtures("warm")
def test_control_with_one_bucket_for_both_routes_the_flood_makes_bettermode_429(
    receiver: Receiver, aws_calls: list[str]
) -> None:
    """What a single budget for the whole stage would do: the flood takes it, and Bettermode is refused."""
    assert throttle_of(BETTERMODE_ROUTE) == throttle_of(CAND_ROUTE)
    result = run(receiver, aws_calls, shared=throttle_of(CAND_ROUTE))
    platform = result.tallies["bettermode"]
    refused = [event_id for event_id, status in result.answered.items() if status == 429]
    accepted = [event_id for event_id, status in result.answered.items() if 200 <= status < 300]
    assert refused  # with a bucket of its own, none was (the test above)
    assert len(refused) + len(accepted) == platform.sent
    assert platform.statuses[429] == result.gateway.throttled[BETTERMODE_ROUTE] == len(refused)
    on_topic = published(receiver).get("TopicPOST", Counter())
    assert on_topic == Counter(dict.fromkeys(accepted, 1))  # a refused event is never published: lost
    assert queued(receiver) == []  # nor kept: API Gateway refused it before the function
