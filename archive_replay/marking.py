"""What marks a replayed message: the original attributes plus `replay_id`, at most 10 in all.

SQS drops a raw-delivered message with more than 10 attributes. The receiver publishes at most 9
filter attributes, and `ExtendedPayloadSize` beside them for a large event, so `replay_id` can push a
large event to 11: then the last of the provider's own attributes gives way, never `replay_id`,
`ExtendedPayloadSize` or the shared ones filter policies rely on.
"""

from __future__ import annotations

import uuid

from archive_format import ArchivedEvent

REPLAY_ATTRIBUTE = "replay_id"
SIZE_ATTRIBUTE = "ExtendedPayloadSize"
MAX_ATTRIBUTES = 10
KEPT_FIRST = ("source", "event_id", "event_name", "noun", "verb", SIZE_ATTRIBUTE)

Attributes = dict[str, tuple[str, str]]  # name -> (SNS/SQS data type, value)


def new_replay_id() -> str:
    return f"replay-{uuid.uuid4().hex[:16]}"


def replay_attributes(event: ArchivedEvent, replay_id: str) -> Attributes:
    """The event's attributes as published, plus `replay_id`, within SQS's 10."""
    original = {name: value for name, value in event.attributes.items() if name != REPLAY_ATTRIBUTE}
    first = {name: original[name] for name in KEPT_FIRST if name in original}
    rest = [(name, value) for name, value in original.items() if name not in first]
    room = MAX_ATTRIBUTES - 1 - len(first)
    return {**first, **dict(rest[: max(0, room)]), REPLAY_ATTRIBUTE: ("String", replay_id)}


def attributes_size(attributes: Attributes) -> int:
    """What SNS and SQS count of the attributes against their 256 KiB."""
    return sum(
        len(name.encode()) + len(kind.encode()) + len(value.encode()) for name, (kind, value) in attributes.items()
    )
