"""`webhooks-ops forget` end to end on the emulated stack: two members' events and everyone else's,
archived over two days (a large one through the payload bucket), and on the failure queue.

Forgetting member A by id, then member B by e-mail, removes their events from every day object and
every version, the large body and the failure-queue message; everyone else's lines stay byte for
byte, the queue's other messages stay receivable, and the archive still reads as Athena's JSON SerDe,
the drift report and the replay read it. A dry run changes nothing. Each field of the matching rule is
tried on the samples, the runbook lists them all, and every call is allowed by the operator policy.
"""

from __future__ import annotations

import copy
import gzip
import io
import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from archive_format import Unreadable, events_in
from devkit.archive import ENVELOPE_FIELDS
from devkit.policies import Document, Request, decide
from devkit.queues import drain_bodies
from drift.app import shape_of
from handler.providers.cand import derived_event_id
from handler.publishing import POINTER_CLASS
from tests.archive.conftest import Replay
from tests.conftest import REGION, Receiver, raw, sample
from tests.support import break_sns, cand, repair_sns
from webhooks_ops import forget
from webhooks_ops.cli import main as ops

DAY1, DAY2 = date(2026, 11, 20), date(2026, 11, 21)
STACK = "webhooks-local"  # the emulated template's stack name
A_ID, A_PROFILE, A_USER = "AaAaAaAa01", "UAAAAAAA01", "UAAAAUSER1"  # Bettermode member; canD profile and user
A_EMAIL = "ann.a@example.com"  # in A's member.created: never given, never printed
B_ID, B_EMAIL = "BbBbBbBb01", "Bo.Member@Example.COM"  # forgotten by e-mail, given in lower case
X_ID = "olQ88vTqYp"  # the samples' admin: everyone else
OTHER_PROFILE, OTHER_USER = "UOTHER0001", "UOTHERUSR1"
LARGE = 300_000  # over SNS's 256 KiB: published as a pointer into the payload bucket
OPERATIONS = Path(__file__).resolve().parents[2] / "docs" / "operations.md"
RUNBOOK = "## A member's erasure request"
KEY = re.compile(r"^events/source=(bettermode|cand)/noun=[A-Z_]+/dt=\d{4}-\d{2}-\d{2}/[^/]+\.gz$")
TABLE_COLUMNS = {"Type", "MessageId", "TopicArn", "Message", "Timestamp", "MessageAttributes"}


# ----- events ------------------------------------------------------------------------------------------
def bettermode(name: str, change: Callable[[dict[str, Any]], None]) -> tuple[str, bytes]:
    """A sample with a fresh event id, changed; (event id, body)."""
    document = copy.deepcopy(sample(name))
    document["data"]["id"] = uuid.uuid4().hex
    change(document)
    return document["data"]["id"], raw(document)


def by(member: str, content: str = "") -> Callable[[dict[str, Any]], None]:
    """The member acts (and, for a post, is its author and owner)."""

    def change(document: dict[str, Any]) -> None:
        data = document["data"]
        data["actor"]["id"] = member
        if data["noun"] == "POST":
            data["object"]["createdById"] = data["object"]["ownerId"] = member
            data["object"]["shortContent"] = content or f"<p>{uuid.uuid4().hex}</p>"
        for role in ("actor", "owner"):
            if role in document.get("entities", {}):
                document["entities"][role]["id"] = member

    return change


def joined(member: str, email: str) -> Callable[[dict[str, Any]], None]:
    """member.created of `member`, with their e-mail (the actor is the samples' other member)."""

    def change(document: dict[str, Any]) -> None:
        document["data"]["object"].update(id=member, email=email)
        document["data"]["target"]["memberId"] = member

    return change


def added_to_space(member: str) -> Callable[[dict[str, Any]], None]:
    def change(document: dict[str, Any]) -> None:
        document["data"]["object"]["memberId"] = document["data"]["target"]["memberId"] = member

    return change


def large_post(member: str) -> tuple[str, bytes]:
    event_id, body = bettermode("post.published", by(member))
    document = json.loads(body)
    document["data"]["object"]["shortContent"] = "x" * LARGE
    return event_id, raw(document)


def cand_event(name: str, profile: str, user: str, **payload: str) -> tuple[str, bytes]:
    document = cand(name)
    document["context"].update(profileId=profile, userId=user)
    document["payload"].update(payload)
    return derived_event_id(document), json.dumps(document).encode()


@dataclass
class World:
    """What the fixture archived and queued, by whose it is."""

    days: dict[date, list[str]] = field(default_factory=dict)  # event ids archived per day
    member_a: set[str] = field(default_factory=set)
    member_b: set[str] = field(default_factory=set)  # those that hold B's e-mail
    b_by_id_only: set[str] = field(default_factory=set)
    queued_a: set[str] = field(default_factory=set)
    queued_other: set[str] = field(default_factory=set)
    large_a: str = ""  # the payload bucket's keys
    large_other: str = ""


