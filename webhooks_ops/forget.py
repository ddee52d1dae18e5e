"""`webhooks-ops forget`: a member's erasure request. Every event about the member is removed from what
the stack keeps: the S3 archive, the payload bucket and the failure queue.

Run by an operator against a deployed stack (`--stack`: its DescribeStacks outputs `ArchiveBucketName`,
`PayloadBucketName` and `FailureQueueUrl` name the three places). docs/operations.md, "A member's
erasure request", is the runbook.

Which events are about the member
---------------------------------
An event is about the member when its body (JSON) holds one of the given ids in a field that names a
member, or one of the given e-mail addresses in any field. The fields that name a member, by source
(paths in the body; `[]` is each item of a list):

Bettermode (`data` is the event of a SUBSCRIPTION, or the installation of an APP_INSTALLED):
- `data.actor.id`: the member who acted (every SUBSCRIPTION event)
- `data.actorId`: the member who acted in an INTERACTION (answered, never published: for completeness)
- `data.object.id` when `data.noun` is MEMBER: the member the event is about
- `data.object.memberId`: the member of a SPACE_MEMBERSHIP
- `data.object.inviterId`: who added them (SPACE_MEMBERSHIP)
- `data.object.createdById`: the author of a POST, the creator of a SPACE or NETWORK
- `data.object.ownerId`: the owner of a POST or NETWORK
- `data.object.mentionedMembers[]`: the members a POST mentions
- `data.object.entityId` when `data.object.entityType` is MEMBER: the member a MODERATION is about
- `data.target.memberId`: the member of a MEMBER, SPACE_MEMBERSHIP or REACTION event
- `data.installedById`: who installed the app (APP_INSTALLED, APP_UNINSTALLED)
- `entityId` when `context` is MEMBER: the member a request is about
- `entities.actor.id`, `entities.owner.id`, `entities.targetMember.id`: the members Bettermode resolved

canD (`{module, type, context, payload}`):
- `context.profileId`: who acted, by their id in the community
- `context.userId`: the same person, by their id in the origin community
- `payload.id` when the type's noun is `member` (member.joined, member.activated, member.updated)
- `payload.inviter`: who invited the member (member.joined, member.activated)
- `payload.voterId`: who voted (product.voted)

An e-mail address matches in any string of the body, case-insensitively, as a whole address:
`ann@example.com` is found in `"Ann@Example.com"` and in `"<p>write to ann@example.com</p>"`, not in
`"joann@example.com"` or `"ann@example.com.au"`. An id is compared exactly, and only in those fields:
a post whose id happens to equal it is not about the member. The `actor_id` message attribute (the
receiver's copy of `data.actor.id` or `context.profileId`) counts too, so that an archived pointer
whose large body has already expired is still found. A body from an unknown source is read with
both lists. The event is removed whole, even when it is mostly about someone else (a post that
mentions the member, a membership the member granted): the archive keeps events as they were
published or not at all. Ids and e-mail addresses are separate keys: give every id the member has
(their Bettermode member id, their canD profile and user ids) and their e-mail, since a `post.published`
names its author by id only and only `member.*` events carry the member's e-mail.

What it does, per place
-----------------------
- The S3 archive (`events/source=/noun=/dt=/`, the days of `--since`/`--until`, default all): every
  object version is read as a stream. The current version of an object with matching lines is
  written again under the same key, the other lines byte for byte, gzip, one SNS envelope a line, as
  Firehose writes it, so Athena's table and the replay read it as before; an object with nothing
  else in it is deleted. The bucket is versioned (template.yaml), so a rewrite or a plain delete
  would leave the member's events in a noncurrent version: the version read is deleted by its
  VersionId, an emptied object loses every version and delete marker, and an older version that
  holds the member is deleted too. `errors/` (records Firehose could not partition; none expected)
  is counted, not read; a caller not allowed to list it is told so, and the erasure goes on.
- The payload bucket (`payloads/`, every version): an archived or queued pointer to a large body is
  resolved and, when the body is about the member (or the pointer's line is), the object is deleted
  with every version. Every object under `payloads/` is also read directly, whatever the range, since
  the archive may be off (`EnableArchive=false`, `DeliveryMode=fifo`) or may have lost the pointer
  already: it holds only events over 256 KiB, each at most MaxBodyBytes (1,000,000 bytes), so the
  scan is bounded by their number; an object over PAYLOAD_READ_LIMIT is not the receiver's and is
  counted, not read.
- The failure queue: every message is received with a visibility timeout of HOLD_SECONDS; matching
  ones are deleted, the others made visible again at once (ChangeMessageVisibility 0) for the redrive.
  Messages another reader holds are invisible to it: their number is printed, run it again later.

It prints, per place, the number of events removed and the keys of the objects rewritten or deleted;
never a body, never an e-mail address other than those given. `--dry-run` reads everything and
prints the same without changing anything (the failure queue's messages are received and released).
It then says what it cannot remove: the FIFO topics' message archive (SNS deletes an archived message
only at the end of ArchiveRetentionDays), the copies subscribers made, and (no bodies there) the logs.

The clients it is given validate parameters (botocore's default), unlike the receiver's
(`handler.aws_clients`, which turns validation off for speed): this command deletes data.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import IO, Any, NamedTuple, TextIO, cast

from archive_format import lines
from handler.publishing import POINTER_CLASS

USAGE_ERROR = 2
FAILED = 1
ROOT = "events/"
ERRORS = "errors/"
PAYLOADS = "payloads/"
HOLD_SECONDS = 900  # the failure queue's messages stay invisible this long while the queue is read
PAYLOAD_READ_LIMIT = 8 * 1024 * 1024  # the receiver stores bodies of at most 1,000,000 bytes
SPOOL_BYTES = 16 * 1024 * 1024  # a rewritten object is built in memory up to this, then on disk
ACTOR_ATTRIBUTE = "actor_id"
OUTPUTS = {"archive": "ArchiveBucketName", "payloads": "PayloadBucketName", "queue": "FailureQueueUrl"}


class UsageError(ValueError):
    """Input forget cannot act on: said clearly, exit code 2, nothing changed."""


# ----- which events are about the member --------------------------------------------------------------
def values_at(document: Any, path: str) -> list[Any]:
    """The values at a dotted path; a name ending in `[]` takes each item of the list there."""
    found = [document]
    for step in path.split("."):
        name, each = step.removesuffix("[]"), step.endswith("[]")
        found = [node.get(name) for node in found if isinstance(node, dict)]
        if each:
            found = [item for node in found if isinstance(node, list) for item in node]
    return [value for value in found if value is not None]


def _is(path: str, expected: str) -> Callable[[Any], bool]:
    """The condition "the text at `path` is `expected`" (case-insensitive)."""
    return lambda document: any(str(value).upper() == expected.upper() for value in values_at(document, path))


def _cand_noun_is_member(document: Any) -> bool:
    return any(str(value).partition(".")[0].lower() == "member" for value in values_at(document, "type"))


class IdField(NamedTuple):
    """A field that names a member: its path in the body, and the condition under which it does."""

    path: str
    when: str = ""  # the condition, as the module's docstring and the runbook state it
    applies: Callable[[Any], bool] | None = None


BETTERMODE_FIELDS = (
    IdField("data.actor.id"),
    IdField("data.actorId"),
    IdField("data.object.id", "data.noun is MEMBER", _is("data.noun", "MEMBER")),
    IdField("data.object.memberId"),
    IdField("data.object.inviterId"),
    IdField("data.object.createdById"),
    IdField("data.object.ownerId"),
    IdField("data.object.mentionedMembers[]"),
    IdField("data.object.entityId", "data.object.entityType is MEMBER", _is("data.object.entityType", "MEMBER")),
    IdField("data.target.memberId"),
    IdField("data.installedById"),
    IdField("entityId", "context is MEMBER", _is("context", "MEMBER")),
    IdField("entities.actor.id"),
    IdField("entities.owner.id"),
    IdField("entities.targetMember.id"),
)
CAND_FIELDS = (
    IdField("context.profileId"),
    IdField("context.userId"),
    IdField("payload.id", "the type's noun is member", _cand_noun_is_member),
    IdField("payload.inviter"),
    IdField("payload.voterId"),
)
FIELDS = {"bettermode": BETTERMODE_FIELDS, "cand": CAND_FIELDS}

# Characters an address may have around it inside a longer address: before its local part, after its domain.
_BEFORE = r"(?<![A-Za-z0-9.!#$%&'*+/=?^_`{|}~-])"
_AFTER = r"(?![A-Za-z0-9-]|\.[A-Za-z0-9])"


def _strings(document: Any) -> Iterator[str]:
    """Every string value in a JSON document, depth first, without recursion."""
    pending = [document]
    while pending:
        node = pending.pop()
        if isinstance(node, str):
            yield node
        elif isinstance(node, dict):
            pending.extend(node.values())
        elif isinstance(node, list):
            pending.extend(node)


class Member:
    """The member to forget: their ids and e-mail addresses (at least one of either)."""

    def __init__(self, ids: Iterable[str], emails: Iterable[str]) -> None:
        self.ids = frozenset(value.strip() for value in ids if value.strip())
        self.emails = tuple(sorted({value.strip().lower() for value in emails if value.strip()}))
        for address in self.emails:
            local, _, domain = address.partition("@")
            if not (local and domain) or any(character.isspace() for character in address):
                raise UsageError(f"not an e-mail address: {address!r}")
        if not self.ids and not self.emails:
            raise UsageError("name the member: --member-id ID or --email ADDRESS (either repeated)")
        alternatives = "|".join(re.escape(address) for address in self.emails)
        self._email = re.compile(f"{_BEFORE}(?:{alternatives}){_AFTER}", re.IGNORECASE) if self.emails else None

    def in_text(self, text: str) -> bool:
        """One of the e-mail addresses, anywhere in a text (a body that is not JSON)."""
        return self._email is not None and self._email.search(text) is not None

    def named_by_id(self, document: Any, source: str | None) -> bool:
        fields = FIELDS.get(source or "") or (*BETTERMODE_FIELDS, *CAND_FIELDS)
        return any(
            (spec.applies is None or spec.applies(document))
            and any(isinstance(value, str | int) and str(value) in self.ids for value in values_at(document, spec.path))
            for spec in fields
        )

    def in_document(self, document: Any, source: str | None) -> bool:
        """Whether a parsed body is about the member (the module's docstring: which fields)."""
        if self.ids and self.named_by_id(document, source):
            return True
        return self._email is not None and any(self.in_text(text) for text in _strings(document))

    def is_actor(self, attributes: dict[str, Any]) -> bool:
        """The `actor_id` attribute, in SNS's envelope ({Type, Value}) or SQS's message ({DataType, StringValue})."""
        value = attributes.get(ACTOR_ATTRIBUTE)
        if not isinstance(value, dict):
            return False
        return str(value.get("Value", value.get("StringValue", ""))) in self.ids

    def describe(self) -> str:
        named = []
        if self.ids:
            named.append(f"member id(s) {', '.join(sorted(self.ids))}")
        if self.emails:
            named.append(f"e-mail {', '.join(self.emails)}")
        return "; ".join(named)


def pointer(document: Any) -> tuple[str, str] | None:
    """(bucket, key) of a large event's S3 pointer message, else None."""
    if not (isinstance(document, list) and len(document) == 2 and document[0] == POINTER_CLASS):
        return None
    target = document[1]
    if not isinstance(target, dict):
        return None
    bucket, key = target.get("s3BucketName"), target.get("s3Key")
    return (bucket, key) if isinstance(bucket, str) and isinstance(key, str) else None


def _parsed(text: str | bytes) -> tuple[bool, Any]:
    try:
        return True, json.loads(text)
    except (ValueError, RecursionError):
        return False, None


def _source_of_payload(key: str) -> str | None:
    """`payloads/<source>/<digest>.json` (handler.publishing.payload_key)."""
    parts = key.split("/")
    return parts[1] if len(parts) == 3 else None


# ----- what was removed ----------------------------------------------------------------------------------
@dataclass
class ArchiveReport:
    bucket: str | None = None
    days: str = "every day"
    events: int = 0
    rewritten: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    versions: int = 0  # versions deleted besides the current one of each object
    unreadable: int = 0  # lines that are not SNS envelopes, searched for the e-mail only
    errors: int | None = 0  # objects under errors/ (None: not allowed to list them)


@dataclass
class PayloadReport:
    bucket: str | None = None
    deleted: list[str] = field(default_factory=list)
    versions: int = 0
    too_large: int = 0


@dataclass
class QueueReport:
    url: str | None = None
    received: int = 0
    removed: int = 0
    released: int = 0
    release_failed: int = 0
    in_flight: int = 0


@dataclass
class Report:
    archive: ArchiveReport = field(default_factory=ArchiveReport)
    payloads: PayloadReport = field(default_factory=PayloadReport)
    queue: QueueReport = field(default_factory=QueueReport)
    foreign_pointers: int = 0  # pointers into a bucket that is not the stack's: not followed


@dataclass(frozen=True)
class Stack:
    """What forget reads of the stack: its three places and the parameters that say what it cannot reach."""

    name: str
    archive_bucket: str | None
    payload_bucket: str | None
    failure_queue_url: str | None
    parameters: dict[str, str]


def _missing(error: Exception) -> bool:
    from botocore.exceptions import ClientError

    if not isinstance(error, ClientError):
        return False
    return str(error.response.get("Error", {}).get("Code", "")) in ("NoSuchKey", "NoSuchVersion", "404")


# ----- the eraser -----------------------------------------------------------------------------------------
class Forget:
    """Removes the member's events from the stack's three places; `dry_run` only counts."""

    def __init__(
        self,
        member: Member,
        stack: Stack,
        s3: Any,
        sqs: Any,
        *,
        dry_run: bool = False,
        since: date | None = None,
        until: date | None = None,
        wait_seconds: int = 1,
        hold_seconds: int = HOLD_SECONDS,
    ) -> None:
        self.member, self.stack, self.s3, self.sqs = member, stack, s3, sqs
        self.dry_run, self.since, self.until = dry_run, since, until
        self.wait_seconds, self.hold_seconds = wait_seconds, hold_seconds
        self.report = Report()
        self._payload_verdicts: dict[str, bool] = {}
        self._payloads_to_delete: set[str] = set()

    def run(self) -> Report:
        """The archive first (its pointers need the large bodies), then the queue, then the payload bucket."""
        if self.stack.archive_bucket:
            self.archive()
        if self.stack.failure_queue_url:
            self.queue()
        if self.stack.payload_bucket:
            self.payloads()
        return self.report

    # --- a message, wherever it is kept ---
    def message_is_about(self, message: str, source: str | None) -> bool:
        """A published message: the body, or a large event's pointer (its body is read from the payload bucket)."""
        readable, document = _parsed(message)
        if not readable:
            return self.member.in_text(message)
        found = pointer(document)
        if found is None:
            return self.member.in_document(document, source)
        bucket, key = found
        if bucket != self.stack.payload_bucket or not key.startswith(PAYLOADS):
            self.report.foreign_pointers += 1  # data names the bucket: never read or delete elsewhere
            return False
        if key not in self._payload_verdicts:
            self._payload_verdicts[key] = self._payload_is_about(key, None)
        return self._payload_verdicts[key]

    def _payload_is_about(self, key: str, version_id: str | None) -> bool:
        """Whether a large body (the current version, or the one given) is about the member; False once gone."""
        extra = {"VersionId": version_id} if version_id else {}
        try:
            response = self.s3.get_object(Bucket=self.stack.payload_bucket, Key=key, **extra)
        except Exception as error:
            if _missing(error):
                return False
            raise
        body = response["Body"]
        try:
            if int(response.get("ContentLength", 0)) > PAYLOAD_READ_LIMIT:  # not the receiver's (counted by the scan)
                return False
            text = body.read()
        finally:
            body.close()
        readable, document = _parsed(text)
        if not readable:
            return self.member.in_text(text.decode("utf-8", "replace"))
        return self.member.in_document(document, _source_of_payload(key))

    def _remember_pointer(self, message: str) -> None:
        """A matching message that is a pointer into the payload bucket: its body goes too."""
        readable, document = _parsed(message)
        found = pointer(document) if readable else None
        if found and found[0] == self.stack.payload_bucket and found[1].startswith(PAYLOADS):
            self._payloads_to_delete.add(found[1])

    # --- the S3 archive ---
    def line_is_about(self, line: bytes) -> bool:
        """One archived SNS envelope."""
        try:
            envelope = json.loads(line)
            message = envelope["Message"]
            attributes = envelope.get("MessageAttributes") or {}
            source = attributes.get("source", {}).get("Value")
            if not isinstance(message, str) or not isinstance(attributes, dict):
                raise TypeError("not an SNS envelope")
        except (ValueError, KeyError, TypeError, AttributeError, RecursionError):
            self.report.archive.unreadable += 1
            return self.member.in_text(line.decode("utf-8", "replace"))
        about = self.member.is_actor(attributes) or self.message_is_about(message, source)
        if about:
            self._remember_pointer(message)
        return about

    def _wants_day(self, day: str) -> bool:
        try:
            value = date.fromisoformat(day)
        except ValueError:
            return self.since is None and self.until is None  # not a day: only a scan of everything reads it
        return (self.since is None or value >= self.since) and (self.until is None or value < self.until)

    def _prefixes(self, prefix: str) -> Iterator[str]:
        """The `name=value/` prefixes under `prefix`, any version's (a day may hold only old versions)."""
        paginator = self.s3.get_paginator("list_object_versions")
        for page in paginator.paginate(Bucket=self.stack.archive_bucket, Prefix=prefix, Delimiter="/"):
            for common in page.get("CommonPrefixes", []):
                yield str(common["Prefix"])

    def day_prefixes(self) -> Iterator[str]:
        for source in self._prefixes(ROOT):
            for noun in self._prefixes(source):
                for day in self._prefixes(noun):
                    if self._wants_day(day[len(noun) :].rstrip("/").removeprefix("dt=")):
                        yield day

    def _versions(self, bucket: str, prefix: str) -> Iterator[dict[str, Any]]:
        """Every version and delete marker under a prefix, one listing page at a time."""
        for page in self.s3.get_paginator("list_object_versions").paginate(Bucket=bucket, Prefix=prefix):
            for version in page.get("Versions", []):
                yield {**version, "IsDeleteMarker": False}
            for marker in page.get("DeleteMarkers", []):
                yield {**marker, "IsDeleteMarker": True}

    def archive(self) -> None:
        report, bucket = self.report.archive, str(self.stack.archive_bucket)
        report.bucket = bucket
        if self.since or self.until:
            report.days = f"days from {self.since or 'the first'} to before {self.until or 'the last'}"
        for day in self.day_prefixes():
            # one day's listing first (keys and version ids, a few hundred at most), then the rewrites:
            # a listing resumed after a version this run deleted could be refused
            for version in list(self._versions(bucket, day)):
                if not version["IsDeleteMarker"]:
                    self._archived_object(bucket, str(version["Key"]), str(version["VersionId"]), version["IsLatest"])
        report.errors = self._count_errors(bucket)

    def _count_errors(self, bucket: str) -> int | None:
        """The objects under errors/ (whole records Firehose could not partition, anyone's); None when
        the caller may not list them: the erasure is done all the same, and says so."""
        from botocore.exceptions import ClientError

        try:
            return sum(
                1 for version in self._versions(bucket, ERRORS) if version["IsLatest"] and not version["IsDeleteMarker"]
            )
        except ClientError as error:
            if str(error.response.get("Error", {}).get("Code", "")) in ("AccessDenied", "403"):
                return None
            raise

    def _archived_object(self, bucket: str, key: str, version_id: str, latest: bool) -> None:
        """One version of a day's object: rewritten without the member's lines, or deleted."""
        report = self.report.archive
        try:
            response = self.s3.get_object(Bucket=bucket, Key=key, VersionId=version_id)
        except Exception as error:
            if _missing(error):  # deleted earlier in this run (an emptied object's older versions)
                return
            raise
        with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as spool:
            removed, kept = self._filter(response["Body"], cast(IO[bytes], spool), key.endswith(".gz"))
            if not removed:
                return
            if not latest:  # an older version: not read by Athena or the replay, but it holds the member
                report.versions += 1
                if not self.dry_run:
                    self.s3.delete_object(Bucket=bucket, Key=key, VersionId=version_id)
                return
            report.events += removed
            if not kept:
                report.deleted.append(key)
                report.versions += self._delete_every_version(bucket, key)[1]
                return
            report.rewritten.append(key)
            if not self.dry_run:
                spool.seek(0)
                self.s3.put_object(Bucket=bucket, Key=key, Body=spool, **_kept_metadata(response))
        # Versioning keeps what a rewrite replaces: the version just read still holds the member's events.
        # An unversioned (or suspended) bucket's "null" version was the one the put replaced.
        if version_id != "null":
            report.versions += 1
            if not self.dry_run:
                self.s3.delete_object(Bucket=bucket, Key=key, VersionId=version_id)

    def _filter(self, body: Any, spool: IO[bytes], compress: bool) -> tuple[int, int]:
        """The lines of `body` that are not about the member, written to `spool` in Firehose's format: gzip
        (Athena decompresses by the .gz name), each envelope followed by "\\n"; (removed, kept)."""
        removed = kept = 0
        out: IO[bytes] = cast(IO[bytes], gzip.GzipFile(fileobj=spool, mode="wb", mtime=0)) if compress else spool
        try:
            for line in lines(body):
                if self.line_is_about(line):
                    removed += 1
                else:
                    kept += 1
                    out.write(line + b"\n")
        finally:
            body.close()
            if out is not spool:
                out.close()
        return removed, kept

    def _delete_every_version(self, bucket: str, key: str) -> tuple[int, int]:
        """Every version and delete marker of one key, so that the object is gone, not hidden behind a
        marker; (current versions, older versions) it had."""
        current = older = 0
        for version in list(self._versions(bucket, key)):
            if version["Key"] != key:
                continue
            if not version["IsDeleteMarker"]:
                current, older = (current + 1, older) if version["IsLatest"] else (current, older + 1)
            if not self.dry_run:
                self.s3.delete_object(Bucket=bucket, Key=key, VersionId=version["VersionId"])
        return current, older

    # --- the failure queue ---
    def queued_is_about(self, body: str) -> bool:
        """A failure-queue message: handler.failures' envelope (the message as SNS would have had it)."""
        readable, kept = _parsed(body)
        if not readable or not isinstance(kept, dict) or not isinstance(kept.get("message"), str):
            return self.member.in_text(body)
        attributes = kept.get("attributes") if isinstance(kept.get("attributes"), dict) else {}
        source = kept.get("source") if isinstance(kept.get("source"), str) else None
        about = (
            self.member.is_actor(cast(dict[str, Any], attributes))
            or self.message_is_about(kept["message"], source)
            or self.member.in_text(body)
        )
        if about:
            self._remember_pointer(kept["message"])
        return about

    def queue(self) -> None:
        """Every message received once and held; the member's deleted, the others released at once."""
        report, url = self.report.queue, str(self.stack.failure_queue_url)
        report.url = url
        attributes = self.sqs.get_queue_attributes(
            QueueUrl=url, AttributeNames=["ApproximateNumberOfMessagesNotVisible"]
        )
        report.in_flight = int(attributes.get("Attributes", {}).get("ApproximateNumberOfMessagesNotVisible", 0))
        held: dict[str, str] = {}  # message id -> its latest receipt handle, released at the end
        removed: set[str] = set()
        try:
            while True:
                batch = self.sqs.receive_message(
                    QueueUrl=url,
                    MaxNumberOfMessages=10,
                    VisibilityTimeout=self.hold_seconds,
                    WaitTimeSeconds=self.wait_seconds,
                ).get("Messages", [])
                fresh = [message for message in batch if message["MessageId"] not in held.keys() | removed]
                for message in batch:
                    if message["MessageId"] in held:  # came back after the hold: the old handle no longer works
                        held[message["MessageId"]] = message["ReceiptHandle"]
                if not fresh:
                    break
                for message in fresh:
                    report.received += 1
                    if self.queued_is_about(message["Body"]):
                        report.removed += 1
                        removed.add(message["MessageId"])
                        if not self.dry_run:
                            self.sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
                            continue
                    held[message["MessageId"]] = message["ReceiptHandle"]
        finally:
            self._release(url, list(held.values()), report)

    def _release(self, url: str, handles: list[str], report: QueueReport) -> None:
        """Visible again now, for the redrive; one that fails comes back after the hold anyway."""
        for start in range(0, len(handles), 10):
            entries = [
                {"Id": str(number), "ReceiptHandle": handle, "VisibilityTimeout": 0}
                for number, handle in enumerate(handles[start : start + 10])
            ]
            answer = self.sqs.change_message_visibility_batch(QueueUrl=url, Entries=entries)
            report.released += len(answer.get("Successful", []))
            report.release_failed += len(answer.get("Failed", []))

    # --- the payload bucket ---
    def payloads(self) -> None:
        """Every object under payloads/, every version: those the archive or queue pointed to, and any
        other whose body is about the member (the archive may be off, or its pointer gone already)."""
        report, bucket = self.report.payloads, str(self.stack.payload_bucket)
        report.bucket = bucket
        doomed: set[str] = set()
        for version in self._versions(bucket, PAYLOADS):
            key = str(version["Key"])
            if version["IsDeleteMarker"]:
                continue
            if key in self._payloads_to_delete or key in doomed:
                doomed.add(key)
                continue
            if int(version.get("Size", 0)) > PAYLOAD_READ_LIMIT:
                report.too_large += 1
                continue
            if self._payload_is_about(key, str(version["VersionId"])):
                doomed.add(key)
        for key in sorted(doomed | self._payloads_to_delete):
            current, older = self._delete_every_version(bucket, key)
            if current or older:  # a pointer whose body has expired already leaves nothing to delete
                report.deleted.append(key)
                report.versions += older


def _kept_metadata(response: dict[str, Any]) -> dict[str, Any]:
    """The rewritten object keeps the original's content type, encoding and user metadata."""
    kept: dict[str, Any] = {}
    for name in ("ContentType", "ContentEncoding"):
        if response.get(name):
            kept[name] = response[name]
    if response.get("Metadata"):
        kept["Metadata"] = response["Metadata"]
    return kept


# ----- the stack, the command line, the printout ------------------------------------------------------
def read_stack(cloudformation: Any, name: str) -> Stack:
    """The stack's three places (its outputs) and parameters."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        [found] = cloudformation.describe_stacks(StackName=name)["Stacks"]
    except (BotoCoreError, ClientError, ValueError) as error:
        raise UsageError(f"cannot read the stack {name}: {error}") from error
    outputs = {str(o["OutputKey"]): str(o["OutputValue"]) for o in found.get("Outputs", [])}
    parameters = {str(p["ParameterKey"]): str(p.get("ParameterValue", "")) for p in found.get("Parameters", [])}
    stack = Stack(
        name=name,
        archive_bucket=outputs.get(OUTPUTS["archive"]),
        payload_bucket=outputs.get(OUTPUTS["payloads"]),
        failure_queue_url=outputs.get(OUTPUTS["queue"]),
        parameters=parameters,
    )
    if not (stack.payload_bucket or stack.failure_queue_url):
        raise UsageError(
            f"the stack {name} has no {OUTPUTS['payloads']} or {OUTPUTS['queue']} output: not a receiver stack"
        )
    return stack


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--stack", required=True, help="the receiver's stack: its outputs name the three places")
    parser.add_argument(
        "--member-id", action="append", default=[], metavar="ID", help="a member id (repeat for each of their ids)"
    )
    parser.add_argument(
        "--email", action="append", default=[], metavar="ADDRESS", help="an e-mail address (case-insensitive; repeat)"
    )
    parser.add_argument("--since", type=date.fromisoformat, help="first archive day scanned, YYYY-MM-DD (default: all)")
    parser.add_argument("--until", type=date.fromisoformat, help="the day after the last scanned (default: all)")
    parser.add_argument(
        "--dry-run", action="store_true", help="read everything and print what would go; change nothing"
    )
    parser.add_argument("--region", help="AWS region (default: your AWS configuration's)")


def parser() -> argparse.ArgumentParser:
    parse = argparse.ArgumentParser(
        prog="webhooks-ops forget",
        description="Remove every event about one member from the stack's S3 archive, payload bucket and failure "
        "queue (a member's erasure request, docs/operations.md), and say what it cannot remove.",
        allow_abbrev=False,
    )
    add_arguments(parse)
    return parse


def client_config() -> Any:
    """Parameter validation on (botocore's default, said explicitly: the receiver's clients turn it off)."""
    from botocore.config import Config

    return Config(
        parameter_validation=True,
        retries={"mode": "standard", "max_attempts": 10},
        connect_timeout=10,
        read_timeout=60,
    )


def _listed(out: TextIO, keys: list[str]) -> None:
    for key in keys:
        out.write(f"    {key}\n")


def _days(parameters: dict[str, str], name: str, default: str) -> str:
    return parameters.get(name) or default


def print_report(out: TextIO, stack: Stack, member: Member, report: Report, dry_run: bool) -> None:
    """Counts and keys only: never a body, never an address but those given."""
    would = "would be " if dry_run else ""
    out.write(f"forget on stack {stack.name}: {member.describe()}{' (dry run)' if dry_run else ''}\n")
    _print_archive(out, report.archive, would)
    _print_payloads(out, report.payloads, would)
    if report.foreign_pointers:
        out.write(f"{report.foreign_pointers} pointer(s) into another bucket than the stack's: not followed\n")
    _print_queue(out, report.queue, would)
    print_limits(out, stack)
    out.write("dry run: nothing was changed\n" if dry_run else "done\n")


def _print_archive(out: TextIO, archive: ArchiveReport, would: str) -> None:
    if archive.bucket is None:
        out.write(
            "S3 archive: none on this stack (no ArchiveBucketName output: EnableArchive=false or DeliveryMode=fifo)\n"
        )
        return
    out.write(f"S3 archive, bucket {archive.bucket}, events/ ({archive.days}):\n")
    objects = len(archive.rewritten) + len(archive.deleted)
    out.write(f"  {archive.events} event(s) {would}removed from {objects} object(s)\n")
    if archive.rewritten:
        out.write(f"  {would}rewritten under the same key, every other line as it was:\n")
        _listed(out, archive.rewritten)
    if archive.deleted:
        out.write(f"  {would}deleted with every version (nothing else in them):\n")
        _listed(out, archive.deleted)
    out.write(f"  {archive.versions} old version(s) {would}deleted (versioning keeps what a rewrite replaces)\n")
    if archive.unreadable:
        out.write(f"  {archive.unreadable} line(s) not SNS envelopes: searched for the e-mail only\n")
    if archive.errors is None:
        out.write("  errors/: not listed (access denied: the role may list events/ only); look there yourself\n")
    else:
        out.write(
            f"  errors/: {archive.errors} object(s) (records Firehose could not partition, anyone's: not read"
            f"{'; look at them' if archive.errors else ''})\n"
        )


def _print_payloads(out: TextIO, payloads: PayloadReport, would: str) -> None:
    if payloads.bucket is None:
        return
    out.write(f"Payload bucket, {payloads.bucket}, payloads/ (events over 256 KiB, every day):\n")
    out.write(f"  {len(payloads.deleted)} large event(s) {would}deleted with every version")
    out.write(f" ({payloads.versions} old version(s)):\n" if payloads.deleted else "\n")
    _listed(out, payloads.deleted)
    if payloads.too_large:
        out.write(f"  {payloads.too_large} object(s) over {PAYLOAD_READ_LIMIT} bytes: not the receiver's, not read\n")


def _print_queue(out: TextIO, queue: QueueReport, would: str) -> None:
    if queue.url is None:
        return
    out.write(f"Failure queue, {queue.url}:\n")
    out.write(
        f"  {queue.removed} of {queue.received} message(s) {would}deleted; "
        f"{queue.released} visible again for the redrive\n"
    )
    if queue.release_failed:
        out.write(f"  {queue.release_failed} could not be released: they are visible again after {HOLD_SECONDS} s\n")
    if queue.in_flight:
        out.write(
            f"  {queue.in_flight} message(s) were held by another reader (a redrive?) and not read: "
            "run forget again once they are visible\n"
        )


def print_limits(out: TextIO, stack: Stack) -> None:
    """What forget cannot remove, and who must."""
    parameters = stack.parameters
    retention = _days(parameters, "ArchiveRetentionDays", "90")
    out.write("Not removed by forget:\n")
    if parameters.get("DeliveryMode") == "fifo" and parameters.get("EnableArchive", "true") == "true":
        out.write(
            f"  - the FIFO topics' message archive: SNS keeps every message {retention} days (ArchiveRetentionDays) "
            "and deletes none on request; only the retention removes them (a lower ArchiveRetentionDays "
            "shortens it for everyone; turning the archive off deletes all of it)\n"
        )
    elif "DeliveryMode" not in parameters:
        out.write(
            "  - with DeliveryMode=fifo and the archive on, the FIFO topics' message archive: only its retention "
            "(ArchiveRetentionDays) deletes a message\n"
        )
    else:
        out.write(
            "  - the FIFO topics' message archive: none on this stack (DeliveryMode=standard, or the archive off)\n"
        )
    out.write(
        "  - the copies subscribers made (their queues, dead-letter queues, functions' stores, endpoints): "
        "each subscriber must erase the member itself, by the same ids and e-mail\n"
        "  - events still on their way: Firehose writes an event to the archive up to about 7.5 minutes after "
        "it is published, so run forget again later\n"
        "  - CloudWatch Logs, traces and the claims table hold no bodies, only event ids (docs/operations.md, Logs)\n"
    )


def main(
    argv: list[str] | None = None,
    *,
    out: TextIO = sys.stdout,
    err: TextIO = sys.stderr,
    session: Any = None,
    wait_seconds: int = 1,
) -> int:
    """Parse, find the stack, remove, print; 0 when done, 1 when AWS refused a step, 2 for bad input."""
    from botocore.exceptions import BotoCoreError, ClientError

    args = parser().parse_args(argv)
    import boto3

    session = session or boto3.session.Session(region_name=args.region)
    config = client_config()
    try:
        member = Member(args.member_id, args.email)
        if args.since and args.until and args.until <= args.since:
            raise UsageError(f"--until ({args.until}) must be after --since ({args.since})")
        stack = read_stack(session.client("cloudformation", config=config), args.stack)
    except UsageError as error:
        err.write(f"error: {error}\nnothing was changed.\n")
        return USAGE_ERROR
    forget = Forget(
        member,
        stack,
        session.client("s3", config=config),
        session.client("sqs", config=config),
        dry_run=args.dry_run,
        since=args.since,
        until=args.until,
        wait_seconds=wait_seconds,
    )
    try:
        report = forget.run()
    except (BotoCoreError, ClientError, OSError, EOFError) as error:  # AWS refused, or an object is not gzip
        print_report(out, stack, member, forget.report, args.dry_run)
        err.write(f"error: stopped: {error}\nwhat is listed above was done; run the same command again.\n")
        return FAILED
    print_report(out, stack, member, report, args.dry_run)
    return 0
