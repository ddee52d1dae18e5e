"""The archive's delivery stream, emulated: moto delivers SNS to no Firehose and has no dynamic partitioning.

What is emulated, and how:
- each `Protocol: firehose` subscription of template.yaml becomes a non-raw SQS queue subscribed to
  the same topic with the same filter policy, so moto hands it SNS's JSON envelope, as SNS hands
  Firehose (`create_stack` does this);
- `ArchiveWriter.deliver()` is Firehose's buffer flush: it drains those queues and writes, per
  partition, one gzip object under the template's `Prefix`, named as Firehose names objects, one
  envelope per line with the fields SNS gives Firehose (Type, MessageId, TopicArn, Subject, Message,
  Timestamp, UnsubscribeURL, MessageAttributes);
- the partition keys are what the template's JQ query extracts (the `source` attribute; the
  topic's name after `<stack>-`), and `!{timestamp:...}` is the envelope's Timestamp (Firehose
  uses the time it took the record, seconds later).
Not emulated: buffering by size and time, the error prefix, Firehose's retries, encryption.
"""

from __future__ import annotations

import gzip
import json
import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from devkit.template import Template

STREAM_TYPE = "AWS::KinesisFirehose::DeliveryStream"
ENVELOPE_FIELDS = (
    "Type",
    "MessageId",
    "TopicArn",
    "Subject",
    "Message",
    "Timestamp",
    "UnsubscribeURL",
    "MessageAttributes",
)
_JAVA_DATE = {"yyyy": "%Y", "MM": "%m", "dd": "%d", "HH": "%H", "mm": "%M", "ss": "%S"}


def _strftime(java: str) -> str:
    return re.sub("|".join(_JAVA_DATE), lambda match: _JAVA_DATE[match.group(0)], java)


@dataclass
class ArchiveWriter:
    """Writes SNS envelopes to the archive bucket as the template's delivery stream would."""

    s3: Any
    bucket: str
    prefix: str  # the template's Prefix, with !{partitionKeyFromQuery:..} and !{timestamp:..}
    stream_name: str
    topic_prefix: str  # `<stack>-`: the topic's name after it is the noun partition

    @classmethod
    def from_template(cls, template: Template, s3: Any, bucket: str) -> ArchiveWriter:
        [(logical, stream)] = template.of_type(STREAM_TYPE).items()
        props = stream["Properties"]
        return cls(
            s3=s3,
            bucket=bucket,
            prefix=template.resolve(props["ExtendedS3DestinationConfiguration"]["Prefix"]),
            # CloudFormation names the stream (<stack>-<logical id>-<random>); its objects start with it.
            stream_name=f"{template.stack_name}-{logical}-LOCAL",
            topic_prefix=f"{template.stack_name}-",
        )

    def partition_keys(self, envelope: Mapping[str, Any]) -> dict[str, str]:
        """The template's MetadataExtractionQuery, in Python."""
        attributes = envelope.get("MessageAttributes") or {}
        return {
            "source": str(attributes["source"]["Value"]),
            "noun": str(envelope["TopicArn"]).rsplit(":", 1)[1].removeprefix(self.topic_prefix),
        }

    def key_prefix(self, envelope: Mapping[str, Any]) -> str:
        keys = self.partition_keys(envelope)
        taken = datetime.fromisoformat(str(envelope["Timestamp"])).astimezone(UTC)
        prefix = re.sub(r"!\{partitionKeyFromQuery:(\w+)\}", lambda m: keys[m.group(1)], self.prefix)
        return re.sub(r"!\{timestamp:([^}]+)\}", lambda m: taken.strftime(_strftime(m.group(1))), prefix)

    def write(self, envelopes: Iterable[Mapping[str, Any]]) -> list[str]:
        """One gzip object per partition, lines in the order given; the keys written."""
        by_prefix: dict[str, list[bytes]] = {}
        for envelope in envelopes:
            line = json.dumps({name: envelope[name] for name in ENVELOPE_FIELDS if name in envelope})
            by_prefix.setdefault(self.key_prefix(envelope), []).append(line.encode() + b"\n")
        written = []
        for prefix, lines in by_prefix.items():
            stamp = datetime.now(UTC).strftime("%Y-%m-%d-%H-%M-%S")
            key = f"{prefix}{self.stream_name}-1-{stamp}-{uuid.uuid4()}.gz"
            self.s3.put_object(Bucket=self.bucket, Key=key, Body=gzip.compress(b"".join(lines)))
            written.append(key)
        return written


@dataclass
class EmulatedArchive:
    """The archive of an emulated stack: the queues standing for the subscriptions, and the writer."""

    writer: ArchiveWriter
    sqs: Any
    queues: dict[str, str]  # subscription logical id -> queue URL

    def deliver(self) -> list[str]:
        """Flush: everything SNS has handed the stream so far, written to the bucket; the keys written."""
        from devkit.queues import drain_bodies

        envelopes = [json.loads(body) for url in self.queues.values() for body in drain_bodies(self.sqs, url)]
        return self.writer.write(envelopes)
