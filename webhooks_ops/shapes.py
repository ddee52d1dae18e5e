"""`webhooks-ops shapes`: the payload drift report over any range of days, on an operator's machine.

The same comparison the daily job makes (`drift.app`), day by day: each day that had events against
the days before it in the range that had events (at most `history_days` of them), printed for each
day where something is new or not seen.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, TextIO

from drift.app import HISTORY_DAYS, against, shape_of
from drift.shapes import Shape, compare_history, report


def days(since: date, until: date) -> list[date]:
    """Every day from `since` up to, not including, `until`."""
    return [since + timedelta(days=offset) for offset in range((until - since).days)]


def main(bucket: str, since: date, until: date, out: TextIO, s3: Any, *, history_days: int = HISTORY_DAYS) -> int:
    """Print the report of each day whose shape changed; 0 when the range was read (whatever changed)."""
    kept: list[tuple[str, Shape]] = []
    changed = 0
    for day in days(since, until):
        after = shape_of(s3, bucket, day.isoformat())
        if after.events == 0:
            continue
        if kept:
            changes = compare_history([shape for _, shape in kept], after)
            if changes:
                changed += 1
                before = Shape.union(shape for _, shape in kept)
                out.write(report(day.isoformat(), against(kept), before, after, changes) + "\n")
        kept = [*kept, (day.isoformat(), after)][-max(1, history_days) :]
    if not kept:
        out.write(f"no events archived from {since} to {until}\n")
    else:
        out.write(f"{changed} day(s) with a change from {since} to {until}\n")
    return 0
