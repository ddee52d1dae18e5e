"""The payload drift job end to end on the emulated archive: a baseline day, a day with a new field, a new
event name and a field gone (reported once, on the alarm topic and in S3), an empty day (nothing
compared), an unchanged day (nothing sent); an optional field that comes and goes (reported at most
once); and the same comparison from `webhooks-ops shapes`."""

from __future__ import annotations

import copy
import json
import uuid
from datetime import date
from typing import Any

import boto3
import pytest

from devkit.queues import drain, drain_bodies, subscribe_queue
from drift.app import LATEST, Settings, run
from tests.conftest import REGION, Receiver, raw, sample
from webhooks_ops.cli import main as ops

DAY1, DAY2, DAY3, DAY4 = (date(2026, 11, day) for day in (20, 21, 22, 23))


def fresh(name: str, change: Any = None) -> bytes:
    document = copy.deepcopy(sample(name))
    document["data"]["id"] = uuid.uuid4().hex
    if change:
        change(document)
    return raw(document)


def archive_day(receiver: Receiver, day: date, bodies: list[bytes]) -> None:
    """Publish through the handler, then flush the emulated stream as if it all happened on `day`."""
    for body in bodies:
        assert receiver.post(body).status == 200
    receiver.received()
    archive = receiver.stack.archive
    assert archive is not None
    envelopes = [json.loads(body) for url in archive.queues.values() for body in drain_bodies(archive.sqs, url)]
    for envelope in envelopes:
        envelope["Timestamp"] = f"{day.isoformat()}T12:00:00.000Z"
    archive.writer.write(envelopes)


def add_field(document: dict[str, Any]) -> None:
    document["data"]["object"]["readingTime"] = 3


def drop_field(document: dict[str, Any]) -> None:
    del document["data"]["object"]["name"]


@pytest.fixture
def job(receiver: Receiver) -> tuple[Settings, str]:
    """The job's settings with a notification topic whose messages land on a queue."""
    sns, sqs = boto3.client("sns", region_name=REGION), boto3.client("sqs", region_name=REGION)
    topic = sns.create_topic(Name="drift-alarms")["TopicArn"]
    queue = subscribe_queue(sns, sqs, topic, "drift-alarms-inbox")
    assert receiver.stack.archive is not None
    return Settings(receiver.stack.archive.writer.bucket, topic, "webhooks-local"), queue


def notifications(queue: str) -> list[str]:
    return [message.body for message in drain(boto3.client("sqs", region_name=REGION), queue)]


def run_day(day: date, settings: Settings) -> str:
    return run(day, settings, boto3.client("s3", region_name=REGION), boto3.client("sns", region_name=REGION))


def test_new_gone_empty_and_unchanged_days(receiver: Receiver, job: tuple[Settings, str]) -> None:
    settings, inbox = job
    s3 = boto3.client("s3", region_name=REGION)
    archive_day(receiver, DAY1, [fresh("post.published"), fresh("member.created"), fresh("reaction.added")])
    first = run_day(DAY1, settings)
    assert "against nothing (the first day kept)" in first
    assert notifications(inbox) == []  # a baseline is no news

    changed = [fresh("post.published", add_field), fresh("member.created", drop_field), fresh("reaction.added")]
    archive_day(receiver, DAY2, [*changed, fresh("widget.spun")])
    second = run_day(DAY2, settings)
    assert "New event names: bettermode:widget.spun" in second
    assert "New fields in bettermode:post.published: data.object.readingTime" in second
    assert "Fields gone from bettermode:member.created: data.object.name" in second
    assert notifications(inbox) == [second]  # one notification, the report itself
    stored = s3.get_object(Bucket=settings.bucket, Key=f"shapes/reports/dt={DAY2}.txt")["Body"].read().decode()
    assert stored == second
    assert json.loads(s3.get_object(Bucket=settings.bucket, Key=LATEST)["Body"].read())["day"] == DAY2.isoformat()
    assert "readingTime" in s3.get_object(Bucket=settings.bucket, Key=f"shapes/dt={DAY2}.json")["Body"].read().decode()

    assert "no events archived" in run_day(DAY3, settings)  # quiet: nothing compared, nothing kept
    assert notifications(inbox) == []
    assert json.loads(s3.get_object(Bucket=settings.bucket, Key=LATEST)["Body"].read())["day"] == DAY2.isoformat()

    again = [fresh("post.published", add_field), fresh("member.created", drop_field), fresh("reaction.added")]
    archive_day(receiver, DAY4, [*again, fresh("widget.spun")])
    assert "No change" in run_day(DAY4, settings)  # compared with DAY1 and DAY2, the days that had events
    assert notifications(inbox) == []


def tagged(*tags: str) -> Any:
    def change(document: dict[str, Any]) -> None:
        document["data"]["object"]["tags"] = [{"id": tag, "title": tag} for tag in tags]

    return change