def archive_day(receiver: Receiver, day: date, events: list[tuple[str, bytes]], world: World) -> None:
    """Publish through the handler, then flush the emulated stream as if it all happened on `day`."""
    for _, body in events:
        answer = receiver.post_cand(body) if b'"module"' in body[:40] else receiver.post(body)
        assert answer.status == 200, answer.body
    receiver.received()
    archive = receiver.stack.archive
    assert archive is not None
    envelopes = [json.loads(body) for url in archive.queues.values() for body in drain_bodies(archive.sqs, url)]
    for envelope in envelopes:
        envelope["Timestamp"] = f"{day.isoformat()}T12:00:00.000Z"
    archive.writer.write(envelopes)
    world.days[day] = [event_id for event_id, _ in events]


def s3() -> Any:
    return boto3.client("s3", region_name=REGION)


def sqs() -> Any:
    return boto3.client("sqs", region_name=REGION)


def stack_outputs(receiver: Receiver, **parameters: str) -> None:
    """The deployed stack as forget finds it: its outputs (and parameters) in CloudFormation."""
    assert receiver.stack.template.stack_name == STACK
    physical = receiver.stack.template.physical
    outputs = {
        "ArchiveBucketName": physical["ArchiveBucket"]["Ref"],
        "PayloadBucketName": physical["PayloadBucket"]["Ref"],
        "FailureQueueUrl": receiver.stack.failure_queue_url,
    }
    template = {
        "Parameters": {name: {"Type": "String", "Default": value} for name, value in parameters.items()},
        "Resources": {"Nothing": {"Type": "AWS::CloudFormation::WaitConditionHandle"}},
        "Outputs": {name: {"Value": value} for name, value in outputs.items()},
    }
    boto3.client("cloudformation", region_name=REGION).create_stack(StackName=STACK, TemplateBody=json.dumps(template))


@pytest.fixture
def world(receiver: Receiver, bucket: str) -> World:
    """Members A and B and everyone else, over two days; a large event each of A and X; the failure queue."""
    resources = receiver.stack.template.document["Resources"]
    for logical in ("ArchiveBucket", "PayloadBucket"):  # as template.yaml makes them: versioned
        assert resources[logical]["Properties"]["VersioningConfiguration"] == {"Status": "Enabled"}
        name = receiver.stack.template.physical[logical]["Ref"]
        s3().put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    stack_outputs(receiver, DeliveryMode="standard", EnableArchive="true", ArchiveRetentionDays="365")
    world = World()
    a = [
        bettermode("member.created", joined(A_ID, A_EMAIL)),
        bettermode("space_membership.created", added_to_space(A_ID)),
        cand_event("member.joined", A_PROFILE, A_USER, id=A_PROFILE, inviter="UQO38DK20F"),
    ]
    b = [bettermode("member.created", joined(B_ID, B_EMAIL))]
    others = [
        bettermode("post.published", by(X_ID)),
        bettermode("space.created", lambda _: None),
        cand_event("product.created", OTHER_PROFILE, OTHER_USER),
    ]
    archive_day(receiver, DAY1, [*a, *b, *others], world)
    world.member_a |= {event_id for event_id, _ in a}
    world.member_b |= {event_id for event_id, _ in b}

    large_a, large_x = large_post(A_ID), large_post(X_ID)
    a = [
        bettermode("post.published", by(A_ID)),
        bettermode("reaction.added", lambda d: (by(A_ID)(d), d["data"]["target"].update(memberId=A_ID))),
        large_a,
        cand_event("product.voted", A_PROFILE, A_USER, voterId=A_PROFILE),
        # another member's event that names A as their inviter: about A too (the rule: payload.inviter)
        cand_event("member.activated", OTHER_PROFILE, OTHER_USER, id=OTHER_PROFILE, inviter=A_PROFILE),
    ]
    b_id_only = bettermode("post.published", by(B_ID))  # names B by id only: an e-mail alone does not find it
    b = [bettermode("post.published", by(X_ID, f"<p>write to {B_EMAIL.lower()}, thanks</p>"))]
    others = [
        large_x,
        bettermode("widget.spun", by(X_ID)),
        bettermode("network.updated", lambda _: None),  # billing@example.com
        cand_event("member.joined", "UOTHER0002", "UOTHERUSR2", id="UOTHER0002", inviter=OTHER_PROFILE),
        cand_event("product.updated", OTHER_PROFILE, OTHER_USER),
    ]
    archive_day(receiver, DAY2, [*a, b_id_only, *b, *others], world)
    world.member_a |= {event_id for event_id, _ in a}
    world.member_b |= {event_id for event_id, _ in b}
    world.b_by_id_only = {b_id_only[0]}
    world.large_a, world.large_other = (payload_key(bucket, event_id) for event_id in (large_a[0], large_x[0]))

    queued_a, queued_x = bettermode("reply.published", by(A_ID)), bettermode("post.created", by(X_ID))
    break_sns()
    for _, body in (queued_a, queued_x):
        assert receiver.post(body).status == 503  # kept on the failure queue
    repair_sns()
    world.queued_a, world.queued_other = {queued_a[0]}, {queued_x[0]}
    receiver.received()
    return world


