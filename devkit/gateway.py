"""API Gateway's HTTP API in front of the function, narrowly: which route a request matches, and the
route's throttle, both read from the deployed template (devkit/deployed.py).

What is emulated, from the API Gateway Developer Guide:
- routes ("Create routes for HTTP APIs",
  https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-routes.html): a method
  and a path, where `{name}` is one path segment and `{name+}` the rest of the path, and ANY any
  method; a `$default` route takes what no other does. A request that matches no route is answered
  404 by API Gateway itself: the function never sees it.
- throttling ("Throttling requests to your HTTP API",
  https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-throttling.html): a token
  bucket, one token a request; a route's bucket is its own RouteSettings on the stage, else the
  stage's DefaultRouteSettings; and over every route, the account's bucket across all APIs of the
  Region ("Amazon API Gateway quotas",
  https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html: 10,000 requests a second,
  a bucket of 5,000; 2,500 and 1,250 in some newer Regions). No token: a 429 before the function.
Not emulated: that the throttles are best-effort targets rather than exact ceilings (as the guide
says), other stages, authorizers, CORS, and the payload and timeout limits.

Time is a `Clock` the caller moves: nothing here sleeps.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from devkit.events import HttpResponse, http_api_event

DEFAULT_ROUTE = "$default"
ANY_METHOD = "x-amazon-apigateway-any-method"
METHODS = ("get", "put", "post", "delete", "options", "head", "patch")


@dataclass(frozen=True)
class Throttle:
    """A token bucket's figures: `rate` tokens a second refill a bucket of `burst`."""

    rate: float
    burst: int


ACCOUNT_THROTTLE = Throttle(10_000, 5_000)  # per account and Region, across all APIs (the quotas page)


class Clock:
    """Seconds, moved by the caller."""

    def __init__(self, start: float = 0.0) -> None:
        self.at = start

    def now(self) -> float:
        return self.at

    def advance_to(self, at: float) -> None:
        if at < self.at:
            raise ValueError(f"time does not go back: {at} < {self.at}")
        self.at = at


class TokenBucket:
    """Full at first; refilled at `rate` a second up to `burst`; a request takes one token or is refused."""

    def __init__(self, throttle: Throttle, clock: Clock) -> None:
        self.throttle, self.clock = throttle, clock
        self.tokens, self.at = float(throttle.burst), clock.now()

    def take(self) -> bool:
        now = self.clock.now()
        self.tokens = min(float(self.throttle.burst), self.tokens + (now - self.at) * self.throttle.rate)
        self.at = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


@dataclass(frozen=True)
class Route:
    """A route of the API: its key ("POST /webhooks/cand/{token}" or "$default") and its throttle."""

    key: str
    throttle: Throttle | None  # None: only the account's

    @property
    def method(self) -> str:
        return "ANY" if self.key == DEFAULT_ROUTE else self.key.split(" ", 1)[0]

    @property
    def path(self) -> str:
        return "" if self.key == DEFAULT_ROUTE else self.key.split(" ", 1)[1]

    def match(self, method: str, path: str) -> dict[str, str] | None:
        """The path parameters when the request is this route's, else None."""
        if self.key == DEFAULT_ROUTE:
            return {}
        if self.method not in ("ANY", method.upper()):
            return None
        found = _pattern(self.path).fullmatch(path)
        return None if found is None else found.groupdict()

    @property
    def specificity(self) -> tuple[int, int, int]:
        """Lower first: the `$default` route last, a greedy variable after a plain one, ANY after a method."""
        return (
            self.key == DEFAULT_ROUTE,
            2 if "+}" in self.path else 1 if "{" in self.path else 0,
            self.method == "ANY",
        )


def _pattern(path: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^}]+\})", path)
    regex = ""
    for part in parts:
        variable = re.fullmatch(r"\{([^}+]+)(\+?)\}", part)
        if variable is None:
            regex += re.escape(part)
        elif variable.group(2):
            regex += f"(?P<{_group(variable.group(1))}>.+)"
        else:
            regex += f"(?P<{_group(variable.group(1))}>[^/]+)"
    return re.compile(regex)


def _group(name: str) -> str:
    if not name.isidentifier():
        raise ValueError(f"path variable {name!r}: the emulation names groups by it")
    return name