def test_an_optional_field_that_comes_and_goes_is_not_news_every_day(
    receiver: Receiver, job: tuple[Settings, str]
) -> None:
    """An empty list has no item fields: compared with the last days, not the last day, a post's
    `tags[].id` is not reported each time the day's posts happen to have tags or not."""
    settings, inbox = job
    for day, change in ((DAY1, tagged("a")), (DAY2, tagged()), (DAY3, tagged("b")), (DAY4, tagged())):
        archive_day(receiver, day, [fresh("post.published", change)])
    run_day(DAY1, settings)
    # the second day has one day to compare with, which had tags: the first absence is reported
    assert "Fields gone from bettermode:post.published: data.object.tags[].id" in run_day(DAY2, settings)
    assert len(notifications(inbox)) == 1
    assert "No change" in run_day(DAY3, settings)  # tags[].id was seen on one of the last days
    assert "No change" in run_day(DAY4, settings)  # ... and was not seen on every one of them
    assert notifications(inbox) == []
    # compared with the last day alone (DriftHistoryDays=1), the same days are news each time
    one_day = settings._replace(history_days=1)
    assert "New fields in bettermode:post.published: data.object.tags[].id" in run_day(DAY3, one_day)
    assert "Fields gone from bettermode:post.published: data.object.tags[].id" in run_day(DAY4, one_day)


class FailingOnce:
    """An S3 client whose first write of `key` fails, as a throttled or interrupted call would."""

    def __init__(self, s3: Any, key: str) -> None:
        self.s3, self.key, self.failed = s3, key, False

    def put_object(self, **kwargs: Any) -> Any:
        if kwargs["Key"] == self.key and not self.failed:
            self.failed = True
            raise RuntimeError("S3 refused the write")
        return self.s3.put_object(**kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.s3, name)


def test_a_run_retried_after_a_failed_write_sends_its_report_once(
    receiver: Receiver, job: tuple[Settings, str]
) -> None:
    """EventBridge invokes the job asynchronously, and Lambda runs a failed invocation again: the
    report is sent after every write, so the retry is the first and only one to send it."""
    settings, inbox = job
    sns = boto3.client("sns", region_name=REGION)
    archive_day(receiver, DAY1, [fresh("post.published")])
    run_day(DAY1, settings)
    archive_day(receiver, DAY2, [fresh("post.published", add_field)])
    flaky = FailingOnce(boto3.client("s3", region_name=REGION), LATEST)
    with pytest.raises(RuntimeError):
        run(DAY2, settings, flaky, sns)
    assert notifications(inbox) == []
    text = run(DAY2, settings, flaky, sns)  # the retry compares with the same earlier day
    assert "New fields in bettermode:post.published: data.object.readingTime" in text
    assert notifications(inbox) == [text]


def test_running_an_earlier_day_again_keeps_latest_on_the_latest_day(
    receiver: Receiver, job: tuple[Settings, str]
) -> None:
    settings, _ = job
    s3 = boto3.client("s3", region_name=REGION)
    archive_day(receiver, DAY1, [fresh("post.published")])
    archive_day(receiver, DAY2, [fresh("post.published", add_field)])
    run_day(DAY1, settings)
    run_day(DAY2, settings)
    assert "against nothing" in run_day(DAY1, settings)  # a backfill compares with the days before it
    latest = json.loads(s3.get_object(Bucket=settings.bucket, Key=LATEST)["Body"].read())
    assert latest["day"] == DAY2.isoformat() and "readingTime" in json.dumps(latest["shape"])


def test_history_days_as_cloudformation_passes_a_number() -> None:
    """A Number parameter may be a decimal within its bounds; the job counts whole days, at least one."""
    days = {value: Settings.from_env({"ARCHIVE_BUCKET": "b", "HISTORY_DAYS": value}).history_days
            for value in ("7", "7.5", "30", "0", "", "seven")}  # fmt: skip
    assert days == {"7": 7, "7.5": 7, "30": 30, "0": 1, "": 7, "seven": 7}


def test_no_value_ever_reaches_a_report(receiver: Receiver, job: tuple[Settings, str]) -> None:
    settings, _ = job
    archive_day(receiver, DAY1, [fresh("post.published")])
    run_day(DAY1, settings)
    archive_day(receiver, DAY2, [fresh("post.published", lambda d: d["data"]["object"].update(secretNote="p4ssw0rd"))])
    text = run_day(DAY2, settings)
    assert "data.object.secretNote" in text and "p4ssw0rd" not in text
    s3 = boto3.client("s3", region_name=REGION)
    assert "p4ssw0rd" not in s3.get_object(Bucket=settings.bucket, Key=f"shapes/dt={DAY2}.json")["Body"].read().decode()


def test_the_operator_command_compares_any_range_day_by_day(
    receiver: Receiver, job: tuple[Settings, str], capsys: pytest.CaptureFixture[str]
) -> None:
    settings, _ = job
    archive_day(receiver, DAY1, [fresh("post.published"), fresh("member.created")])
    archive_day(receiver, DAY2, [fresh("post.published", add_field), fresh("member.created")])
    archive_day(receiver, DAY4, [fresh("post.published", add_field), fresh("member.created")])
    code = ops(["shapes", "--bucket", settings.bucket, "--since", DAY1.isoformat(), "--until", "2026-11-25"])
    out = capsys.readouterr().out
    assert code == 0
    assert f"Payload drift, {DAY2} (2 events) against {DAY1} (2 events)" in out
    assert "New fields in bettermode:post.published: data.object.readingTime" in out
    assert "1 day(s) with a change from 2026-11-20 to 2026-11-25" in out
    assert ops(["shapes", "--bucket", settings.bucket, "--since", "2026-10-01", "--until", "2026-10-03"]) == 0
    assert "no events archived from 2026-10-01 to 2026-10-03" in capsys.readouterr().out