def payload_key(bucket: str, event_id: str) -> str:
    """The large body's key, from its archived pointer."""
    for lines in current_lines(bucket).values():
        for line in lines:
            envelope = json.loads(line)
            if envelope["MessageAttributes"]["event_id"]["Value"] == event_id:
                kind, target = json.loads(envelope["Message"])
                assert kind == POINTER_CLASS
                return str(target["s3Key"])
    raise AssertionError(f"{event_id} is not archived")


# ----- reading what is kept ----------------------------------------------------------------------------------
def current_lines(bucket: str) -> dict[str, list[bytes]]:
    """Every current object under events/: its lines, byte for byte."""
    found: dict[str, list[bytes]] = {}
    for page in s3().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix="events/"):
        for item in page.get("Contents", []):
            data = gzip.decompress(s3().get_object(Bucket=bucket, Key=item["Key"])["Body"].read())
            found[item["Key"]] = data.splitlines()
    return found


def versions(bucket: str, prefix: str) -> list[dict[str, Any]]:
    """Every version and delete marker under a prefix."""
    found: list[dict[str, Any]] = []
    for page in s3().get_paginator("list_object_versions").paginate(Bucket=bucket, Prefix=prefix):
        found += [{**v, "marker": False} for v in page.get("Versions", [])]
        found += [{**m, "marker": True} for m in page.get("DeleteMarkers", [])]
    return found


def version_lines(bucket: str) -> dict[tuple[str, str], list[bytes]]:
    """Every version of every archived object, current or not: its lines."""
    return {
        (v["Key"], v["VersionId"]): gzip.decompress(
            s3().get_object(Bucket=bucket, Key=v["Key"], VersionId=v["VersionId"])["Body"].read()
        ).splitlines()
        for v in versions(bucket, "events/")
        if not v["marker"]
    }


def event_id(line: bytes) -> str:
    return str(json.loads(line)["MessageAttributes"]["event_id"]["Value"])


def queued(receiver: Receiver) -> dict[str, str]:
    """event id -> body of every message on the failure queue: all received, then all made visible again."""
    url = receiver.stack.failure_queue_url
    found: dict[str, str] = {}
    handles: list[str] = []
    while batch := sqs().receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=60).get("Messages"):
        found |= {json.loads(m["Body"])["event_id"]: m["Body"] for m in batch}
        handles += [m["ReceiptHandle"] for m in batch]
    for start in range(0, len(handles), 10):
        sqs().change_message_visibility_batch(
            QueueUrl=url,
            Entries=[
                {"Id": str(i), "ReceiptHandle": handle, "VisibilityTimeout": 0}
                for i, handle in enumerate(handles[start : start + 10])
            ],
        )
    return found


def everything(receiver: Receiver, bucket: str) -> dict[str, Any]:
    """What the stack keeps, every version and message, to compare before and after a dry run."""
    payload_bucket = receiver.stack.template.physical["PayloadBucket"]["Ref"]
    payloads = {
        (v["Key"], v["VersionId"], v["marker"]): b""
        if v["marker"]
        else s3().get_object(Bucket=payload_bucket, Key=v["Key"], VersionId=v["VersionId"])["Body"].read()
        for v in versions(payload_bucket, "payloads/")
    }
    markers = {(v["Key"], v["VersionId"]) for v in versions(bucket, "events/") if v["marker"]}
    return {"archive": version_lines(bucket), "markers": markers, "payloads": payloads, "queue": queued(receiver)}


@dataclass
class Run:
    code: int
    out: str
    err: str


def run_forget(*args: str, session: Any = None) -> Run:
    out, err = io.StringIO(), io.StringIO()
    code = forget.main(
        ["--stack", STACK, *args],
        out=out,
        err=err,
        session=session or boto3.session.Session(region_name=REGION),
        wait_seconds=0,
    )
    return Run(code, out.getvalue(), err.getvalue())


def assert_athena_reads(bucket: str) -> int:
    """Every object as the table's JSON SerDe reads it: gzip by its .gz name, one JSON object a line with
    the table's columns (messageattributes a map of {type, value}), nothing else; the events read."""
    count = 0
    for key, lines in current_lines(bucket).items():
        assert KEY.match(key), key
        data = s3().get_object(Bucket=bucket, Key=key)["Body"].read()
        assert data[:2] == b"\x1f\x8b"
        text = gzip.decompress(data)
        assert text.endswith(b"}\n") and b"\n\n" not in text
        for line in lines:
            envelope = json.loads(line)
            assert TABLE_COLUMNS <= set(envelope) <= set(ENVELOPE_FIELDS)
            assert all(isinstance(envelope[name], str) for name in TABLE_COLUMNS - {"MessageAttributes"})
            assert all(set(value) == {"Type", "Value"} for value in envelope["MessageAttributes"].values())
        read = list(events_in(s3(), bucket, key))  # the reader the replay and the drift report share
        assert not [item for item in read if isinstance(item, Unreadable)]
        assert len(read) == len(lines)
        count += len(lines)
    return count


