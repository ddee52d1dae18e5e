"""Fault injection: every step of the pipeline fails in turn, with a sender that retries and one that never does.

Each scenario runs the real handler on a fresh stack emulated from template.yaml (moto in-process),
injects one kind of fault into the handler's own AWS clients (botocore event hooks), and delivers
a handful of events with each sender:
- one that retries every 5xx and unanswered request until it gets a 2xx, re-signing each attempt,
  and delivers every acknowledged event once more (at least once);
- one that never retries and never redelivers, which is all canD documents, and more than
  Bettermode documents for a 5xx: whatever the stack answered, each event must then be published or
  on the failure queue when the run ends, and one redrive must publish each exactly once.
API Gateway's throttle is emulated as the token bucket it is (rate and burst), in front of the
function: a 429 never reaches it, and is counted. Then every subscriber queue is drained and the end
state is counted: events acknowledged, kept, published, duplicated and lost.

`python -m devkit reliability` prints the report; tests assert on the same figures.
"""

from __future__ import annotations

import dataclasses
import json
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TextIO

from devkit.events import LambdaContext, http_api_event, signed_headers
from devkit.fifo import topic_deduplication
from devkit.queues import drain
from devkit.runtime import REGION, handler_environment, invoke
from devkit.samples import BY_NAME, LOCAL_SECRET, local_secrets
from devkit.stack import EmulatedStack, emulated_stack
from handler import container
from webhooks_ops.redrive import redrive

LEASE_SECONDS = 0.4  # the function's "timeout" in these runs, so that a crashed claim's lease passes quickly
MAX_ATTEMPTS = 8


@dataclass(frozen=True)
class Sender:
    name: str
    retries: bool  # retries 5xx, 429 and no answer until a 2xx, and redelivers; else one attempt, ever


RETRYING = Sender("retries", True)
NEVER_RETRIES = Sender("never retries", False)
SENDERS = (RETRYING, NEVER_RETRIES)
MODES = ("standard", "fifo")  # template.yaml's DeliveryMode


class SenderClock:
    """The sender's time: the real clock, plus the waits between throttled attempts, which are
    counted instead of slept (nothing else waits on them: a claim's lease runs on the real clock)."""

    def __init__(self) -> None:
        self.skipped = 0.0

    def now(self) -> float:
        return time.monotonic() + self.skipped

    def wait(self, seconds: float) -> None:
        self.skipped += seconds


class TokenBucket:
    """API Gateway's throttle: `rate` requests a second refill a bucket of `burst`; empty -> 429."""

    def __init__(self, rate: float, burst: int, clock: SenderClock | None = None) -> None:
        self.clock = clock or SenderClock()
        self.rate, self.burst, self.tokens, self.at = rate, burst, float(burst), self.clock.now()

    def take(self) -> bool:
        now = self.clock.now()
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


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
    throttle: tuple[float, int] | None = None  # API Gateway's (rate, burst); None: the template's defaults
    lost_without_retry: int = 0  # the one window a sender that never retries cannot be covered in
    why_lost: str = ""


