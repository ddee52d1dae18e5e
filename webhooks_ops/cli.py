"""`webhooks-ops <command>`: the redrive of the failure queue, the replay of the archive, the payload
drift report over a range of days, and a member's erasure (forget)."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, date, datetime


def main(argv: list[str] | None = None) -> int:
    arguments = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(prog="webhooks-ops", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    redrive = commands.add_parser(
        "redrive", help="republish the failure queue's events, each exactly once, to the stack's own topics"
    )
    redrive.add_argument("--function", help="the deployed function whose configuration names the queue and table")
    redrive.add_argument("--max", type=int, default=None, help="at most this many messages")
    shapes = commands.add_parser(
        "shapes",
        help="payload drift: the archive's request types, event names and fields, each day against earlier days",
    )
    shapes.add_argument("--bucket", required=True, help="the archive bucket (the stack's ArchiveBucketName output)")
    shapes.add_argument("--since", required=True, type=date.fromisoformat, help="first day, YYYY-MM-DD")
    shapes.add_argument("--until", type=date.fromisoformat, default=None, help="day after the last (default today)")
    shapes.add_argument(
        "--history-days",
        type=int,
        default=7,
        help="each day is compared with this many earlier days that had events (the stack's DriftHistoryDays)",
    )
    commands.add_parser(
        "replay", help="replay archived events (webhooks-ops replay --help)", add_help=False, prefix_chars="\0"
    )
    commands.add_parser(
        "forget",
        help="remove every event about one member from the archive, the payload bucket and the failure queue "
        "(webhooks-ops forget --help)",
        add_help=False,
        prefix_chars="\0",
    )
    if arguments[:1] == ["replay"]:  # the replay parses its own options
        from archive_replay.cli import main as replay

        return replay(arguments[1:])
    if arguments[:1] == ["forget"]:  # and so does forget
        from webhooks_ops.forget import main as forget

        return forget(arguments[1:])
    args = parser.parse_args(arguments)
    if args.command == "shapes":
        import boto3

        from webhooks_ops import shapes as drift

        until = args.until or datetime.now(UTC).date()
        return drift.main(
            args.bucket, args.since, until, sys.stdout, boto3.client("s3"), history_days=max(1, args.history_days)
        )
    from webhooks_ops import redrive as redriving

    return redriving.main(args.function, args.max)