# ----- forget, end to end -----------------------------------------------------------------------------------
def test_forget_a_member_by_id_then_another_by_email(
    world: World, receiver: Receiver, bucket: str, replay: Callable[..., Replay]
) -> None:
    payload_bucket = receiver.stack.template.physical["PayloadBucket"]["Ref"]
    large_other = s3().get_object(Bucket=payload_bucket, Key=world.large_other)["Body"].read()
    before = current_lines(bucket)
    assert {event_id(line) for lines in before.values() for line in lines} == {
        event_id for ids in world.days.values() for event_id in ids
    }
    assert set(queued(receiver)) == world.queued_a | world.queued_other

    # --- member A, by their Bettermode id and canD profile id ---
    result = run_forget("--member-id", A_ID, "--member-id", A_PROFILE)
    assert result.code == 0, result.err
    after = current_lines(bucket)
    removed = world.member_a
    expect_removed(before, after, removed, bucket)
    assert f"{len(removed)} event(s) removed from" in result.out
    assert "1 of 2 message(s) deleted; 1 visible again for the redrive" in result.out
    assert f"1 large event(s) deleted with every version (0 old version(s)):\n    {world.large_a}\n" in result.out
    for key in set(before) - set(after):
        assert f"    {key}\n" in result.out
    # the large body of A is gone, every version; X's stays as it was
    assert versions(payload_bucket, world.large_a) == []
    assert s3().get_object(Bucket=payload_bucket, Key=world.large_other)["Body"].read() == large_other
    # the failure queue: A's message gone, X's there and receivable at once, as the redrive will read it
    assert set(queued(receiver)) == world.queued_other
    # never a body, never an address that was not given
    assert A_EMAIL not in result.out and B_EMAIL.lower() not in result.out.lower()
    assert "shortContent" not in result.out and "<p>" not in result.out
    assert "the FIFO topics' message archive: none on this stack" in result.out
    assert "each subscriber must erase the member itself" in result.out

    # --- member B, by e-mail (case-insensitive) ---
    before_b = after
    result = run_forget("--email", B_EMAIL.lower())
    assert result.code == 0, result.err
    after = current_lines(bucket)
    expect_removed(before_b, after, world.member_b, bucket)
    remaining = {event_id(line) for lines in after.values() for line in lines}
    assert world.b_by_id_only <= remaining  # B's post names B by id only: give ids and e-mail both
    assert "0 of 1 message(s) deleted; 1 visible again" in result.out
    assert set(queued(receiver)) == world.queued_other

    # --- the archive still reads: Athena's SerDe, the drift report, the replay ---
    expected = {e for ids in world.days.values() for e in ids} - world.member_a - world.member_b
    assert remaining == expected
    assert assert_athena_reads(bucket) == len(expected)
    per_day = {day: len(set(ids) & expected) for day, ids in world.days.items()}
    assert {day: shape_of(s3(), bucket, day.isoformat()).events for day in per_day} == per_day
    replayed = replay("--dry-run", window=("--since", DAY1.isoformat(), "--until", "2026-11-23"))
    assert replayed.code == 0, replayed.err
    assert f"read {len(expected)}, would send {len(expected)}, skipped 0 (not selected), failed 0" in replayed.out


def expect_removed(
    before: dict[str, list[bytes]], after: dict[str, list[bytes]], removed: set[str], bucket: str
) -> None:
    """Each object lost exactly the removed events and kept every other line byte for byte, in order,
    under the same key; an object left empty is gone with every version; no version holds them."""
    for key, lines in before.items():
        kept = [line for line in lines if event_id(line) not in removed]
        if kept:
            assert after.get(key) == kept, key
        else:
            assert key not in after
            assert [v for v in versions(bucket, key) if v["Key"] == key] == [], key  # no version, no marker
    assert set(after) <= set(before)
    for (key, _), lines in version_lines(bucket).items():
        assert not {event_id(line) for line in lines} & removed, key
        assert len([v for v in versions(bucket, key) if v["Key"] == key]) == 1, key  # the rewrite's old version went


def test_a_dry_run_changes_nothing_and_says_what_a_run_would_remove(
    world: World, receiver: Receiver, bucket: str
) -> None:
    kept = everything(receiver, bucket)
    dry = run_forget("--member-id", A_ID, "--member-id", A_PROFILE, "--email", B_EMAIL, "--dry-run")
    assert dry.code == 0, dry.err
    assert everything(receiver, bucket) == kept
    assert dry.out.endswith("dry run: nothing was changed\n")
    assert f"{len(world.member_a | world.member_b)} event(s) would be removed from" in dry.out
    assert "1 of 2 message(s) would be deleted; 2 visible again for the redrive" in dry.out

    real = run_forget("--member-id", A_ID, "--member-id", A_PROFILE, "--email", B_EMAIL)
    assert real.code == 0, real.err
    assert (
        real.out.replace("would be ", "")
        .replace(" (dry run)", "")
        .replace("2 visible again", "1 visible again")
        .replace("dry run: nothing was changed", "done")
        == real.out
    )  # the same objects and counts


