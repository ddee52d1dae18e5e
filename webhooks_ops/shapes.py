"""`webhooks-ops shapes`: the payload drift report over any range of days, on an operator's machine.

The same comparison the daily job makes (`drift.app`), day by day: each day that had events against
the previous one that had events, printed for each day where something is new or not seen.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, TextIO

from drift.app import shape_of
from drift.shapes import Shape, compare, report


def days(since: date, until: date) -> list[date]:
    """Every day from `since` up to, not including, `until`."""
    return [since + timedelta(days=offset) for offset in range((until - since).days)]


def main(bucket: str, since: date, until: date, out: TextIO, s3: Any) -> int:
    """Print the report of each day whose shape changed; 0 when the range was read (whatever changed)."""
    previous: tuple[str, Shape] | None = None
    changed = 0
    for day in days(since, until):
        after = shape_of(s3, bucket, day.isoformat())
        if after.events == 0:
            continue
        if previous is not None:
            changes = compare(previous[1], after)
            if changes:
                changed += 1
                out.write(report(day.isoformat(), previous[0], previous[1], after, changes) + "\n")
        previous = (day.isoformat(), after)
    if previous is None:
        out.write(f"no events archived from {since} to {until}\n")
    else:
        out.write(f"{changed} day(s) with a change from {since} to {until}\n")
    return 0