@dataclass
class Report:
    scenario: str
    sender: str = RETRYING.name
    mode: str = "standard"  # the stack's DeliveryMode
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
    throttled: int = 0  # 429s: refused by API Gateway before the function
    unsent: int = 0  # events a sender that never retries gave up on at a 429: the stack never saw them
    kept: int = 0  # events on the failure queue when the senders are done (not published)
    lost_before_redrive: int = 0  # events that reached the function, neither published nor kept
    lost_allowed: int = 0

    @property
    def ok(self) -> bool:
        covered = self.lost <= self.lost_allowed and self.lost_before_redrive <= self.lost_allowed
        complete = self.acknowledged == self.events or self.sender == NEVER_RETRIES.name
        return covered and self.duplicates <= self.duplicates_allowed and complete

    def to_json(self) -> str:
        """The report as JSON, so that runs made elsewhere (test workers) can be rendered together."""
        values = {item.name: getattr(self, item.name) for item in dataclasses.fields(self)}
        return json.dumps(
            {name: dict(value) if isinstance(value, Counter) else value for name, value in values.items()}
        )

    @classmethod
    def from_json(cls, text: str) -> Report:
        fields = json.loads(text)
        for name in ("rejected", "retryable", "faults"):
            fields[name] = Counter(fields[name])
        return cls(**fields)


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
        lost_without_retry=2,
        why_lost="the function was killed (a timeout, out of memory) before it could answer or keep the event: "
        "only a retry of the unanswered request delivers it (Bettermode documents retrying a timeout; canD "
        "documents no retry); the FunctionErrors alarm fires",
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
    Scenario("burst of 60 within the default throttle", [], events=60),
    Scenario("burst of 30 above a throttle of 5/s, burst 10", [], events=30, throttle=(5, 10)),
)


@contextmanager
def injected(faults: list[Fault]) -> Iterator[None]:
    from handler import container

    registered = []
    for fault in faults:
        events = container.current().clients(fault.service).meta.events
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


def _send(body: bytes, report: Report, bucket: TokenBucket, attempts: int = MAX_ATTEMPTS) -> tuple[bool, bool]:
    """Deliver like a platform, re-signed each time, up to `attempts` times (again on a 5xx, a 429 or
    no answer): (acknowledged, reached the function at least once)."""
    reached = False
    for _ in range(attempts):
        report.requests += 1
        if not bucket.take():
            report.throttled += 1
            report.retryable["429 (API Gateway's throttle)"] += 1
            bucket.clock.wait(1 / bucket.rate)
            continue
        reached = True
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
            return True, reached
        if response.status >= 500:
            code = response.json().get("error")
            report.retryable[f"{response.status} {code}"] += 1
            time.sleep(LEASE_SECONDS / 2 if code == "in_progress" else 0.05)
            continue
        report.rejected[f"{response.status} {response.json().get('error')}"] += 1
        return False, reached
    return False, reached


def _send_rejected(report: Report) -> None:
    """A few requests that must be refused, whatever the faults, and must leave nothing behind."""
    body = BY_NAME["bettermode-post.published"].body()
    for headers in (signed_headers("not-the-secret", body), {"content-type": "application/json"}):
        report.requests += 1
        response = invoke(http_api_event(body, headers), LambdaContext(timeout_s=LEASE_SECONDS))
        report.rejected[f"{response.status} {response.json().get('error')}"] += 1


def _throttle(scenario: Scenario, stack: EmulatedStack) -> TokenBucket:
    rate, burst = scenario.throttle or (
        float(stack.template.parameters["ThrottleRateLimit"]),
        int(stack.template.parameters["ThrottleBurstLimit"]),
    )
    return TokenBucket(rate, burst)


