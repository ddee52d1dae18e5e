"""The benchmark: the receiver as a Lambda user pays for it, beside the floor (bench/floor.py).

    python -m bench.benchmark [--runs 11] [--events 2000] [--throughput 400]

1. Cold start: a fresh process from interpreter start to the first response to a signed
   SUBSCRIPTION event; median of --runs. The receiver runs as deployed: its signing secret comes
   from Secrets Manager (the floor's from its environment). AWS is answered by the moto server on
   loopback (its own process), and once more by canned answers inside the measured process, so
   that the emulator's uneven first answers do not blur the process's own cost. Also with
   Tracing=Active (the template's default: the X-Ray SDK loaded and a sampled request traced), both
   ways, and the import time alone,
   with the top modules of `python -X importtime`.
2. Warm latency: p50/p99 over --events events of about 1, 10 and 100 KB in one process, with every
   AWS call answered in-process by a canned response, so the difference is the receiver's own cost
   (which includes encoding an SNS body once where bare boto3 encodes it twice: docs/performance.md).
3. AWS calls per request, counted with botocore's event hooks (every attempt that would go on the
   wire, retries included).
4. Peak memory of a warm process, and the deployment package's size.
5. Throughput through the local endpoint (real HTTP, moto server), with 4 concurrent clients.
6. Cost per million events at public list prices, with the assumptions beside it.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager, redirect_stdout
from pathlib import Path
from typing import Any, TextIO

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import devkit  # noqa: E402, F401 - puts src on the path
from devkit.events import http_api_event, signed_headers  # noqa: E402
from devkit.runtime import EMULATED_AWS, REGION, handler_environment  # noqa: E402
from devkit.samples import BY_NAME, LOCAL_SECRET, local_secrets  # noqa: E402
from devkit.stack import EmulatedStack, create_stack  # noqa: E402
from devkit.template import Template  # noqa: E402

MEMORY_MB = 512  # the template's MemorySize
PRICES = {  # us-east-1 list prices, arm64, without the free tier
    "api_gateway_http_per_million": 1.00,
    "lambda_requests_per_million": 0.20,
    "lambda_arm_gb_second": 0.0000133334,
    "dynamodb_write_request_units_per_million": 0.625,
    "sns_publishes_per_million": 0.50,  # per 64 KB chunk of a message
    # DeliveryMode=fifo: FIFO topics bill requests and payload, and each delivery to a subscription
    "sns_fifo_publishes_per_million": 0.30,
    "sns_fifo_publish_payload_gb": 0.017,
    "sns_fifo_deliveries_per_million": 0.01,
    "sns_fifo_delivery_payload_gb": 0.001,
    "cloudwatch_logs_ingested_gb": 0.50,
    "secrets_manager_per_10k_calls": 0.05,
}
PLATFORM_LOG_BYTES = 300  # the START, END and REPORT lines Lambda writes for each invocation
AWS_ROUND_TRIPS_MS = 30  # put, publish, update against the real services, in the same region


def event_body(size: int, event_id: str | None = None) -> bytes:
    document = BY_NAME["bettermode-post.published"].document()
    document["data"]["id"] = event_id or uuid.uuid4().hex
    document["data"]["object"]["shortContent"] = ""
    pad = size - len(json.dumps(document).encode())
    document["data"]["object"]["shortContent"] = "x" * max(0, pad)
    return json.dumps(document).encode()


def signed_event(body: bytes) -> dict[str, Any]:
    return http_api_event(body, signed_headers(LOCAL_SECRET, body))


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


# ----- 1. cold start --------------------------------------------------------------------------------
@contextmanager
def aws_server_stack() -> Iterator[tuple[str, EmulatedStack, Any]]:
    """The moto server in its own process, the stack created in it; yields its URL, the stack and a session."""
    import boto3

    from devkit.endpoint import free_port

    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "devkit.aws_server", "--port", str(port)], cwd=ROOT)  # noqa: S603
    url = f"http://127.0.0.1:{port}"
    try:
        session = boto3.session.Session(
            aws_access_key_id=EMULATED_AWS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=EMULATED_AWS["AWS_SECRET_ACCESS_KEY"],
            region_name=REGION,
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                stack = create_stack(Template.load(), lambda s: session.client(s, endpoint_url=url), local_secrets())
                break
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        yield url, stack, session
    finally:
        server.terminate()
        server.wait(10)


@contextmanager
def aws_server() -> Iterator[dict[str, dict[str, str]]]:
    """The moto server with the stack; yields each handler's environment.

    The receiver's is the template's, so its signing secret is read from Secrets Manager as when
    deployed; the floor, doing only the minimum, reads its secret from its environment.
    """
    with aws_server_stack() as (url, stack, _session):
        common = {**EMULATED_AWS, "AWS_ENDPOINT_URL": url, "BENCH_SECRET": LOCAL_SECRET,
                  "PATH": os.environ.get("PATH", "/usr/bin:/bin")}  # fmt: skip
        yield {
            "project": {**stack.environment, **common},
            "floor": {
                **common,
                "TABLE_NAME": stack.table_name,
                "FLOOR_TOPIC_ARN": stack.topics["TopicPOST"],
                "SIGNING_SECRET": LOCAL_SECRET,
            },
        }


@contextmanager
def traced_environment(environment: dict[str, str]) -> Iterator[dict[str, str]]:
    """The function's environment with Tracing=Active, as Lambda sets it for a sampled request.

    The X-Ray SDK sends its documents over UDP to a socket bound here and never read (the daemon's
    work happens outside the function).
    """
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as daemon:
        daemon.bind(("127.0.0.1", 0))
        yield {
            **environment,
            "LAMBDA_TASK_ROOT": str(ROOT / "src"),
            "AWS_LAMBDA_FUNCTION_NAME": "bench",
            "_X_AMZN_TRACE_ID": "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1",
            "AWS_XRAY_DAEMON_ADDRESS": f"127.0.0.1:{daemon.getsockname()[1]}",
            "AWS_XRAY_CONTEXT_MISSING": "IGNORE_ERROR",
            "POWERTOOLS_TRACE_DISABLED": "false",
        }


def cold_run(target: str, environment: dict[str, str], warm: int = 0) -> dict[str, Any]:
    event = signed_event(event_body(1024))
    started = time.perf_counter()
    result = subprocess.run(  # noqa: S603 - our interpreter and script
        [sys.executable, str(ROOT / "bench" / "cold.py"), target, str(warm)],
        env={**environment, "BENCH_EVENT": json.dumps(event), "BENCH_SPAWNED": repr(started)},
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    wall = (time.perf_counter() - started) * 1000
    report = next(json.loads(line) for line in reversed(result.stdout.splitlines()) if '"bench"' in line)
    if report["status"] != 200:
        raise RuntimeError(f"{target} answered {report['status']}: {result.stdout[-500:]}")
    return {**report, "process_ms": wall}


def import_profile(top: int = 8) -> list[tuple[str, float]]:
    """The slowest imports of `import handler.app`, by cumulative microseconds."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import handler.app"],
        cwd=ROOT / "src",
        capture_output=True,
        text=True,
        check=True,
    )
    rows = []
    for line in result.stderr.splitlines():
        parts = line.removeprefix("import time:").split("|")
        if len(parts) == 3 and parts[1].strip().isdigit():
            rows.append((parts[2].strip(), int(parts[1]) / 1000))
    return sorted(rows, key=lambda row: -row[1])[:top]


