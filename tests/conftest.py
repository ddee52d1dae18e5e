"""Shared fixtures: the stack emulated in moto from template.yaml, and a signed-webhook client."""

from __future__ import annotations

import dataclasses
import io
import json
import shutil
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from devkit.atomic import atomic_dynamodb
from devkit.events import HttpResponse, LambdaContext, cand_event, http_api_event, signed_headers
from devkit.fifo import topic_deduplication
from devkit.queues import Message, drain
from devkit.reliability import MODES, SCENARIOS, SENDERS, Report, render
from devkit.runtime import fresh_session, reset_handler_state
from devkit.stack import EmulatedStack, emulated_stack

SECRET = "test-signing-secret-0123456789"
CAND_TOKEN = "test-cand-token-Zx8Qv2Lm5Np7Rt9W"
REGION = "us-east-1"
SAMPLES = Path(__file__).resolve().parent.parent / "events" / "payloads" / "bettermode"


def sample(name: str) -> dict[str, Any]:
    return json.loads((SAMPLES / f"{name}.json").read_text(encoding="utf-8"))


def raw(document: Any) -> bytes:
    return json.dumps(document, indent=2).encode("utf-8")


class Receiver:
    """Calls `handler.app.lambda_handler` the way API Gateway does, and reads what subscribers got."""

    def __init__(self, stack: EmulatedStack) -> None:
        self.stack = stack
        self.sqs = boto3.client("sqs", region_name=REGION)
        self.dynamodb = boto3.client("dynamodb", region_name=REGION)

    def invoke(self, event: dict[str, Any], context: Any = None) -> HttpResponse:
        from handler.app import lambda_handler

        return HttpResponse.from_result(lambda_handler(event, context or LambdaContext()))

    def post(
        self,
        body: bytes,
        *,
        secret: str = SECRET,
        timestamp_ms: int | None = None,
        family: str = "bettermode",
        headers: dict[str, str] | None = None,
        base64_body: bool = False,
        context: Any = None,
    ) -> HttpResponse:
        sent = signed_headers(secret, body, timestamp_ms, family) if headers is None else headers
        return self.invoke(http_api_event(body, sent, base64_body=base64_body), context)

    def post_cand(self, body: bytes, token: str = CAND_TOKEN, *, base64_body: bool = False) -> HttpResponse:
        return self.invoke(cand_event(body, token, base64_body=base64_body))

    def received(self) -> dict[str, list[Message]]:
        """Messages per topic logical id since the last call (topics that got none are left out)."""
        got = {logical: drain(self.sqs, url) for logical, url in self.stack.queues.items()}
        return {logical: messages for logical, messages in got.items() if messages}

    def items(self) -> list[dict[str, Any]]:
        return self.dynamodb.scan(TableName=self.stack.table_name)["Items"]


def at_once(count: int, call: Callable[[], HttpResponse]) -> list[int]:
    """`count` threads make the same call at the same instant; their statuses."""
    barrier = threading.Barrier(count)
    statuses: list[int] = []

    def run() -> None:
        barrier.wait()
        statuses.append(call().status)

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "SIGNING_SECRET"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "true")
    with mock_aws(), atomic_dynamodb(), topic_deduplication():
        boto3.DEFAULT_SESSION = fresh_session()  # `boto3.client(...)` in tests: models loaded once (moto restores it)
        reset_handler_state()
        yield
    reset_handler_state()


def start_stack(monkeypatch: pytest.MonkeyPatch, overrides: dict[str, str] | None = None) -> EmulatedStack:
    """The template's resources in moto (with `overrides` of its parameters); the function's
    environment set as the template sets it, and a fresh container.

    Built once per test process and restored for each test (devkit/stack.py: `emulated_stack`), so
    every test starts from exactly what the template makes. The signing secret is read from the
    emulated Secrets Manager, as deployed.
    """
    secrets = {"SigningSecretStore": SECRET, "CandTokenStore": CAND_TOKEN}
    emulated = emulated_stack(lambda service: boto3.client(service, region_name=REGION), secrets, overrides)
    for name, value in emulated.environment.items():
        monkeypatch.setenv(name, value)
    reset_handler_state()
    return dataclasses.replace(emulated, environment=dict(emulated.environment))


@pytest.fixture
def stack(aws: None, monkeypatch: pytest.MonkeyPatch) -> EmulatedStack:
    """The stack with the template's defaults (DeliveryMode=standard)."""
    return start_stack(monkeypatch)


@pytest.fixture
def fifo_stack(aws: None, monkeypatch: pytest.MonkeyPatch) -> EmulatedStack:
    """The stack with DeliveryMode=fifo: FIFO topics, each subscribed by a FIFO queue."""
    return start_stack(monkeypatch, {"DeliveryMode": "fifo"})


@pytest.fixture
def receiver(stack: EmulatedStack) -> Receiver:
    return Receiver(stack)


@pytest.fixture
def fifo_receiver(fifo_stack: EmulatedStack) -> Receiver:
    return Receiver(fifo_stack)


# ----- the fault-injection report: made from the runs the tests make, printed once at the end -----
REPORTS = Path(__file__).resolve().parent.parent / ".reports" / "reliability"


def pytest_sessionstart(session: pytest.Session) -> None:
    """A new run starts with no reports (in the main process only: workers share the folder)."""
    if not hasattr(session.config, "workerinput"):
        shutil.rmtree(REPORTS, ignore_errors=True)


@pytest.fixture
def keep_report(request: pytest.FixtureRequest) -> Callable[[Report], None]:
    """Keep a scenario's report for the session's summary, named so that it sorts as the report does."""

    def keep(report: Report) -> None:
        mode = MODES.index(report.mode)
        sender = next(i for i, s in enumerate(SENDERS) if s.name == report.sender)
        scenario = next(i for i, s in enumerate(SCENARIOS) if s.name == report.scenario)
        REPORTS.mkdir(parents=True, exist_ok=True)
        (REPORTS / f"{mode}-{sender}-{scenario:02d}.json").write_text(report.to_json(), encoding="utf-8")

    return keep


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """The fault-injection report of this run's scenarios, as `make reliability` prints it."""
    kept = sorted(REPORTS.glob("*.json")) if REPORTS.is_dir() else []
    if not kept:
        return
    out = io.StringIO()
    render([Report.from_json(path.read_text(encoding="utf-8")) for path in kept], out)
    terminalreporter.section("fault injection: what was lost or doubled (devkit/reliability.py)")
    terminalreporter.write(out.getvalue())


# ----- markers: what a test needs, so that `make test-fast` can leave out the rest ------------------
UNIT_FOLDERS = {"unit", "template"}  # pure modules and the template: no emulated stack
SLOW_MODULES = {
    "test_fault_injection.py",
    "test_concurrency_network.py",
    "test_benchmark_smoke.py",
    "test_replay_smoke.py",
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """`unit`: tests/unit and tests/template; `slow`: fault runs, servers, benchmarks and cfn-lint
    (which `make lint` runs too); `emulated`: everything else, on the stack built in moto."""
    for item in items:
        if item.path.name in SLOW_MODULES or "cfn_lint" in item.name:
            item.add_marker(pytest.mark.slow)
        elif item.path.parent.name in UNIT_FOLDERS:
            item.add_marker(pytest.mark.unit)
        else:
            item.add_marker(pytest.mark.emulated)
