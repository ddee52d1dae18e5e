"""The command line: parse and check everything first, so that bad input sends nothing."""

from __future__ import annotations

import argparse
import re
import signal
import sys
from pathlib import Path
from typing import Any, TextIO

from archive_format import Position
from archive_replay.checkpoint import Checkpoint, CheckpointError
from archive_replay.marking import new_replay_id
from archive_replay.replay import Progress, archived, run
from archive_replay.retry import Backoff, client_config
from archive_replay.selection import SOURCES, Selection, SelectionError
from archive_replay.targets import EndpointTarget, FunctionTarget, QueueTarget, Target, TargetError, TopicsTarget

USAGE_ERROR = 2
ARCHIVE_OUTPUT = "ArchiveBucketName"
TOPIC_OUTPUT = re.compile(r"CatchAllTopicArn|Topic[A-Za-z0-9]+Arn")  # the stack's event topics, by output key
EXAMPLES = """examples:
  # a new subscriber's queue gets May's published posts of one network
  python -m archive_replay --stack community-webhooks --since 2025-05-01 --until 2025-06-01 \\
      --event-name post.published --network-id CAxOmI7I7t --queue https://sqs.us-east-1.amazonaws.com/123456789012/posts
  # every subscriber of the topics gets one day again, marked as a replay; resumable
  # (only to the stack's own topics, read from its outputs; --allow-topic ARN adds one)
  python -m archive_replay --stack community-webhooks --since 2025-05-01 --until 2025-05-02 --topics \\
      --checkpoint replay-0501.json
  # only count
  python -m archive_replay --bucket my-archive --since 2025-05-01T00:00Z --until 2025-05-01T06:00Z --dry-run
"""


class UsageError(ValueError):
    """Input that cannot be replayed: said clearly, exit code 2, nothing sent."""


def parser() -> argparse.ArgumentParser:
    parse = argparse.ArgumentParser(
        prog="python -m archive_replay",
        description="Replay archived webhook events to one subscriber (--queue, --function, --endpoint) or to "
        "the stack's topics (--topics), marked with a replay_id message attribute. The receiver's "
        "deduplication is never consulted or changed.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        allow_abbrev=False,  # a mistyped filter is an error, never taken for another option
    )
    archive = parse.add_argument_group("the archive").add_mutually_exclusive_group(required=True)
    archive.add_argument("--bucket", help="the archive bucket (the stack's ArchiveBucketName output)")
    archive.add_argument("--stack", help="the receiver's stack name: its ArchiveBucketName output is read")
    chosen = parse.add_argument_group("which events (filters: an event matches any value of each given filter)")
    chosen.add_argument(
        "--since", required=True, help="from this time, inclusive (ISO 8601; UTC unless a zone is given)"
    )
    chosen.add_argument("--until", required=True, help="to this time, exclusive")
    chosen.add_argument("--source", action="append", metavar="|".join(SOURCES))
    chosen.add_argument("--event-name", action="append", help="e.g. post.published (repeat or comma-separate)")
    chosen.add_argument("--noun", action="append", help="e.g. POST, SPACE_MEMBERSHIP")
    chosen.add_argument("--network-id", action="append", help="Bettermode network id or canD community id")
    chosen.add_argument("--event-id", action="append")
    where = parse.add_argument_group("where to (one, or none with --dry-run)").add_mutually_exclusive_group()
    where.add_argument("--queue", metavar="URL", help="an SQS queue URL")
    where.add_argument("--function", metavar="NAME", help="a Lambda function name or ARN (invoked as SNS does)")
    where.add_argument("--endpoint", metavar="URL", help="an HTTPS URL (POST of the body, attributes as headers)")
    where.add_argument("--topics", action="store_true", help="the topics each event was published to")
    parse.add_argument("--header", action="append", default=[], metavar="NAME:VALUE", help="with --endpoint")
    parse.add_argument(
        "--allow-topic",
        action="append",
        default=[],
        metavar="ARN",
        help="with --topics: a topic events may be replayed to besides the stack's own (those its outputs name); "
        "an event of any other topic is not sent and counts as failed",
    )
    parse.add_argument("--dry-run", action="store_true", help="only count what would be sent")
    parse.add_argument("--checkpoint", type=Path, metavar="FILE", help="resume from / record progress in FILE")
    parse.add_argument("--region", help="AWS region (default: your AWS configuration's)")
    return parse


def selection_of(args: argparse.Namespace) -> Selection:
    return Selection.parse(
        args.since,
        args.until,
        sources=args.source,
        event_names=args.event_name,
        nouns=args.noun,
        network_ids=args.network_id,
        event_ids=args.event_id,
    )


def target_name(args: argparse.Namespace) -> str:
    for option in ("queue", "function", "endpoint"):
        if getattr(args, option):
            return f"{option}:{getattr(args, option)}"
    return "topics" if args.topics else "dry-run"