# ----- 2. warm latency, with canned AWS answers ---------------------------------------------------------
class _Raw:
    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.body


CANNED = {
    "dynamodb": (b"{}", "application/x-amz-json-1.0"),
    "sns": (
        b"<PublishResponse><PublishResult><MessageId>m-1</MessageId></PublishResult></PublishResponse>",
        "text/xml",
    ),
}


def answer_in_process(client: Any) -> None:
    """Every call of this client is answered 200 with a canned body, without a network."""
    from botocore.awsrequest import AWSResponse

    body, content_type = CANNED[client.meta.service_model.service_name]

    def respond(request: Any, **_: Any) -> AWSResponse:
        return AWSResponse(request.url, 200, {"content-type": content_type}, _Raw(body))

    client.meta.events.register_first("before-send", respond)


def warm_latency(
    handlers: dict[str, Callable[[dict[str, Any], Any], Any]], events: int, size: int
) -> dict[str, list[float]]:
    """Per-event milliseconds of each handler, the handlers taking turns event by event (so that
    the machine's drift affects both alike), and which goes first alternating (so that neither
    always finds the caches warmed by the other)."""
    from devkit.events import LambdaContext

    bodies = [signed_event(event_body(size)) for _ in range(min(events, 200))]
    context = LambdaContext()
    timings: dict[str, list[float]] = {name: [] for name in handlers}
    order = list(handlers.items())
    for index in range(events + 20):
        event = bodies[index % len(bodies)]
        for name, handler in order if index % 2 else reversed(order):
            started = time.perf_counter()
            status = handler(event, context)["statusCode"]
            elapsed = (time.perf_counter() - started) * 1000
            if status != 200:  # a refusal would time a shortcut
                raise RuntimeError(f"{name} answered {status} during the warm measurement")
            if index >= 20:  # the first ones warm up
                timings[name].append(elapsed)
    return timings