def test_the_range_narrows_the_archive_days_scanned_not_the_queue_or_the_payloads(
    world: World, receiver: Receiver, bucket: str
) -> None:
    before = current_lines(bucket)
    result = run_forget(
        "--member-id", A_ID, "--member-id", A_PROFILE, "--since", DAY1.isoformat(), "--until", DAY2.isoformat()
    )
    assert result.code == 0, result.err
    after = current_lines(bucket)
    day1 = {key: lines for key, lines in before.items() if f"/dt={DAY1}/" in key}
    day2 = {key: lines for key, lines in before.items() if f"/dt={DAY2}/" in key}
    assert {key: lines for key, lines in after.items() if f"/dt={DAY2}/" in key} == day2  # not scanned
    assert not {event_id(line) for key, lines in after.items() if key in day1 for line in lines} & world.member_a
    assert f"days from {DAY1} to before {DAY2}" in result.out
    assert set(queued(receiver)) == world.queued_other  # the queue and payload bucket are read whole
    payload_bucket = receiver.stack.template.physical["PayloadBucket"]["Ref"]
    assert versions(payload_bucket, world.large_a) == []


def test_an_older_version_that_holds_the_member_is_deleted_too(receiver: Receiver, bucket: str) -> None:
    """A version the lifecycle made noncurrent (expired: a delete marker on top) still holds the member."""
    s3().put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    stack_outputs(receiver)
    a_post, x_post = bettermode("post.published", by(A_ID)), bettermode("post.published", by(X_ID))
    archive_day(receiver, DAY1, [a_post, x_post], World())
    [key] = current_lines(bucket)
    s3().delete_object(Bucket=bucket, Key=key)  # what ExpirationInDays does to a versioned object
    assert current_lines(bucket) == {}
    result = run_forget("--member-id", A_ID)
    assert result.code == 0, result.err
    assert "0 event(s) removed" in result.out and "1 old version(s) deleted" in result.out
    assert [v for v in versions(bucket, key) if not v["marker"]] == []


def test_an_unversioned_bucket_is_rewritten_in_place(receiver: Receiver, bucket: str) -> None:
    """Versioning suspended or never enabled: the one ("null") version is replaced, nothing else deleted."""
    stack_outputs(receiver)
    a_post, x_post = bettermode("post.published", by(A_ID)), bettermode("post.published", by(X_ID))
    archive_day(receiver, DAY1, [a_post, x_post], World())
    [(key, lines)] = current_lines(bucket).items()
    assert run_forget("--member-id", A_ID).code == 0
    assert current_lines(bucket) == {key: [line for line in lines if event_id(line) == x_post[0]]}


# ----- input refused --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("args", "said"),
    [
        ((), "--member-id ID or --email ADDRESS"),
        (("--email", "example.com"), "not an e-mail address"),
        (("--member-id", A_ID, "--since", "2026-11-21", "--until", "2026-11-20"), "--until (2026-11-20) must be after"),
    ],
)
def test_what_cannot_be_forgotten_is_refused_before_anything_is_read(
    receiver: Receiver, args: tuple[str, ...], said: str
) -> None:
    stack_outputs(receiver)
    result = run_forget(*args)
    assert result.code == 2
    assert said in result.err and "nothing was changed" in result.err


def test_a_stack_that_does_not_exist_is_refused(aws: None) -> None:
    result = run_forget("--member-id", A_ID)
    assert result.code == 2 and f"cannot read the stack {STACK}" in result.err


def test_a_fifo_stack_says_its_topics_archive_keeps_the_member(receiver: Receiver) -> None:
    stack_outputs(receiver, DeliveryMode="fifo", EnableArchive="true", ArchiveRetentionDays="90")
    result = run_forget("--member-id", A_ID)
    assert result.code == 0, result.err
    assert "the FIFO topics' message archive: SNS keeps every message 90 days (ArchiveRetentionDays)" in result.out


def test_it_is_a_webhooks_ops_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_code:
        ops(["forget", "--help"])
    assert exit_code.value.code == 0
    assert "--member-id" in capsys.readouterr().out


def test_its_clients_validate_parameters(aws: None) -> None:
    """The receiver's clients skip botocore's validation (handler.aws_clients); forget deletes data: it validates."""
    from botocore.exceptions import ParamValidationError

    client = boto3.session.Session(region_name=REGION).client("s3", config=forget.client_config())
    with pytest.raises(ParamValidationError):
        client.delete_object(Bucket="some-bucket", Key=7)


# ----- the matching rule, field by field, on the samples ------------------------------------------------------
def put(document: dict[str, Any], path: str, value: str) -> dict[str, Any]:
    """`value` at a dotted path (created as needed; `[]` appends to the list there)."""
    node = document
    *parents, last = path.split(".")
    for name in parents:
        node = node.setdefault(name, {})
    if last.endswith("[]"):
        node.setdefault(last[:-2], []).append(value)
    else:
        node[last] = value
    return document


def bm(name: str) -> Callable[[], dict[str, Any]]:
    return lambda: copy.deepcopy(sample(name))


def cd(name: str) -> Callable[[], dict[str, Any]]:
    return lambda: cand(name)


def moderation_of(kind: str) -> dict[str, Any]:
    document = copy.deepcopy(sample("moderation.created"))
    document["data"]["object"]["entityType"] = kind
    return document


