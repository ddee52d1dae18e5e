"""Fault injection: every step of the pipeline fails in turn, and a sender retries as a platform would.

Each scenario runs the real handler on a fresh stack emulated from template.yaml (moto in-process),
injects one kind of fault into the handler's own AWS clients (botocore event hooks), and delivers
a handful of events with a sender that retries until it gets a 2xx, re-signing each attempt. The
platform is also at-least-once on its own: every event is delivered once more after it was
acknowledged. Then every subscriber queue is drained and the end state is counted: events
acknowledged, published, duplicated and lost.

`python -m devkit reliability` prints the report; tests assert on the same figures.
"""

from __future__ import annotations

import dataclasses
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TextIO

from devkit.events import LambdaContext, http_api_event, signed_headers
from devkit.runtime import REGION, handler_environment, invoke
from devkit.samples import BY_NAME, LOCAL_SECRET, local_secrets
from devkit.stack import EmulatedStack, create_stack, drain
from devkit.template import Template
from handler import config, failures

LEASE_SECONDS = 0.4  # the function's "timeout" in these runs, so that a crashed claim's lease passes quickly
MAX_ATTEMPTS = 8


class Crash(BaseException):
    """The function dies here (a timeout or an out-of-memory kill): no response, nothing cleaned up."""


@dataclass
class Fault:
    """Make `operation` of `service` fail `times` times, in `phase` ("before": the call never reaches
    AWS; "after": AWS did it, but the answer is lost, as with a timeout)."""

    kind: str
    service: str
    operation: str
    times: int
    error: str = "InternalError"
    phase: str = "before"
    crash: bool = False
    injected: int = 0

    def hook(self, **_: Any) -> None:
        if self.injected >= self.times:
            return
        self.injected += 1
        if self.crash:
            raise Crash(self.kind)
        if self.error == "ReadTimeout":
            from botocore.exceptions import ReadTimeoutError

            raise ReadTimeoutError(endpoint_url=f"https://{self.service}.{REGION}.amazonaws.com")
        from botocore.exceptions import ClientError

        raise ClientError({"Error": {"Code": self.error, "Message": f"injected {self.kind}"}}, self.operation)


@dataclass
class Scenario:
    name: str
    faults: list[Fault]
    events: int = 4
    duplicates_allowed: int = 0  # the documented windows: publish then crash, or publish outcome unknown
    why: str = ""
    platform_gives_up: bool = False  # the platform stops retrying; the failure queue and a redrive finish


@dataclass
class Report:
    scenario: str
    requests: int = 0
    accepted: int = 0
    rejected: Counter[str] = field(default_factory=Counter)
    retryable: Counter[str] = field(default_factory=Counter)  # 5xx or no answer: the sender retries
    faults: Counter[str] = field(default_factory=Counter)
    events: int = 0
    acknowledged: int = 0
    published: int = 0  # distinct events on their topic
    duplicates: int = 0  # messages beyond the first per event
    lost: int = 0  # acknowledged (or sent to the failure queue and redriven) but not on its topic
    redriven: int = 0
    duplicates_allowed: int = 0
    why: str = ""

    @property
    def ok(self) -> bool:
        return self.lost == 0 and self.duplicates <= self.duplicates_allowed and self.acknowledged == self.events