def warm_figures(events: int) -> tuple[dict[str, dict[int, tuple[float, float]]], int]:
    """p50/p99 by handler and size, and the bytes the receiver logs for one published 10 KB event."""
    import io
    import logging

    from devkit.events import LambdaContext

    figures: dict[str, dict[int, tuple[float, float]]] = {"project": {}, "floor": {}}
    environment = {
        "TABLE_NAME": "t", "TOPIC_NOUNS": "POST", "TOPIC_ARN_PREFIX": "arn:aws:sns:us-east-1:123456789012:b-",
        "CATCH_ALL_TOPIC_ARN": "arn:aws:sns:us-east-1:123456789012:b-OTHER", "SIGNING_SECRET": LOCAL_SECRET,
        "FLOOR_TOPIC_ARN": "arn:aws:sns:us-east-1:123456789012:b-POST", "POWERTOOLS_LOG_LEVEL": "INFO",
        "POWERTOOLS_SERVICE_NAME": "webhooks",
    }  # fmt: skip
    with handler_environment(environment), open(os.devnull, "w") as nowhere, redirect_stdout(nowhere):
        from handler import container
        from handler.app import lambda_handler

        streams = [h for h in logging.getLogger("webhooks").handlers if isinstance(h, logging.StreamHandler)]
        previous = [h.setStream(nowhere) for h in streams]  # INFO and metrics, as deployed, not to the screen
        sys.path.insert(0, str(ROOT / "bench"))
        import floor  # type: ignore[import-not-found]

        for service in ("dynamodb", "sns"):
            answer_in_process(container.current().clients(service))
            answer_in_process(floor._client(service))
        for size in (1024, 10 * 1024, 100 * 1024):
            timings = warm_latency({"project": lambda_handler, "floor": floor.lambda_handler}, events, size)
            for name, values in timings.items():
                figures[name][size] = (percentile(values, 0.5), percentile(values, 0.99))
        captured = io.StringIO()
        for log_handler in streams:
            log_handler.setStream(captured)
        lambda_handler(signed_event(event_body(10 * 1024)), LambdaContext())
        log_bytes = len(captured.getvalue().encode())
        floor._clients.clear()
        for log_handler, stream in zip(streams, previous, strict=True):
            log_handler.setStream(stream)
        logging.getLogger("webhooks").setLevel(logging.WARNING)  # the later sections print tables, not logs
    return figures, log_bytes


