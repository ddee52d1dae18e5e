"""The daily payload drift report: one day of the archive against the last day that had events.

Scheduled once a day (template.yaml: DriftFunction), off the request path: it reads the day's
archived events (names and field paths only), compares them with the shape it kept from the last
day that had events (S3: shapes/latest.json), writes the day's shape and report under shapes/, and
when something is new or not seen, publishes the report to the alarm topic.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any, NamedTuple

from archive_format import Unreadable, events_in, keys, partitions
from drift.shapes import Shape, compare, report

LATEST = "shapes/latest.json"
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


def _latest(s3: Any, bucket: str) -> tuple[str, Shape] | None:
    try:
        document = json.loads(s3.get_object(Bucket=bucket, Key=LATEST)["Body"].read())
    except s3.exceptions.NoSuchKey:
        return None
    return str(document["day"]), Shape.from_json(json.dumps(document["shape"]))


def _put(s3: Any, bucket: str, key: str, text: str, content_type: str) -> None:
    s3.put_object(Bucket=bucket, Key=key, Body=text.encode("utf-8"), ContentType=content_type)


class Settings(NamedTuple):
    """Where the job reads and writes, and whom it tells (the environment template.yaml sets)."""

    bucket: str  # the archive bucket: events/ is read, shapes/ is written
    topic_arn: str | None = None  # the alarm topic, when alarms notify anyone
    stack: str = ""

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        return cls(env["ARCHIVE_BUCKET"], env.get("NOTIFY_TOPIC_ARN") or None, env.get("STACK_NAME", ""))


def run(day: date, settings: Settings, s3: Any, sns: Any) -> str:
    """The day's report (also written to shapes/reports/dt=<day>.txt); published when something changed."""
    bucket, topic_arn, stack = settings
    after = shape_of(s3, bucket, day.isoformat())
    report_key = f"shapes/reports/dt={day.isoformat()}.txt"
    if after.events == 0:  # a quiet day (or the archive is behind): nothing is compared, nothing kept
        text = f"Payload drift, {day}: no events archived that day; nothing compared.\n"
        _put(s3, bucket, report_key, text, "text/plain")
        return text
    latest = _latest(s3, bucket)
    if latest is None:
        text = report(day.isoformat(), "nothing (the first day kept)", Shape(), after, compare(after, after))
    else:
        previous_day, before = latest
        changes = compare(before, after)
        text = report(day.isoformat(), previous_day, before, after, changes)
        if changes and topic_arn:
            subject = f"Payload drift {stack} {day}".strip()[:SNS_SUBJECT_LIMIT]
            sns.publish(TopicArn=topic_arn, Subject=subject, Message=text)
    _put(s3, bucket, report_key, text, "text/plain")
    _put(s3, bucket, f"shapes/dt={day.isoformat()}.json", after.to_json(), "application/json")
    latest_document = json.dumps({"day": day.isoformat(), "shape": json.loads(after.to_json())})
    _put(s3, bucket, LATEST, latest_document, "application/json")
    return text


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, str]:
    """Yesterday (UTC), or the `day` the invocation names (`{"day": "2026-12-01"}`)."""
    import boto3

    given = (event or {}).get("day")
    day = date.fromisoformat(given) if given else datetime.now(UTC).date() - timedelta(days=1)
    text = run(day, Settings.from_env(os.environ), boto3.client("s3"), boto3.client("sns"))
    print(json.dumps({"message": "payload drift report", "day": day.isoformat(), "report": text}))
    return {"day": day.isoformat(), "report": text}