def routes_of(document: Mapping[str, Any], parameters: Mapping[str, Any], api: str | None = None) -> list[Route]:
    """The routes of an HTTP API of a deployed (translated) template, with each one's throttle.

    The routes are the OpenAPI body's paths and methods (the SAM translator writes them there); the
    throttles are the stage's RouteSettings by route key, else its DefaultRouteSettings, with the
    parameters resolved.
    """
    from devkit.template import Template

    resources = document["Resources"]
    apis = [logical for logical, r in resources.items() if r["Type"] == "AWS::ApiGatewayV2::Api"]
    if api is None:
        if len(apis) != 1:
            raise ValueError(f"expected one AWS::ApiGatewayV2::Api, found {apis}: name it")
        api = apis[0]
    body = resources[api]["Properties"].get("Body")
    if not body:
        raise ValueError(f"{api} has no OpenAPI body: the emulation reads its routes from there")
    stages = [
        r["Properties"]
        for r in resources.values()
        if r["Type"] == "AWS::ApiGatewayV2::Stage" and r["Properties"].get("ApiId") == {"Ref": api}
    ]
    if len(stages) != 1:
        raise ValueError(f"expected one stage of {api}, found {len(stages)}")
    resolve = Template(document=dict(document), parameters=dict(parameters)).resolve
    stage = stages[0]
    default = _throttle(resolve(stage.get("DefaultRouteSettings") or {}))
    settings = {key: _throttle(resolve(value)) for key, value in (stage.get("RouteSettings") or {}).items()}
    routes = []
    for path, operations in body.get("paths", {}).items():
        for operation in operations:
            if path == f"/{DEFAULT_ROUTE}":
                key = DEFAULT_ROUTE
            elif operation == ANY_METHOD:
                key = f"ANY {path}"
            elif operation in METHODS:
                key = f"{operation.upper()} {path}"
            else:
                continue  # parameters, summary: not an operation
            routes.append(Route(key, settings.get(key) or default))
    unknown = set(settings) - {route.key for route in routes}
    if unknown:
        raise ValueError(f"RouteSettings name routes the API does not have: {sorted(unknown)}")
    return routes


def _throttle(settings: Mapping[str, Any]) -> Throttle | None:
    if "ThrottlingRateLimit" not in settings and "ThrottlingBurstLimit" not in settings:
        return None
    return Throttle(float(settings["ThrottlingRateLimit"]), int(settings["ThrottlingBurstLimit"]))


def deployed_routes(overrides: Mapping[str, str] | None = None) -> list[Route]:
    """template.yaml's routes and throttles as deployed with these parameter overrides."""
    from devkit.deployed import translated
    from devkit.template import load_yaml, parameter_values

    return routes_of(translated(overrides), parameter_values(load_yaml(), overrides))


def _answer(status: int, message: str) -> HttpResponse:
    return HttpResponse(status, {"content-type": "application/json"}, json.dumps({"message": message}))


NOT_FOUND = 404
TOO_MANY_REQUESTS = 429
Function = Callable[[dict[str, Any]], HttpResponse]


class Gateway:
    """The HTTP API's routing and throttles in front of `function` (an event in, its response out).

    `shared`: every route takes from this one bucket instead of its own (what a single budget for the
    whole stage would be), for comparison.
    """

    def __init__(
        self,
        routes: Iterable[Route],
        function: Function,
        clock: Clock,
        *,
        account: Throttle | None = ACCOUNT_THROTTLE,
        shared: Throttle | None = None,
    ) -> None:
        self.routes = sorted(routes, key=lambda route: route.specificity)
        self.function, self.clock = function, clock
        one = TokenBucket(shared, clock) if shared else None
        self.buckets = {
            route.key: one or (TokenBucket(route.throttle, clock) if route.throttle else None) for route in self.routes
        }
        self.account = TokenBucket(account, clock) if account else None
        self.invoked: Counter[str] = Counter()  # by route key
        self.throttled: Counter[str] = Counter()  # 429s, by route key
        self.unmatched = 0  # 404s of API Gateway's own

    def route(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        for route in self.routes:
            parameters = route.match(method, path)
            if parameters is not None:
                return route, parameters
        return None

    def request(self, method: str, path: str, body: bytes, headers: Mapping[str, str]) -> HttpResponse:
        """What the sender gets: API Gateway's 404 or 429, or the function's response."""
        matched = self.route(method, path)
        if matched is None:
            self.unmatched += 1
            return _answer(NOT_FOUND, "Not Found")
        route, parameters = matched
        bucket = self.buckets[route.key]
        # the route's bucket first, then the account's (the guide does not say in which order they are taken)
        if (bucket is not None and not bucket.take()) or (self.account is not None and not self.account.take()):
            self.throttled[route.key] += 1
            return _answer(TOO_MANY_REQUESTS, "Too Many Requests")
        event = http_api_event(
            body,
            headers,
            path=path,
            method=method.upper(),
            route=route.path or None,
            path_parameters=parameters or None,
        )
        if route.key == DEFAULT_ROUTE:
            event["routeKey"] = event["requestContext"]["routeKey"] = DEFAULT_ROUTE
        self.invoked[route.key] += 1
        return self.function(event)