# ----- 3. AWS calls per request --------------------------------------------------------------------------
def calls_per_request() -> dict[str, Counter[str]]:
    import logging

    import boto3
    from botocore.handlers import BUILTIN_HANDLERS
    from moto import mock_aws

    from devkit.runtime import invoke
    from handler.errors import InProgress

    counted: dict[str, Counter[str]] = {}
    calls: Counter[str] = Counter()

    def count(event_name: str, **_: Any) -> None:  # before-send.<service>.<operation>, once per attempt
        calls[":".join(event_name.split(".")[1:3])] += 1

    # First, so that it sees each request before the emulator answers it; clients created from now on.
    BUILTIN_HANDLERS.insert(0, ("before-send", count))
    try:
        with mock_aws(), handler_environment({}):
            stack = create_stack(Template.load(), lambda s: boto3.client(s, region_name=REGION), local_secrets())
            quiet = {"POWERTOOLS_LOG_LEVEL": "WARNING", "POWERTOOLS_METRICS_DISABLED": "true"}
            with handler_environment(stack.environment | quiet):
                invoke(BY_NAME["bettermode-test-challenge"].event())  # the secret is cached after the first request
                body = event_body(1024)
                held = event_body(1024)
                hold = lambda: _hold_claim(stack, held)  # noqa: E731
                forged = http_api_event(body, signed_headers("not the secret", body))
                cases: list[tuple[str, Callable[[], Any], dict[str, Any], int]] = [
                    ("new event", lambda: None, signed_event(body), 200),
                    ("redelivered event", lambda: None, signed_event(body), 200),
                    ("concurrent duplicate", hold, signed_event(held), InProgress.status),
                    ("invalid signature", lambda: None, forged, 401),
                    ("TEST challenge", lambda: None, BY_NAME["bettermode-test-challenge"].event(), 200),
                ]
                # the concurrent duplicate's "kept for the redrive" warning is expected here, not news
                logging.disable(logging.WARNING)
                for name, setup, event, expected in cases:
                    setup()
                    calls.clear()
                    status = invoke(event).status
                    if status != expected:  # the calls of another path would be counted
                        raise RuntimeError(f"{name}: answered {status}, not {expected}")
                    counted[name] = Counter(calls)
    finally:
        BUILTIN_HANDLERS.remove(("before-send", count))
        logging.disable(logging.NOTSET)
    return counted


def _hold_claim(stack: Any, body: bytes) -> None:
    """Another delivery of this event holds the claim: in progress, inside its lease."""
    import hashlib

    import boto3

    from handler.claims import KEY_PREFIX, claim_key

    key = hashlib.md5(
        json.dumps(claim_key("bettermode", json.loads(body)["data"]["id"])).encode(), usedforsecurity=False
    )
    boto3.client("dynamodb", region_name=REGION).put_item(
        TableName=stack.table_name,
        Item={
            "id": {"S": f"{KEY_PREFIX}#{key.hexdigest()}"},
            "status": {"S": "INPROGRESS"},
            "expiration": {"N": str(int(time.time()) + 3600)},
            "in_progress_expiration": {"N": str(int((time.time() + 60) * 1000))},
        },
    )


# ----- 4. package size -----------------------------------------------------------------------------------
def package_size() -> tuple[float, int]:
    """(MiB unzipped, files) of what `sam build` packs: the runtime requirements for arm64/3.13 and src/handler."""
    with tempfile.TemporaryDirectory() as target:
        subprocess.run(  # noqa: S603
            [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-compile",
             "--platform", "manylinux2014_aarch64", "--implementation", "cp", "--python-version", "3.13",
             "--only-binary=:all:", "--no-deps", "--target", target, "-r", str(ROOT / "src" / "requirements.txt")],
            check=True, capture_output=True,
        )  # fmt: skip
        paths = [p for p in Path(target).rglob("*") if p.is_file()]
        paths += list((ROOT / "src" / "handler").rglob("*.py"))
        return sum(p.stat().st_size for p in paths) / 1024 / 1024, len(paths)


# ----- 5. throughput ---------------------------------------------------------------------------------------
def throughput(requests: int, clients: int = 4) -> float:
    from devkit import sender
    from devkit.endpoint import LocalEndpoint

    with LocalEndpoint() as endpoint:
        bodies = [event_body(1024) for _ in range(requests)]
        chunks = [bodies[i::clients] for i in range(clients)]

        def run(chunk: list[bytes]) -> None:
            for body in chunk:
                sender.send(endpoint.url, body, LOCAL_SECRET)

        threads = [threading.Thread(target=run, args=(chunk,)) for chunk in chunks]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return requests / (time.perf_counter() - started)