def run_scenario(scenario: Scenario, sender: Sender = RETRYING, mode: str = "standard") -> Report:
    """Run one scenario with one sender against the stack in one delivery mode.

    In `fifo`, SNS drops a publish of the same event again within its 5-minute deduplication
    interval, and every retry here comes within seconds: no duplicate is allowed.
    """
    import boto3
    from moto import mock_aws

    allowed = 0 if mode == "fifo" else scenario.duplicates_allowed
    report = Report(scenario.name, sender.name, mode, duplicates_allowed=allowed, why=scenario.why)
    if not sender.retries:
        report.lost_allowed = scenario.lost_without_retry
    faults = [dataclasses.replace(fault, injected=0) for fault in scenario.faults]  # scenarios are reusable
    overrides = {"DeliveryMode": mode} if mode != "standard" else None
    with mock_aws(), topic_deduplication(), handler_environment({}):
        stack = emulated_stack(lambda service: boto3.client(service, region_name=REGION), local_secrets(), overrides)
        with handler_environment(
            stack.environment | {"POWERTOOLS_LOG_LEVEL": "CRITICAL", "POWERTOOLS_METRICS_DISABLED": "true"}
        ):
            bodies = _event_bodies(scenario.events)
            report.events = len(bodies)
            bucket = _throttle(scenario, stack)
            attempts = 1 if not sender.retries else 3 if scenario.platform_gives_up else MAX_ATTEMPTS
            sent: list[bool] = []
            acknowledged: list[bool] = []
            with injected(faults):
                _send_rejected(report)
                for body in bodies:
                    done, reached_it = _send(body, report, bucket, attempts)
                    acknowledged.append(done)
                    sent.append(reached_it)
            time.sleep(LEASE_SECONDS + 0.1)
            if sender.retries:
                for body, done in zip(bodies, acknowledged, strict=True):
                    if done:  # at least once: the platform delivers an acknowledged event again
                        _send(body, report, bucket)
            reached = [body for body, went in zip(bodies, sent, strict=True) if went]
            report.unsent = len(bodies) - len(reached)
            seen = _published(stack)
            kept = _kept(stack) - set(seen)
            report.kept = len(kept)
            report.lost_before_redrive = sum(
                1 for body in reached if _event_id(body) not in seen and _event_id(body) not in kept
            )
            if scenario.platform_gives_up or not sender.retries:
                state = container.current()
                report.redriven = redrive(state.settings, state.clients, wait_seconds=0).published
                acknowledged = [True] * len(bodies)  # the failure queue kept what the platform gave up on
            for fault in faults:
                report.faults[fault.kind] += fault.injected
            seen.update(_published(stack))
            _count(seen, reached, acknowledged, report)
    return report


def _event_id(body: bytes) -> str:
    import json

    return str(json.loads(body)["data"]["id"])


def _published(stack: EmulatedStack) -> Counter[str]:
    """Messages per event id on every subscriber queue (drained)."""
    import boto3

    sqs = boto3.client("sqs", region_name=REGION)
    seen: Counter[str] = Counter()
    for url in stack.queues.values():
        for message in drain(sqs, url):
            seen[message.attributes.get("event_id", "")] += 1
    return seen


def _kept(stack: EmulatedStack) -> set[str]:
    """The event ids on the failure queue, left there (each message made visible again)."""
    import json

    import boto3

    sqs = boto3.client("sqs", region_name=REGION)
    ids: set[str] = set()
    handles: list[str] = []
    while messages := sqs.receive_message(
        QueueUrl=stack.failure_queue_url, MaxNumberOfMessages=10, VisibilityTimeout=30
    ).get("Messages", []):
        for message in messages:
            ids.add(json.loads(message["Body"])["event_id"])
            handles.append(message["ReceiptHandle"])
    for handle in handles:
        sqs.change_message_visibility(QueueUrl=stack.failure_queue_url, ReceiptHandle=handle, VisibilityTimeout=0)
    return ids


def _count(seen: Counter[str], reached: list[bytes], acknowledged: list[bool], report: Report) -> None:
    report.acknowledged = sum(acknowledged)
    for body in reached:
        event_id = _event_id(body)
        if seen[event_id]:
            report.published += 1
            report.duplicates += seen[event_id] - 1
        else:
            report.lost += 1


def run(
    scenarios: tuple[Scenario, ...] = SCENARIOS,
    senders: tuple[Sender, ...] = SENDERS,
    modes: tuple[str, ...] = MODES,
) -> list[Report]:
    return [run_scenario(scenario, sender, mode) for mode in modes for sender in senders for scenario in scenarios]