def about_a_member() -> dict[str, Any]:
    document = copy.deepcopy(sample("member.created"))
    document["context"] = "MEMBER"
    return document


# path -> (source, the sample that has the field (or has it once set), where the id means nothing instead)
CASES: dict[str, tuple[str, Callable[[], dict[str, Any]], Callable[[], dict[str, Any]] | None]] = {
    "data.actor.id": ("bettermode", bm("post.published"), None),
    "data.actorId": ("bettermode", bm("interaction"), None),
    "data.object.id": ("bettermode", bm("member.created"), bm("post.published")),  # a post's id
    "data.object.memberId": ("bettermode", bm("space_membership.created"), None),
    "data.object.inviterId": ("bettermode", bm("space_membership.created"), None),
    "data.object.createdById": ("bettermode", bm("space.created"), None),
    "data.object.ownerId": ("bettermode", bm("network.updated"), None),
    "data.object.mentionedMembers[]": ("bettermode", bm("post.published"), None),
    "data.object.entityId": ("bettermode", lambda: moderation_of("MEMBER"), lambda: moderation_of("POST")),
    "data.target.memberId": ("bettermode", bm("reaction.added"), None),
    "data.installedById": ("bettermode", bm("app-installed"), None),
    "entityId": ("bettermode", about_a_member, bm("post.published")),  # context NETWORK: the network's id
    "entities.actor.id": ("bettermode", bm("post.published"), None),
    "entities.owner.id": ("bettermode", bm("post.published"), None),
    "entities.targetMember.id": ("bettermode", bm("post.published"), None),
    "context.profileId": ("cand", cd("member.joined"), None),
    "context.userId": ("cand", cd("product.created"), None),
    "payload.id": ("cand", cd("member.updated"), cd("product.created")),  # a product's id
    "payload.inviter": ("cand", cd("member.activated"), None),
    "payload.voterId": ("cand", cd("product.voted"), None),
}
FIELDS = [(spec.path, source) for source, specs in forget.FIELDS.items() for spec in specs]


def test_every_field_of_the_rule_is_tried_here() -> None:
    assert sorted(path for path, _ in FIELDS) == sorted(CASES)


@pytest.mark.parametrize(("path", "source"), FIELDS)
def test_an_id_in_a_field_that_names_a_member_makes_the_event_about_them(path: str, source: str) -> None:
    fresh = "ZzZzZzZz99"
    member = forget.Member([fresh], [])
    expected_source, has_it, means_nothing = CASES[path]
    assert source == expected_source
    assert not member.in_document(has_it(), source)  # the sample as it is: not this member
    assert member.in_document(put(has_it(), path, fresh), source)
    assert member.in_document(put(has_it(), path, fresh), None)  # an unknown source: both lists are read
    if means_nothing is not None:  # the same path where it names no member
        assert not member.in_document(put(means_nothing(), path, fresh), source)


def test_an_id_anywhere_else_is_not_the_member() -> None:
    member = forget.Member([X_ID], [])
    post = sample("post.published")
    assert member.in_document(post, "bettermode")
    for path in (
        "data.actor.id",
        "data.object.createdById",
        "data.object.ownerId",
        "entities.actor.id",
        "entities.owner.id",
    ):
        put(post, path, "someone-else")
    assert X_ID in json.dumps(sample("space.created"))
    assert not member.in_document(post, "bettermode")
    assert not member.in_document(put(copy.deepcopy(post), "data.target.postId", X_ID), "bettermode")
    assert not member.in_document(put(copy.deepcopy(post), "data.object.title", X_ID), "bettermode")


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("member@example.com", True),
        ("MEMBER@Example.Com", True),
        ("<p>write to member@example.com.</p>", True),
        ("mailto:member@example.com", True),
        ("xmember@example.com", False),
        ("member@example.com.au", False),
        ("member@example.community", False),
        ("member.example.com", False),
    ],
)
def test_an_email_matches_in_any_field_as_a_whole_address(text: str, found: bool) -> None:
    member = forget.Member([], ["Member@Example.com"])
    document = sample("post.published")
    document["data"]["object"]["shortContent"] = text
    assert member.in_document(document, "bettermode") is found


def test_the_samples_emails_are_found_where_they_are() -> None:
    assert forget.Member([], ["member@example.com"]).in_document(sample("member.created"), "bettermode")
    assert forget.Member([], ["billing@example.com"]).in_document(sample("network.updated"), "bettermode")
    assert not forget.Member([], ["member@example.com"]).in_document(sample("network.updated"), "bettermode")


def test_the_runbook_lists_every_field_and_the_module_says_the_same() -> None:
    text = OPERATIONS.read_text(encoding="utf-8")
    assert RUNBOOK in text
    section = text.split(RUNBOOK, 1)[1].split("\n## ", 1)[0]
    docstring = forget.__doc__ or ""
    for path, _ in FIELDS:
        assert f"`{path}`" in section, path
        assert f"`{path}`" in docstring, path
    for spec in (*forget.BETTERMODE_FIELDS, *forget.CAND_FIELDS):
        if spec.when:
            assert spec.when.split(" is ")[0].split("'s ")[0] in section, spec.when


