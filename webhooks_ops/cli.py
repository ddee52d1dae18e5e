"""`webhooks-ops <command>`: the redrive of the failure queue and the replay of the archive."""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    arguments = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(prog="webhooks-ops", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    redrive = commands.add_parser(
        "redrive", help="republish the failure queue's events, each exactly once, to the stack's own topics"
    )
    redrive.add_argument("--function", help="the deployed function whose configuration names the queue and table")
    redrive.add_argument("--max", type=int, default=None, help="at most this many messages")
    commands.add_parser(
        "replay", help="replay archived events (webhooks-ops replay --help)", add_help=False, prefix_chars="\0"
    )
    if arguments[:1] == ["replay"]:  # the replay parses its own options
        from archive_replay.cli import main as replay

        return replay(arguments[1:])
    args = parser.parse_args(arguments)
    from webhooks_ops import redrive as redriving

    return redriving.main(args.function, args.max)
