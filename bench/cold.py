"""One cold start, run as a fresh process by the benchmark: import a handler, answer one event, report.

    python bench/cold.py project|floor [WARM_EVENTS]

The event (a signed API Gateway event) comes in BENCH_EVENT; AWS is whatever AWS_ENDPOINT_URL
points at. Imports nothing of the project's tooling, so that only the handler is measured. Prints
one JSON line: import, first response and total milliseconds, and the peak memory.
"""

from __future__ import annotations

import time

STARTED = time.perf_counter()

import hashlib  # noqa: E402 - measured from the first line
import hmac  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import resource  # noqa: E402
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


def main() -> None:
    target = sys.argv[1]
    root = Path(__file__).resolve().parent.parent
    sys.path.insert(0, str(root / ("src" if target == "project" else "bench")))
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
        signature = hmac.new(os.environ["SIGNING_SECRET"].encode(), f"{stamp}:{body}".encode(), hashlib.sha256)
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
        "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    print(json.dumps(report), flush=True)


if __name__ == "__main__":
    main()