# ----- 6. cost -----------------------------------------------------------------------------------------------
def cost_per_million(duration_ms: float, log_bytes: int) -> dict[str, float]:
    """Dollars per million published events of about 10 KB; Lambda bills each started millisecond."""
    billed_ms = math.ceil(duration_ms)
    return {
        "API Gateway HTTP API": PRICES["api_gateway_http_per_million"],
        "Lambda requests": PRICES["lambda_requests_per_million"],
        f"Lambda duration ({billed_ms} ms)": 1_000_000
        * billed_ms
        / 1000
        * MEMORY_MB
        / 1024
        * PRICES["lambda_arm_gb_second"],
        "DynamoDB (put + update: 2 WRU)": 2 * PRICES["dynamodb_write_request_units_per_million"],
        "SNS publish (one 64 KB chunk)": PRICES["sns_publishes_per_million"],
        f"CloudWatch Logs ({log_bytes + PLATFORM_LOG_BYTES} B)": (log_bytes + PLATFORM_LOG_BYTES)
        / 1024**3
        * 1_000_000
        * PRICES["cloudwatch_logs_ingested_gb"],
    }


def fifo_sns_delivery_cost(size: int) -> float:
    """Dollars per million deliveries of `size`-byte messages from a FIFO topic to one subscription."""
    return (
        PRICES["sns_fifo_deliveries_per_million"] + 1_000_000 * size / 1024**3 * PRICES["sns_fifo_delivery_payload_gb"]
    )


def fifo_sns_cost(size: int, subscriptions: int = 1) -> float:
    """Dollars per million `size`-byte events through a FIFO topic to `subscriptions` SQS subscriptions."""
    publish = (
        PRICES["sns_fifo_publishes_per_million"] + 1_000_000 * size / 1024**3 * PRICES["sns_fifo_publish_payload_gb"]
    )
    return publish + subscriptions * fifo_sns_delivery_cost(size)


