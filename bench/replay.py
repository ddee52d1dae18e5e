"""Replay at scale: memory stays flat and events/s, on an archive of --events events.

    python -m bench.replay [--events 100000] [--per-object 1000]

The archive is written to the moto server (its own process, over HTTP) by devkit's emulated
delivery stream writer, in the layout and line format Firehose writes: --per-object envelopes of a
real 1 KB post.published body per gzip object, over several days. Then, each in a fresh process
that imports only boto3 and archive_replay, the replay reads it all (from the moto server, over
HTTP) in dry run, and then sends it all to an SQS queue whose SendMessageBatch is answered
in-process with success: moto's SQS takes 0.1 to 0.6 s per batch, which would measure the
emulator, not the replay (the tests deliver to moto's queues). Each run prints the peak RSS after
10%, 50% and 100% of the events: a replay that held its range in memory would grow with it.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from devkit.runtime import EMULATED_AWS, REGION  # noqa: E402


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def current_rss_mb() -> float:
    """Resident memory now (the peak alone could hide a loop that stays under the imports' peak)."""
    with open("/proc/self/statm", encoding="ascii") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1024 / 1024


def envelopes(count: int, topic_arn: str, body: dict[str, Any], start: datetime) -> Iterator[dict[str, Any]]:
    """Archived post.published events, each its own id, spread over four days."""
    step = timedelta(days=4) / count
    for n in range(count):
        body["data"]["id"] = f"{n:032x}"
        yield {
            "Type": "Notification",
            "MessageId": f"00000000-0000-0000-0000-{n:012d}",
            "TopicArn": topic_arn,
            "Message": json.dumps(body),
            "Timestamp": (start + n * step).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "UnsubscribeURL": "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe",
            "MessageAttributes": {
                name: {"Type": "String", "Value": value}
                for name, value in {
                    "source": "bettermode",
                    "event_id": f"{n:032x}",
                    "event_name": "post.published",
                    "noun": "POST",
                    "verb": "PUBLISHED",
                    "network_id": "CAxOmI7I7t",
                    "space_id": "kBMLH6nwC78J",
                    "actor_id": "olQ88vTqYp",
                }.items()
            },
        }


def answer_sends_in_process(sqs: Any) -> None:
    """Every SendMessageBatch of this client succeeds at once, without a network (entry ids echoed)."""
    from botocore.awsrequest import AWSResponse

    class Raw:
        def __init__(self, body: bytes) -> None:
            self.body = body

        def stream(self, **_: Any) -> Iterator[bytes]:
            yield self.body

    def respond(request: Any, **_: Any) -> AWSResponse:
        entries = json.loads(request.body)["Entries"]
        body = json.dumps({"Successful": [{"Id": e["Id"], "MessageId": e["Id"]} for e in entries], "Failed": []})
        return AWSResponse(request.url, 200, {"content-type": "application/x-amz-json-1.0"}, Raw(body.encode()))

    sqs.meta.events.register_first("before-send.sqs.SendMessageBatch", respond)


def child(endpoint: str, bucket: str, queue_url: str, events: int) -> None:
    """One replay, measured from inside: prints a JSON line with the RSS at each mark and the time."""
    import boto3

    from archive_replay.checkpoint import Checkpoint
    from archive_replay.replay import archived, run
    from archive_replay.retry import Backoff, client_config
    from archive_replay.selection import Selection
    from archive_replay.targets import QueueTarget

    session = boto3.session.Session(region_name=REGION)  # credentials from the environment: EMULATED_AWS
    s3 = session.client("s3", endpoint_url=endpoint, config=client_config())
    target = None
    if queue_url:
        sqs = session.client("sqs", endpoint_url=endpoint, config=client_config())
        answer_sends_in_process(sqs)
        target = QueueTarget(sqs, queue_url, Backoff())
    selection = Selection.parse("2025-05-01", "2025-05-05")
    marks = dict.fromkeys(_marks(events), (0.0, 0.0))
    baseline = (peak_rss_mb(), current_rss_mb())

    def measured() -> Iterator[Any]:
        for n, event in enumerate(archived(s3, bucket, selection), start=1):
            if n in marks:
                marks[n] = (peak_rss_mb(), current_rss_mb())
            yield event

    started = time.perf_counter()
    counts = run(measured(), selection, target, Checkpoint(None, "replay-bench", {}))
    seconds = time.perf_counter() - started
    print(json.dumps({"baseline": baseline, "marks": marks, "seconds": seconds, "counts": counts.__dict__}))


def measure(endpoint: str, bucket: str, queue_url: str, events: int) -> dict[str, Any]:
    result = subprocess.run(  # noqa: S603 - our interpreter and module
        [sys.executable, "-m", "bench.replay", "--child", endpoint, bucket, queue_url, "--events", str(events)],
        cwd=ROOT,
        env={**EMULATED_AWS, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
        timeout=3600,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None, out: TextIO = sys.stdout) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.replay", description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--per-object", type=int, default=1000)
    parser.add_argument("--child", nargs=3, metavar=("ENDPOINT", "BUCKET", "QUEUE"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(*args.child, args.events)
        return 0

    from bench.benchmark import aws_server_stack

    with aws_server_stack() as (url, stack, session):
        if stack.archive is None:
            raise RuntimeError("the template has no archive (EnableArchive=false?)")
        writer, topic = stack.archive.writer, stack.topics["TopicPOST"]
        sample = json.loads((ROOT / "events/payloads/bettermode/post.published.json").read_text(encoding="utf-8"))
        started = time.perf_counter()
        chunk: list[dict[str, Any]] = []
        for envelope in envelopes(args.events, topic, sample, datetime(2025, 5, 1, tzinfo=UTC)):
            chunk.append(envelope)
            if len(chunk) == args.per_object:
                writer.write(chunk)
                chunk = []
        if chunk:
            writer.write(chunk)
        body_bytes = len(json.dumps(sample).encode())
        out.write(
            f"archive: {args.events:,} events of {body_bytes:,} bytes in gzip objects of {args.per_object:,} "
            f"(written in {time.perf_counter() - started:.1f} s to the moto server)\n\n"
        )
        queue_url = session.client("sqs", endpoint_url=url).create_queue(QueueName="bench-replay")["QueueUrl"]
        columns = "".join(f"{f'@{n:,}':>14}" for n in _marks(args.events))
        out.write(f"{'replay':<16} {'RSS MB, peak (now): start':>26}{columns}{'events/s':>9}  counts\n")
        for label, target in (("dry run", ""), ("to an SQS queue", queue_url)):  # the queue: see the docstring
            figures = measure(url, writer.bucket, target, args.events)
            rss = "".join(_rss(figures["marks"][str(n)]) for n in _marks(args.events))
            rate = figures["counts"]["read"] / figures["seconds"]
            out.write(f"{label:<16} {_rss(figures['baseline']):>26}{rss}{rate:9,.0f}  {figures['counts']}\n")
    return 0


def _rss(figures: list[float]) -> str:
    peak, now = figures
    return f"{peak:8.1f} ({now:4.1f})"


def _marks(events: int) -> list[int]:
    return [max(1, events // 10), max(1, events // 2), events]


if __name__ == "__main__":
    sys.exit(main())
