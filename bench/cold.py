"""One cold start, run as a fresh process by the benchmark: import a handler, answer one event, report.

    python bench/cold.py project|floor [WARM_EVENTS]

The event (a signed API Gateway event) comes in BENCH_EVENT, the secret the warm events are signed
with in BENCH_SECRET. AWS is whatever AWS_ENDPOINT_URL points at or, with BENCH_CANNED=1, a canned
answer given in-process (so that only the process's own work is measured). Imports nothing of the
project's tooling, so that only the handler is measured. Prints one JSON line: import, first
response and total milliseconds, and the peak memory.
"""

from __future__ import annotations

import time

STARTED = time.perf_counter()

import hashlib  # noqa: E402 - measured from the first line
import hmac  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402


class Context:
    function_name = "bench"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:bench"
    aws_request_id = "bench"
    function_version = "$LATEST"

    def get_remaining_time_in_millis(self) -> int:
        return 10_000


CANNED = {  # (content type, body) of a 200 answer, by service
    "dynamodb": ("application/x-amz-json-1.0", b"{}"),
    "sns": ("text/xml", b"<PublishResponse><PublishResult><MessageId>m</MessageId></PublishResult></PublishResponse>"),
    "secrets-manager": ("application/x-amz-json-1.1", b""),  # the secret, filled in below
}


def answer_in_process() -> None:
    """Every client created from now on is answered by CANNED, before anything goes on the wire."""
    from botocore.awsrequest import AWSResponse
    from botocore.handlers import BUILTIN_HANDLERS

    secret = json.dumps({"Name": "s", "VersionId": "v", "SecretString": os.environ["BENCH_SECRET"]}).encode()

    class Raw:
        def __init__(self, body: bytes) -> None:
            self.body = body

        def stream(self, **_: object) -> object:
            yield self.body

    def respond(request: object, event_name: str, **_: object) -> AWSResponse:
        content_type, body = CANNED[event_name.split(".")[1]]
        return AWSResponse(request.url, 200, {"content-type": content_type}, Raw(body or secret))  # type: ignore[attr-defined]

    BUILTIN_HANDLERS.append(("before-send", respond))


def peak_memory_mb() -> float:
    """The process's own high-water RSS. (`ru_maxrss` would not do: a child started by a bigger
    parent inherits the parent's figure.)"""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    target = sys.argv[1]
    root = Path(__file__).resolve().parent.parent
    sys.path.insert(0, str(root / ("src" if target == "project" else "bench")))
    if os.environ.get("BENCH_CANNED") == "1":
        answer_in_process()
    if target == "project":
        from handler.app import lambda_handler
    else:
        from floor import lambda_handler  # type: ignore[import-not-found]
    imported = time.perf_counter()
    event = json.loads(os.environ["BENCH_EVENT"])
    result = lambda_handler(event, Context())
    answered = time.perf_counter()
    warm = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    document = json.loads(event["body"])
    for index in range(warm):  # new events, signed here with the standard library
        document["data"]["id"] = f"{index:032x}"
        body = json.dumps(document)
        stamp = str(time.time_ns() // 1_000_000)
        signature = hmac.new(os.environ["BENCH_SECRET"].encode(), f"{stamp}:{body}".encode(), hashlib.sha256)
        event["body"] = body
        event["headers"]["x-bettermode-request-timestamp"] = stamp
        event["headers"]["x-bettermode-signature"] = signature.hexdigest()
        lambda_handler(event, Context())
    report = {
        "bench": target,
        "status": result["statusCode"],
        "import_ms": (imported - STARTED) * 1000,
        "first_ms": (answered - imported) * 1000,
        "total_ms": (answered - STARTED) * 1000,
        # perf_counter is the system's monotonic clock: the parent's spawn time is comparable
        "spawn_to_answer_ms": (answered - float(os.environ.get("BENCH_SPAWNED", STARTED))) * 1000,
        "maxrss_mb": peak_memory_mb(),
    }
    print(json.dumps(report), flush=True)


if __name__ == "__main__":
    main()