def render(reports: list[Report], out: TextIO) -> None:
    columns = ("sent", "2xx", "retry", "429", "refused", "faults", "events", "unsent", "kept", "pub", "dup", "lost")
    header = f"{'scenario':<54}" + "".join(f"{name:>8}" for name in columns)
    for mode, sender in dict.fromkeys((r.mode, r.sender) for r in reports):
        what = (
            "retries every 5xx, 429 and unanswered request, and redelivers each event once more"
            if sender == RETRYING.name
            else "one attempt per event, never retried or redelivered (canD documents no retry); "
            "then one redrive of the failure queue"
        )
        topics = "FIFO topics" if mode == "fifo" else "standard topics"
        out.write(
            f"DeliveryMode={mode} ({topics}), sender that {sender}: {what}\n{header}\n" + "-" * len(header) + "\n"
        )
        for r in (r for r in reports if (r.mode, r.sender) == (mode, sender)):
            mark = "" if r.ok else "   << FAILS THE BAR"
            figures = (
                r.requests, r.accepted, sum(r.retryable.values()), r.throttled, sum(r.rejected.values()),
                sum(r.faults.values()), r.events, r.unsent, r.kept, r.published, r.duplicates, r.lost,
            )  # fmt: skip
            out.write(f"{r.scenario:<54}" + "".join(f"{figure:>8}" for figure in figures) + mark + "\n")
        out.write("\n")
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
        totals.throttled += r.throttled
        totals.unsent += r.unsent
        totals.lost_before_redrive += r.lost_before_redrive
    out.write(f"requests sent {totals.requests}, accepted {totals.accepted}, throttled (429) {totals.throttled}\n")
    out.write("rejected by reason: " + ", ".join(f"{k} x{v}" for k, v in sorted(totals.rejected.items())) + "\n")
    out.write("retried by answer: " + ", ".join(f"{k} x{v}" for k, v in sorted(totals.retryable.items())) + "\n")
    out.write("faults injected: " + ", ".join(f"{k} x{v}" for k, v in sorted(totals.faults.items())) + "\n")
    out.write(
        f"events {totals.events}, published {totals.published}, duplicates {totals.duplicates}, lost {totals.lost}\n"
    )
    out.write(
        f"with the sender that never retries: neither published nor kept before the redrive "
        f"{sum(r.lost_before_redrive for r in reports if r.sender == NEVER_RETRIES.name)}, "
        f"refused by the throttle and never sent again {totals.unsent} (each a 429 the ApiThrottled alarm counts)\n"
    )
    for r in reports:
        if r.duplicates:
            out.write(f"  {r.duplicates} duplicate(s) in '{r.scenario}' ({r.mode}, {r.sender}): {r.why}\n")
        if r.lost:
            out.write(f"  {r.lost} lost in '{r.scenario}' ({r.mode}, {r.sender}): {_why_lost(r)}\n")
    fifo = [r for r in reports if r.mode == "fifo"]
    if fifo:
        out.write(
            f"fifo: {sum(r.duplicates for r in fifo)} duplicates in {len(fifo)} runs, each retry within SNS's 5-minute "
            "deduplication interval. A publish of the same event after the interval (a redelivery or a redrive "
            "more than 5 minutes later, after a claim was lost) is not deduplicated by SNS: the standard mode's "
            "windows reopen, and subscribers drop it by event_id\n"
        )
    out.write(
        "bar: lost = 0 (but in the one documented window), duplicates only in the documented windows -> "
        + ("met" if all(r.ok for r in reports) else "NOT MET")
        + "\n"
    )


def _why_lost(report: Report) -> str:
    return next((s.why_lost for s in SCENARIOS if s.name == report.scenario and s.why_lost), "not allowed")


def main(out: TextIO = sys.stdout, scenarios: tuple[Scenario, ...] = SCENARIOS) -> int:
    import logging

    from handler import observability

    # the handler's logger took its level when this module imported it: the report is what is read here
    level = observability.logger.log_level
    observability.logger.setLevel(logging.CRITICAL)
    try:
        reports = run(scenarios)
    finally:
        observability.logger.setLevel(level)
    render(reports, out)
    return 0 if all(r.ok for r in reports) else 1