# ----- the report ----------------------------------------------------------------------------------------------
def main(argv: list[str] | None = None, out: TextIO = sys.stdout) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.benchmark", description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=11, help="cold starts per handler (median)")
    parser.add_argument("--events", type=int, default=2000, help="warm events per size")
    parser.add_argument("--throughput", type=int, default=400, help="requests through the local endpoint")
    args = parser.parse_args(argv)
    write = out.write
    warm_events = min(200, args.events)  # the peak memory is read after these, in a process of its own

    write(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}, {sys.platform}\n\n")
    with aws_server() as environments, traced_environment(environments["project"]) as traced:
        canned = {name: {**environment, "BENCH_CANNED": "1"}
                  for name, environment in (*environments.items(), ("traced", traced))}  # fmt: skip
        names = ("project", "floor", "traced", "canned", "canned floor", "canned traced")
        colds: dict[str, list[dict[str, Any]]] = {name: [] for name in names}
        for _ in range(args.runs):  # taking turns, so that the machine's drift affects all alike
            for name, target, environment in (
                ("project", "project", environments["project"]),
                ("floor", "floor", environments["floor"]),
                ("traced", "project", traced),
                ("canned", "project", canned["project"]),
                ("canned floor", "floor", canned["floor"]),
                ("canned traced", "project", canned["traced"]),
            ):
                colds[name].append(cold_run(target, environment))
        warm_process = {
            target: cold_run(target, environments[target], warm=warm_events) for target in ("project", "floor")
        }

    def median(target: str, key: str = "spawn_to_answer_ms") -> float:
        return statistics.median(run[key] for run in colds[target])

    write(f"1. cold start (median of {args.runs}; AWS = moto server on loopback)   project    floor   ratio\n")
    rows = (
        ("spawn_to_answer_ms", "process start to first response, ms"),
        ("total_ms", "first line of the script to first response, ms"),
        ("import_ms", "imports, ms"),
        ("first_ms", "first invocation (secret, clients, calls), ms"),
    )
    for key, label in rows:
        project, floor_value = median("project", key), median("floor", key)
        write(f"   {label:<58} {project:8.1f} {floor_value:8.1f} {project / floor_value:6.2f}x\n")
    for name, floor_name, label in (
        ("traced", "floor", "the same with Tracing=Active (X-Ray SDK, sampled request)"),
        ("canned", "canned floor", "process start to first response, AWS answered in-process"),
        ("canned traced", "canned floor", "the same with Tracing=Active"),
    ):
        value, floor_value = median(name), median(floor_name)
        write(f"   {label:<58} {value:8.1f} {floor_value:8.1f} {value / floor_value:6.2f}x\n")
    write("   slowest imports of handler.app (cumulative ms):\n")
    for name, ms in import_profile():
        write(f"     {ms:7.1f}  {name}\n")

    write(
        f"\n2. warm latency per event, AWS answered in-process ({args.events} events)"
        "  project p50/p99   floor p50/p99   overhead p50   ratio\n"
    )
    warm, log_bytes = warm_figures(args.events)
    for size in (1024, 10 * 1024, 100 * 1024):
        p, f = warm["project"][size], warm["floor"][size]
        write(
            f"   {size // 1024:>4} KB event, ms {'':<38} {p[0]:6.3f} / {p[1]:6.3f}   {f[0]:6.3f} / {f[1]:6.3f}"
            f"   {p[0] - f[0]:6.3f}        {p[0] / f[0]:5.2f}x\n"
        )

    write("\n3. AWS calls per request (project)\n")
    for name, calls in calls_per_request().items():
        detail = ", ".join(f"{k} x{v}" for k, v in sorted(calls.items())) or "none"
        write(f"   {name:<22} {sum(calls.values())}  ({detail})\n")

    size_mb, files = package_size()
    write("\n4. memory and package\n")
    write(f"   peak RSS after {warm_events} warm events, MB   project {warm_process['project']['maxrss_mb']:.1f}   "
          f"floor {warm_process['floor']['maxrss_mb']:.1f}\n")  # fmt: skip
    write(
        f"   deployment package (arm64 / 3.13, unzipped): {size_mb:.2f} MiB in {files} files "
        "(boto3 comes with the runtime; the floor's is its one file)\n"
    )

    rate = throughput(args.throughput)
    write(f"\n5. throughput through the local endpoint (HTTP + moto server, 4 clients): {rate:.0f} requests/s "
          "(informational: the emulator is the bottleneck)\n")  # fmt: skip

    duration = warm["project"][10 * 1024][0] + AWS_ROUND_TRIPS_MS
    costs = cost_per_million(duration, log_bytes)
    secrets_per_month = 30 * 24 * 3600 / 300 * PRICES["secrets_manager_per_10k_calls"] / 10_000
    write(
        f"\n6. cost per million events of 10 KB (us-east-1 list prices, no free tier; {MEMORY_MB} MB arm64, "
        f"billed: the measured project p50 at 10 KB + {AWS_ROUND_TRIPS_MS} ms for the three calls to DynamoDB "
        "and SNS; items under 1 KB; log line measured + Lambda's own lines)\n"
    )
    for item, dollars in costs.items():
        write(f"   {item:<36} ${dollars:7.3f}\n")
    write(
        f"   {'total':<36} ${sum(costs.values()):7.3f}  (a redelivery costs one DynamoDB read-and-fail write instead)\n"
        f"   not per event: the secret, read once per container every 5 minutes (${secrets_per_month:.2f} a month "
        "per container kept warm, plus the secrets' monthly price); the archive, when on (SNS delivery to "
        "Firehose, Firehose, S3), and the claims table's storage\n"
    )
    fifo_sns = fifo_sns_cost(10 * 1024)
    standard_sns = PRICES["sns_publishes_per_million"]
    write(
        f"   with DeliveryMode=fifo, SNS is ${fifo_sns:.3f} instead of ${standard_sns:.3f} (publish and 10 KB of "
        "payload, and one SQS subscription's delivery and payload; each further subscription "
        f"${fifo_sns_delivery_cost(10 * 1024):.3f}): total ${sum(costs.values()) - standard_sns + fifo_sns:.3f}\n"
    )

    ratios = {name: median(name) / median(floor_name) for name, floor_name in
              (("project", "floor"), ("canned", "canned floor"), ("traced", "floor"),
               ("canned traced", "canned floor"))}  # fmt: skip
    overhead = warm["project"][10 * 1024][0] - warm["floor"][10 * 1024][0]
    cold_met = "met" if ratios["project"] <= 1.3 and ratios["canned"] <= 1.3 else "NOT MET"
    warm_met = "met" if overhead < 1 else "NOT MET"
    write(f"\nbar: cold start <= 1.3x floor: {ratios['project']:.2f}x (AWS in-process: {ratios['canned']:.2f}x) "
          f"{cold_met} ({ratios['traced']:.2f}x / {ratios['canned traced']:.2f}x with Tracing=Active, the "
          "template's default, which the floor does not do); "
          f"warm overhead p50 at 10 KB < 1 ms: {overhead:.3f} ms {warm_met}\n")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
