"""The daily payload drift report: one day of the archive against the last days that had events.

Scheduled once a day (template.yaml: DriftFunction), off the request path: it reads the day's
archived events (names and field paths only), compares them with the shapes it kept of the last
`history_days` days that had events (S3: shapes/dt=<day>.json; drift.shapes says why several),
writes the day's shape and report under shapes/ (and the day in shapes/latest.json), and when
something is new or not seen, publishes the report to the alarm topic.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any, NamedTuple

from archive_format import Unreadable, events_in, keys, partitions
from drift.shapes import Shape, compare_history, report

LATEST = "shapes/latest.json"
KEPT = "shapes/dt="  # shapes/dt=<day>.json, one per day that had events
HISTORY_DAYS = 7
SNS_SUBJECT_LIMIT = 100


def shape_of(s3: Any, bucket: str, day: str) -> Shape:
    """The shape of one day's archive (`events/source=/noun=/dt=<day>/`)."""
    shape = Shape()
    for source in partitions(s3, bucket, "events/"):
        for noun in partitions(s3, bucket, f"events/source={source}/"):
            for key in keys(s3, bucket, f"events/source={source}/noun={noun}/dt={day}/"):
                for item in events_in(s3, bucket, key):
                    if isinstance(item, Unreadable):
                        continue
                    shape.add(
                        item.attribute("source") or source,
                        item.attribute("event_name") or "unnamed",
                        item.attribute("noun") or noun,
                        item.message,
                    )
    return shape


def history(s3: Any, bucket: str, before: date, days: int) -> list[tuple[str, Shape]]:
    """The kept shapes of the last `days` days before `before` that had events, oldest first."""
    if days < 1:
        return []
    kept = sorted(
        key[len(KEPT) : -len(".json")]
        for key in keys(s3, bucket, KEPT)
        if key.endswith(".json") and key[len(KEPT) : -len(".json")] < before.isoformat()
    )
    return [
        (day, Shape.from_json(s3.get_object(Bucket=bucket, Key=f"{KEPT}{day}.json")["Body"].read().decode()))
        for day in kept[-days:]
    ]


def against(kept: list[tuple[str, Shape]]) -> str:
    """What a report compares with: one day, or the first and last of several."""
    if len(kept) == 1:
        return kept[0][0]
    return f"the {len(kept)} days with events from {kept[0][0]} to {kept[-1][0]}"


def _put(s3: Any, bucket: str, key: str, text: str, content_type: str) -> None:
    s3.put_object(Bucket=bucket, Key=key, Body=text.encode("utf-8"), ContentType=content_type)


def whole_days(value: str | None) -> int:
    """HISTORY_DAYS as CloudFormation passes a Number parameter: "7", or "7.5" (a Number may be a
    decimal within its bounds); at least one day."""
    try:
        return max(1, int(float(value or HISTORY_DAYS)))
    except ValueError:
        return HISTORY_DAYS


def _keep_latest(s3: Any, bucket: str, day: date, shape: Shape) -> None:
    """shapes/latest.json names the latest day kept: a day run again, or an earlier one, never moves it back."""
    try:
        current = json.loads(s3.get_object(Bucket=bucket, Key=LATEST)["Body"].read())["day"]
    except s3.exceptions.NoSuchKey:
        current = ""
    if str(current) <= day.isoformat():
        _put(
            s3,
            bucket,
            LATEST,
            json.dumps({"day": day.isoformat(), "shape": json.loads(shape.to_json())}),
            "application/json",
        )


class Settings(NamedTuple):
    """Where the job reads and writes, and whom it tells (the environment template.yaml sets)."""

    bucket: str  # the archive bucket: events/ is read, shapes/ is written
    topic_arn: str | None = None  # the alarm topic, when alarms notify anyone
    stack: str = ""
    history_days: int = HISTORY_DAYS  # how many earlier days with events a day is compared with

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        return cls(
            env["ARCHIVE_BUCKET"],
            env.get("NOTIFY_TOPIC_ARN") or None,
            env.get("STACK_NAME", ""),
            whole_days(env.get("HISTORY_DAYS")),
        )


def run(day: date, settings: Settings, s3: Any, sns: Any) -> str:
    """The day's report (also written to shapes/reports/dt=<day>.txt); published when something changed."""
    bucket, topic_arn, stack, history_days = settings
    after = shape_of(s3, bucket, day.isoformat())
    report_key = f"shapes/reports/dt={day.isoformat()}.txt"
    if after.events == 0:  # a quiet day (or the archive is behind): nothing is compared, nothing kept
        text = f"Payload drift, {day}: no events archived that day; nothing compared.\n"
        _put(s3, bucket, report_key, text, "text/plain")
        return text
    kept = history(s3, bucket, day, history_days)
    changed = False
    if not kept:
        text = report(day.isoformat(), "nothing (the first day kept)", Shape(), after, compare_history([after], after))
    else:
        changes = compare_history([shape for _, shape in kept], after)
        text = report(day.isoformat(), against(kept), Shape.union(shape for _, shape in kept), after, changes)
        changed = bool(changes)
    _put(s3, bucket, report_key, text, "text/plain")
    _put(s3, bucket, f"{KEPT}{day.isoformat()}.json", after.to_json(), "application/json")
    _keep_latest(s3, bucket, day, after)
    # Last, so that a retry after a failed write never sends the report twice; a retry compares with the
    # same earlier days (the history never holds the day itself), so it sends the same report once.
    if changed and topic_arn:
        subject = f"Payload drift {stack} {day}".strip()[:SNS_SUBJECT_LIMIT]
        sns.publish(TopicArn=topic_arn, Subject=subject, Message=text)
    return text


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, str]:
    """Yesterday (UTC), or the `day` the invocation names (`{"day": "2026-12-01"}`)."""
    import boto3

    given = (event or {}).get("day")
    day = date.fromisoformat(given) if given else datetime.now(UTC).date() - timedelta(days=1)
    text = run(day, Settings.from_env(os.environ), boto3.client("s3"), boto3.client("sns"))
    print(json.dumps({"message": "payload drift report", "day": day.isoformat(), "report": text}))
    return {"day": day.isoformat(), "report": text}