def stack_outputs(args: argparse.Namespace, client: Any) -> dict[str, str]:
    """The stack's outputs with --stack (read once), else none."""
    from botocore.exceptions import BotoCoreError, ClientError

    if not args.stack:
        return {}
    if getattr(args, "outputs", None) is None:
        try:
            [stack] = client("cloudformation").describe_stacks(StackName=args.stack)["Stacks"]
        except (BotoCoreError, ClientError) as error:
            raise UsageError(f"cannot read the stack {args.stack}: {error}") from error
        args.outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
    return dict(args.outputs)


def allowed_topics(args: argparse.Namespace, client: Any) -> frozenset[str]:
    """The stack's event topics (its Topic<NOUN>Arn and CatchAllTopicArn outputs) and any --allow-topic."""
    outputs = stack_outputs(args, client)
    return frozenset(value for key, value in outputs.items() if TOPIC_OUTPUT.fullmatch(key)) | set(args.allow_topic)


def archive_bucket(args: argparse.Namespace, client: Any) -> str:
    """The bucket, checked to exist and be readable; from the stack's output with --stack."""
    from botocore.exceptions import BotoCoreError, ClientError

    bucket = args.bucket
    if args.stack:
        outputs = stack_outputs(args, client)
        if ARCHIVE_OUTPUT not in outputs:
            raise UsageError(
                f"the stack {args.stack} has no {ARCHIVE_OUTPUT} output: deploy it with EnableArchive=true"
            )
        bucket = outputs[ARCHIVE_OUTPUT]
    try:
        client("s3").head_bucket(Bucket=bucket)
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        missing = code in ("404", "NoSuchBucket")
        raise UsageError(
            f"the archive bucket {bucket} {'does not exist' if missing else f'cannot be read ({code})'}"
        ) from error
    except BotoCoreError as error:
        raise UsageError(f"the archive bucket {bucket} cannot be reached: {error}") from error
    return str(bucket)


def make_target(args: argparse.Namespace, client: Any, backoff: Backoff) -> Target | None:
    if args.dry_run:
        return None
    if args.queue:
        return QueueTarget(client("sqs"), args.queue, backoff)
    if args.function:
        return FunctionTarget(client("lambda"), args.function, backoff)
    if args.endpoint:
        headers = dict(header.split(":", 1) for header in args.header if ":" in header)
        if len(headers) != len(args.header):
            raise UsageError("--header takes NAME:VALUE")
        return EndpointTarget(args.endpoint, client("s3"), backoff, {k.strip(): v.strip() for k, v in headers.items()})
    if args.topics:
        return TopicsTarget(client("sns"), backoff, allowed_topics(args, client))
    raise UsageError("say where to replay: --queue, --function, --endpoint or --topics (or --dry-run to count)")


def _interrupt(_signal: int, _frame: Any) -> None:
    """SIGTERM ends a replay as Ctrl-C does: the checkpoint holds the last batch sent."""
    raise KeyboardInterrupt


def main(
    argv: list[str] | None = None, *, out: TextIO = sys.stdout, err: TextIO = sys.stderr, session: Any = None
) -> int:
    args = parser().parse_args(argv)
    import boto3

    session = session or boto3.session.Session(region_name=args.region)
    clients: dict[str, Any] = {}

    def client(service: str) -> Any:
        if service not in clients:
            clients[service] = session.client(service, config=client_config())
        return clients[service]

    try:
        selection = selection_of(args)
        target = make_target(args, client, Backoff())
        bucket = archive_bucket(args, client)
        if target is not None:
            target.check()
        what = {"bucket": bucket, "selection": selection.describe(), "target": target_name(args)}
        checkpoint = Checkpoint.open(args.checkpoint, new_replay_id(), what)
    except (UsageError, SelectionError, TargetError, CheckpointError) as error:
        err.write(f"error: {error}\nnothing was sent.\n")
        return USAGE_ERROR
    if checkpoint.done:
        out.write(f"replay {checkpoint.replay_id} is already complete ({args.checkpoint}); nothing was sent.\n")
        return 0
    if checkpoint.position:
        err.write(
            f"resuming replay {checkpoint.replay_id} after {checkpoint.position.key} line {checkpoint.position.line}\n"
        )

    printed: set[str] = set()

    def failure(position: Position, reason: str) -> None:
        """Each distinct reason once (the first 20), with where it happened first."""
        if reason not in printed and len(printed) < 20:
            printed.add(reason)
            err.write(f"failed: {position.key} line {position.line}: {reason}\n")

    previous = signal.signal(signal.SIGTERM, _interrupt)
    s3 = client("s3")
    try:
        counts = run(
            archived(s3, bucket, selection, checkpoint.position),
            selection,
            target,
            checkpoint,
            progress=Progress(err),
            failures=failure,
        )
    except KeyboardInterrupt:
        where = f"; run the same command with --checkpoint {args.checkpoint} to resume" if args.checkpoint else ""
        err.write(f"\ninterrupted{where}\n")
        return 130
    finally:
        signal.signal(signal.SIGTERM, previous)
    verb = "would send" if target is None else "sent"
    label = "dry run" if target is None else f"replay {checkpoint.replay_id} to {target_name(args)}"
    out.write(
        f"{label}: read {counts.read}, {verb} {counts.sent}, skipped {counts.skipped} (not selected), "
        f"failed {counts.failed}\n"
    )
    return 1 if counts.failed else 0