# ----- the operator policy ---------------------------------------------------------------------------------------
# Each call forget makes is taken as the IAM request it is (action, resource, s3:prefix) and decided by
# devkit.policies as IAM would, for the role holding a policy and the resource's own policy (the failure
# queue's names who may take from it; the buckets' refuse plain HTTP); a refused call raises AccessDenied
# as AWS would, so forget runs as that role. Moto enforces none of it (devkit/policies.py says why).
ACCOUNT = "123456789012"  # moto's account, and the emulated template's
ROLE = f"arn:aws:iam::{ACCOUNT}:role/{STACK}-ForgetOperatorRole"
STACK_UUID = "00000000-0000-0000-0000-000000000000"  # the stack id's last part, as devkit.template resolves it
S3_ACTIONS = {"ListObjectVersions": "ListBucketVersions", "ListObjectsV2": "ListBucket", "HeadBucket": "ListBucket"}
SQS_ACTIONS = {"ChangeMessageVisibilityBatch": "ChangeMessageVisibility", "DeleteMessageBatch": "DeleteMessage"}


@dataclass(frozen=True)
class Call:
    action: str
    resource: str
    prefix: str | None = None  # s3:prefix of a listing


def iam_call(service: str, operation: str, params: dict[str, Any]) -> Call:
    """The IAM request a call is authorized as."""
    if service == "s3":
        versioned = "VersionId" in params and operation in ("GetObject", "DeleteObject")
        action = S3_ACTIONS.get(operation, f"{operation}Version" if versioned else operation)
        if "Key" in params:
            return Call(f"s3:{action}", f"arn:aws:s3:::{params['Bucket']}/{params['Key']}")
        return Call(f"s3:{action}", f"arn:aws:s3:::{params['Bucket']}", params.get("Prefix", ""))
    if service == "sqs":
        name = params["QueueUrl"].rsplit("/", 1)[1]
        return Call(f"sqs:{SQS_ACTIONS.get(operation, operation)}", f"arn:aws:sqs:{REGION}:{ACCOUNT}:{name}")
    if service == "cloudformation":
        return Call(
            f"cloudformation:{operation}", f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/{STACK}/{STACK_UUID}"
        )
    raise AssertionError(f"forget called {service}, which the test does not know")


@dataclass
class Policies:
    """The template resolved for the emulated stack, with the roles it names given ARNs."""

    template: Any

    @classmethod
    def of(cls, receiver: Receiver) -> Policies:
        template = copy.deepcopy(receiver.stack.template)
        for logical, resource in template.document["Resources"].items():
            if resource.get("Type") == "AWS::IAM::Role":
                arn = f"arn:aws:iam::{ACCOUNT}:role/{STACK}-{logical}"
                template.physical.setdefault(logical, {"Ref": f"{STACK}-{logical}", "Arn": arn})
        template.physical.setdefault(
            "WebhookFunctionRole", {"Arn": f"arn:aws:iam::{ACCOUNT}:role/{STACK}-WebhookFunctionRole"}
        )
        return cls(template)

    def resolved(self, logical: str, *path: str | int) -> Any:
        node = self.template.document["Resources"][logical]["Properties"]
        for step in path:
            node = node[step]
        return self.template.resolve(node)

    def forget_role(self) -> Document:
        """template.yaml's ForgetOperatorRole: its inline policy."""
        [policy] = self.resolved("ForgetOperatorRole", "Policies")
        return policy["PolicyDocument"]

    def least_privilege(self) -> Document:
        """What forget needs and nothing more (the statements the report proposes)."""
        archive, payloads = (self.template.physical[name]["Arn"] for name in ("ArchiveBucket", "PayloadBucket"))
        return {
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": "cloudformation:DescribeStacks",
                    "Resource": self.template.pseudo("AWS::StackId"),
                },
                {
                    "Effect": "Allow",
                    "Action": [
                        "sqs:GetQueueAttributes",
                        "sqs:ReceiveMessage",
                        "sqs:DeleteMessage",
                        "sqs:ChangeMessageVisibility",
                    ],
                    "Resource": self.template.physical["FailureQueue"]["Arn"],
                },
                {
                    "Effect": "Allow",
                    "Action": "s3:ListBucketVersions",
                    "Resource": payloads,
                    "Condition": {"StringLike": {"s3:prefix": ["payloads/*"]}},
                },
                {
                    "Effect": "Allow",
                    "Action": ["s3:GetObject", "s3:GetObjectVersion", "s3:DeleteObjectVersion"],
                    "Resource": f"{payloads}/payloads/*",
                },
                {
                    "Effect": "Allow",
                    "Action": "s3:ListBucketVersions",
                    "Resource": archive,
                    "Condition": {"StringLike": {"s3:prefix": ["events/*", "errors/*"]}},
                },
                {
                    "Effect": "Allow",
                    "Action": ["s3:GetObjectVersion", "s3:PutObject", "s3:DeleteObjectVersion"],
                    "Resource": f"{archive}/events/*",
                },
            ]
        }

    def resource_policy(self, call: Call) -> Document | None:
        """The failure queue's policy, a bucket's, or none."""
        if call.action.startswith("sqs:"):
            [queue_policy] = [
                logical
                for logical, r in self.template.document["Resources"].items()
                if r.get("Type") == "AWS::SQS::QueuePolicy"
            ]
            return self.resolved(queue_policy, "PolicyDocument")
        if call.action.startswith("s3:"):
            bucket = call.resource.removeprefix("arn:aws:s3:::").split("/", 1)[0]
            for logical in ("ArchiveBucketPolicy", "PayloadBucketPolicy"):
                if self.resolved(logical, "Bucket") == bucket:
                    return self.resolved(logical, "PolicyDocument")
        return None

    def decide(self, identity: Document, call: Call, principal: str = ROLE) -> str:
        context = {} if call.prefix is None else {"s3:prefix": call.prefix}
        request = Request(principal, call.action, call.resource, account=ACCOUNT, context=context)
        return decide([identity], self.resource_policy(call), request)


