"""The archive's format: objects listed page by page and read line by line through gzip.

The replay (`archive_replay`) and the payload drift report (`drift`) both read the archive with it.

Nothing holds more than one S3 listing page and one line at a time, so memory stays flat
whatever the range. Each line is SNS's JSON envelope as Firehose wrote it.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import IO, Any, NamedTuple, cast

GZIP_MAGIC = b"\x1f\x8b"


class Position(NamedTuple):
    """An event's place in the archive: its object and line (1-based). Keys sort in reading order."""

    key: str
    line: int


@dataclass(frozen=True)
class ArchivedEvent:
    """One archived message: the body as published, its attributes (name -> (type, value)) and topic."""

    position: Position
    message: str
    attributes: dict[str, tuple[str, str]]
    topic_arn: str
    timestamp: str
    message_id: str

    @classmethod
    def from_line(cls, line: bytes, position: Position) -> ArchivedEvent:
        envelope = json.loads(line)
        attributes = {
            name: (str(value.get("Type", "String")), str(value.get("Value", "")))
            for name, value in (envelope.get("MessageAttributes") or {}).items()
        }
        return cls(
            position=position,
            message=str(envelope["Message"]),
            attributes=attributes,
            topic_arn=str(envelope["TopicArn"]),
            timestamp=str(envelope["Timestamp"]),
            message_id=str(envelope.get("MessageId", "")),
        )

    def attribute(self, name: str) -> str | None:
        found = self.attributes.get(name)
        return found[1] if found else None

    def published_at(self) -> datetime:
        """When the receiver published it (SNS's Timestamp, UTC)."""
        return datetime.fromisoformat(self.timestamp).astimezone(UTC)


class Unreadable(NamedTuple):
    """A line that is not an SNS envelope: counted as failed, never sent."""

    position: Position
    reason: str


class _Prepended:
    """A stream with bytes already read put back in front of it (to sniff gzip's magic number)."""

    def __init__(self, head: bytes, stream: Any) -> None:
        self.head, self.stream = head, stream

    def read(self, size: int = -1) -> bytes:
        if not self.head:
            return bytes(self.stream.read(size) if size >= 0 else self.stream.read())
        if size < 0:
            taken, self.head = self.head + bytes(self.stream.read()), b""
            return taken
        taken, self.head = self.head[:size], self.head[size:]
        return taken


def lines(stream: Any) -> Iterator[bytes]:
    """The non-empty lines of an object's body, gunzipped when it is gzip (Firehose's GZIP), streamed."""
    head = stream.read(2)
    body = _Prepended(head, stream)
    reader: Any = gzip.GzipFile(fileobj=cast(IO[bytes], body), mode="rb") if head == GZIP_MAGIC else body
    pending = b""
    while chunk := reader.read(1 << 16):
        pending += chunk
        *complete, pending = pending.split(b"\n")
        yield from (line for line in complete if line.strip())
    if pending.strip():
        yield pending


def keys(s3: Any, bucket: str, prefix: str, start_after: str = "") -> Iterator[str]:
    """Object keys under a prefix in S3's (lexicographic) order, one listing page at a time."""
    paginator = s3.get_paginator("list_objects_v2")
    pages = paginator.paginate(Bucket=bucket, Prefix=prefix, **({"StartAfter": start_after} if start_after else {}))
    for page in pages:
        for item in page.get("Contents", []):
            yield item["Key"]


def partitions(s3: Any, bucket: str, prefix: str) -> list[str]:
    """The values of the next `name=value/` level under a prefix (e.g. the sources under events/)."""
    found: list[str] = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix, Delimiter="/"):
        for common in page.get("CommonPrefixes", []):
            found.append(common["Prefix"][len(prefix) :].rstrip("/").split("=", 1)[-1])
    return sorted(found)


def events_in(s3: Any, bucket: str, key: str, after_line: int = 0) -> Iterator[ArchivedEvent | Unreadable]:
    """The events of one object, from the line after `after_line`."""
    body = s3.get_object(Bucket=bucket, Key=key)["Body"]
    try:
        for number, line in enumerate(lines(body), start=1):
            if number <= after_line:
                continue
            try:
                yield ArchivedEvent.from_line(line, Position(key, number))
            except (ValueError, KeyError, TypeError, AttributeError) as error:
                yield Unreadable(Position(key, number), f"not an SNS envelope: {error!r}"[:200])
    finally:
        body.close()