PUT, UPDATE, DELETE, PUBLISH = (
    ("dynamodb", "PutItem"),
    ("dynamodb", "UpdateItem"),
    ("dynamodb", "DeleteItem"),
    ("sns", "Publish"),
)
SCENARIOS: tuple[Scenario, ...] = (
    Scenario("no faults", []),
    Scenario(
        "claim throttled (DynamoDB PutItem)",
        [Fault("dynamodb throttling on claim", *PUT, 3, "ProvisionedThroughputExceededException")],
    ),
    Scenario("claim errors (DynamoDB PutItem)", [Fault("dynamodb error on claim", *PUT, 2)]),
    Scenario("publish errors (SNS Publish)", [Fault("sns error on publish", *PUBLISH, 3)]),
    Scenario("publish times out before SNS has it", [Fault("sns timeout on publish", *PUBLISH, 2, "ReadTimeout")]),
    Scenario(
        "publish times out after SNS has it",
        [Fault("sns timeout after publish", *PUBLISH, 1, "ReadTimeout", phase="after")],
        duplicates_allowed=1,
        why="SNS took the message but the answer was lost: the claim is released and the retry publishes again",
    ),
    Scenario(
        "completion mark fails (DynamoDB UpdateItem)",
        [Fault("dynamodb error on complete", *UPDATE, 2)],
        duplicates_allowed=2,
        why="published and acknowledged, but the claim stays in progress: a redelivery after the lease publishes again",
    ),
    Scenario(
        "publish fails and release fails (DynamoDB DeleteItem)",
        [Fault("sns error on publish", *PUBLISH, 2), Fault("dynamodb error on release", *DELETE, 2)],
    ),
    Scenario(
        "function dies between claim and publish",
        [Fault("crash between claim and publish", *PUBLISH, 2, crash=True)],
    ),
    Scenario(
        "function dies between publish and completion",
        [Fault("crash between publish and complete", *UPDATE, 1, crash=True)],
        duplicates_allowed=1,
        why="the event is on its topic but the claim is not completed: the retry after the lease publishes again",
    ),
    Scenario(
        "SNS down until the platform gives up; redrive",
        [Fault("sns error on publish", *PUBLISH, 10_000)],
        platform_gives_up=True,
    ),
)


@contextmanager
def injected(faults: list[Fault]) -> Iterator[None]:
    from handler import aws_clients

    registered = []
    for fault in faults:
        events = aws_clients.client(fault.service).meta.events
        name = f"{fault.phase}-call.{fault.service}.{fault.operation}"
        unique = f"fault-{uuid.uuid4()}"
        events.register(name, fault.hook, unique_id=unique)
        registered.append((events, name, unique))
    try:
        yield
    finally:
        for events, name, unique in registered:
            events.unregister(name, unique_id=unique)


def _event_bodies(count: int) -> list[bytes]:
    """`count` distinct events: the post.published sample under fresh ids."""
    import json

    template = BY_NAME["bettermode-post.published"].document()
    bodies = []
    for _ in range(count):
        template["data"]["id"] = uuid.uuid4().hex
        bodies.append(json.dumps(template).encode())
    return bodies


def _deliver(body: bytes, report: Report, attempts: int = MAX_ATTEMPTS) -> bool:
    """Deliver like a platform: re-signed each time, retried on 5xx or no answer; True once acknowledged."""
    for _ in range(attempts):
        report.requests += 1
        try:
            response = invoke(
                http_api_event(body, signed_headers(LOCAL_SECRET, body)), LambdaContext(timeout_s=LEASE_SECONDS)
            )
        except Crash:
            report.retryable["no answer (function died)"] += 1
            time.sleep(LEASE_SECONDS + 0.1)  # the platform times out, then retries
            continue
        if 200 <= response.status < 300:
            report.accepted += 1
            return True
        if response.status >= 500:
            code = response.json().get("error")
            report.retryable[f"{response.status} {code}"] += 1
            time.sleep(LEASE_SECONDS / 2 if code == "in_progress" else 0.05)
            continue
        report.rejected[f"{response.status} {response.json().get('error')}"] += 1
        return False
    return False


def _send_rejected(report: Report) -> None:
    """A few requests that must be refused, whatever the faults, and must leave nothing behind."""
    body = BY_NAME["bettermode-post.published"].body()
    for headers in (signed_headers("not-the-secret", body), {"content-type": "application/json"}):
        report.requests += 1
        response = invoke(http_api_event(body, headers), LambdaContext(timeout_s=LEASE_SECONDS))
        report.rejected[f"{response.status} {response.json().get('error')}"] += 1