def as_role(policies: Policies, identity: Document) -> tuple[Any, list[Call], list[Call]]:
    """A session whose calls IAM decides as for the forget role holding `identity`: (session, made, refused)."""
    session = boto3.session.Session(region_name=REGION)
    made: list[Call] = []
    refused: list[Call] = []

    def enforce(model: Any, params: dict[str, Any], **_: Any) -> None:
        call = iam_call(model.service_model.endpoint_prefix, model.name, params)
        made.append(call)
        if policies.decide(identity, call) != "allow":
            refused.append(call)
            raise ClientError({"Error": {"Code": "AccessDenied", "Message": f"{call.action} refused"}}, model.name)

    session.events.register("provide-client-params.*.*", enforce)
    return session, made, refused


def member_a_is_gone(bucket: str, world: World) -> bool:
    return not {event_id(line) for lines in current_lines(bucket).values() for line in lines} & world.member_a


def test_the_least_privilege_policy_allows_every_call_and_nothing_broader(
    world: World, receiver: Receiver, bucket: str
) -> None:
    policies = Policies.of(receiver)
    policy = policies.least_privilege()
    session, made, refused = as_role(policies, policy)
    for args in (("--dry-run",), ()):
        result = run_forget("--member-id", A_ID, "--member-id", A_PROFILE, "--email", B_EMAIL, *args, session=session)
        assert result.code == 0, result.err
    assert refused == []
    assert member_a_is_gone(bucket, world)
    assert "errors/: 0 object(s)" in result.out
    assert {call.action for call in made} == {
        "cloudformation:DescribeStacks",
        "s3:ListBucketVersions",
        "s3:GetObject",
        "s3:GetObjectVersion",
        "s3:PutObject",
        "s3:DeleteObjectVersion",
        "sqs:GetQueueAttributes",
        "sqs:ReceiveMessage",
        "sqs:DeleteMessage",
        "sqs:ChangeMessageVisibility",
    }  # never a plain DeleteObject (it would leave a version), no ListBucket
    archive = policies.template.physical["ArchiveBucket"]["Arn"]
    for call in (
        Call("s3:DeleteObject", f"{archive}/events/x.gz"),
        Call("s3:PutObject", f"{archive}/shapes/latest.json"),
        Call("s3:ListBucketVersions", archive, "shapes/"),
        Call("s3:ListBucketVersions", archive),
        Call("s3:GetObjectVersion", "arn:aws:s3:::someone-elses/events/x.gz"),
        Call("sqs:DeleteMessage", f"arn:aws:sqs:{REGION}:{ACCOUNT}:someone-elses"),
        Call("sns:Publish", receiver.stack.topics["TopicPOST"]),
    ):
        assert policies.decide(policy, call) != "allow", call


def test_as_the_stacks_forget_operator_role_it_erases_all_the_same(
    world: World, receiver: Receiver, bucket: str
) -> None:
    """template.yaml's ForgetOperatorRole, with the failure queue's policy: every call is allowed but, while
    the role may list only events/ of the archive, the count of errors/, which forget then says it skipped."""
    policies = Policies.of(receiver)
    session, _, refused = as_role(policies, policies.forget_role())
    result = run_forget("--member-id", A_ID, "--member-id", A_PROFILE, session=session)
    assert result.code == 0, result.err
    assert member_a_is_gone(bucket, world)
    assert set(queued(receiver)) == world.queued_other
    errors = Call("s3:ListBucketVersions", policies.template.physical["ArchiveBucket"]["Arn"], "errors/")
    assert set(refused) <= {errors}
    if refused:
        assert "errors/: not listed (access denied" in result.out
    # the queue's own policy: only the redrive and forget roles take from it, whatever another role's IAM allows
    anyone = {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    take = Call(
        "sqs:ReceiveMessage", iam_call("sqs", "ReceiveMessage", {"QueueUrl": receiver.stack.failure_queue_url}).resource
    )
    assert policies.decide(anyone, take, f"arn:aws:iam::{ACCOUNT}:role/Administrator") == "explicit deny"
    assert policies.decide(policies.forget_role(), take) == "allow"