def run_scenario(scenario: Scenario) -> Report:
    import boto3
    from moto import mock_aws

    report = Report(scenario.name, duplicates_allowed=scenario.duplicates_allowed, why=scenario.why)
    faults = [dataclasses.replace(fault, injected=0) for fault in scenario.faults]  # scenarios are reusable
    with mock_aws(), handler_environment({}):
        stack = create_stack(
            Template.load(), lambda service: boto3.client(service, region_name=REGION), local_secrets()
        )
        with handler_environment(
            stack.environment | {"POWERTOOLS_LOG_LEVEL": "CRITICAL", "POWERTOOLS_METRICS_DISABLED": "true"}
        ):
            bodies = _event_bodies(scenario.events)
            report.events = len(bodies)
            acknowledged: list[bool] = []
            with injected(faults):
                _send_rejected(report)
                for body in bodies:
                    attempts = 3 if scenario.platform_gives_up else MAX_ATTEMPTS
                    acknowledged.append(_deliver(body, report, attempts))
            time.sleep(LEASE_SECONDS + 0.1)
            for body, done in zip(bodies, acknowledged, strict=True):
                if done:  # at least once: the platform delivers an acknowledged event again
                    _deliver(body, report)
            if scenario.platform_gives_up:
                report.redriven = failures.redrive(config.settings()).published
                acknowledged = [True] * len(bodies)  # the failure queue kept what the platform gave up on
            for fault in faults:
                report.faults[fault.kind] += fault.injected
            _count(stack, bodies, acknowledged, report)
    return report


def _count(stack: EmulatedStack, bodies: list[bytes], acknowledged: list[bool], report: Report) -> None:
    import json

    import boto3

    sqs = boto3.client("sqs", region_name=REGION)
    seen: Counter[str] = Counter()
    for url in stack.queues.values():
        for message in drain(sqs, url):
            seen[message.attributes.get("event_id", "")] += 1
    report.acknowledged = sum(acknowledged)
    for body, done in zip(bodies, acknowledged, strict=True):
        event_id = json.loads(body)["data"]["id"]
        if seen[event_id]:
            report.published += 1
            report.duplicates += seen[event_id] - 1
        elif done:
            report.lost += 1


def run(scenarios: tuple[Scenario, ...] = SCENARIOS) -> list[Report]:
    return [run_scenario(scenario) for scenario in scenarios]


def render(reports: list[Report], out: TextIO) -> None:
    columns = ("sent", "2xx", "retry", "refused", "faults", "events", "pub", "dup", "lost")
    header = f"{'scenario':<54}" + "".join(f"{name:>8}" for name in columns)
    out.write(header + "\n" + "-" * len(header) + "\n")
    for r in reports:
        mark = "" if r.ok else "   << FAILS THE BAR"
        figures = (
            r.requests, r.accepted, sum(r.retryable.values()), sum(r.rejected.values()),
            sum(r.faults.values()), r.events, r.published, r.duplicates, r.lost,
        )  # fmt: skip
        out.write(f"{r.scenario:<54}" + "".join(f"{figure:>8}" for figure in figures) + mark + "\n")
    totals = Report("total")
    for r in reports:
        totals.requests += r.requests
        totals.accepted += r.accepted
        totals.rejected.update(r.rejected)
        totals.retryable.update(r.retryable)
        totals.faults.update(r.faults)
        totals.events += r.events
        totals.published += r.published
        totals.duplicates += r.duplicates
        totals.lost += r.lost
    out.write(f"\nrequests sent {totals.requests}, accepted {totals.accepted}\n")
    out.write("rejected by reason: " + ", ".join(f"{k} x{v}" for k, v in sorted(totals.rejected.items())) + "\n")
    out.write("retried by answer: " + ", ".join(f"{k} x{v}" for k, v in sorted(totals.retryable.items())) + "\n")
    out.write("faults injected: " + ", ".join(f"{k} x{v}" for k, v in sorted(totals.faults.items())) + "\n")
    out.write(
        f"events {totals.events}, published {totals.published}, duplicates {totals.duplicates}, lost {totals.lost}\n"
    )
    for r in reports:
        if r.duplicates:
            out.write(f"  {r.duplicates} duplicate(s) in '{r.scenario}': {r.why}\n")
    out.write(
        "bar: lost = 0, duplicates only in the documented windows -> "
        + ("met" if all(r.ok for r in reports) else "NOT MET")
        + "\n"
    )


def main(out: TextIO = sys.stdout, scenarios: tuple[Scenario, ...] = SCENARIOS) -> int:
    reports = run(scenarios)
    render(reports, out)
    return 0 if all(r.ok for r in reports) else 1
