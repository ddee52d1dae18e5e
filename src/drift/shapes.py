"""The shape of archived events: request types, event names, nouns and field paths; names only, never values.

A shape is built from one day's archive and compared with the last days that had events, so that an
operator hears when a platform starts sending a new event, a new field, or stops sending one. Pure:
the scheduled job (`drift.app`) and the operator command (`webhooks-ops shapes`) read the archive
and hand the bodies in.

Compared with several days, not one, because many fields are optional: a list that is empty one day
(`tags`, `attachments`) has no item fields that day. "New" is what none of those days had, and "not
seen" is what every one of them had, so an optional field does not come and go in the reports.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

MAX_DEPTH = 8  # deeper structure is the content's (rich text, settings), not the event's shape
MAX_PATHS = 2_000  # per event name: a body is data, and a sender could make it as wide as it likes
POINTER_CLASS = "software.amazon.payloadoffloading.PayloadS3Pointer"


@dataclass
class Shape:
    """What one period of the archive held: names, never values."""

    events: int = 0
    bodies: int = 0  # events whose body was read (an event over 256 KiB is archived as its S3 pointer)
    request_types: set[str] = field(default_factory=set)  # "bettermode:SUBSCRIPTION", ...
    event_names: set[str] = field(default_factory=set)  # "bettermode:post.published", "cand:member.joined"
    nouns: set[str] = field(default_factory=set)  # "bettermode:POST", ...
    fields: dict[str, set[str]] = field(default_factory=dict)  # event name -> field paths

    def add(self, source: str, event_name: str, noun: str, body: str) -> None:
        """One archived event: its names, and its body's field paths (unless it is an S3 pointer)."""
        self.events += 1
        name = f"{source}:{event_name}"
        self.event_names.add(name)
        self.nouns.add(f"{source}:{noun}")
        try:
            document = json.loads(body)
        except ValueError:
            return
        if isinstance(document, list) and document[:1] == [POINTER_CLASS]:
            return  # an event over 256 KiB, archived as its pointer: its names count, not its fields
        if isinstance(document, dict):
            self.bodies += 1
            if source == "bettermode" and isinstance(document.get("type"), str):
                self.request_types.add(f"{source}:{document['type']}")
            found = self.fields.setdefault(name, set())
            found |= set(paths(document))
            if len(found) > MAX_PATHS:
                self.fields[name] = set(sorted(found)[:MAX_PATHS])

    def to_json(self) -> str:
        return json.dumps(
            {
                "events": self.events,
                "bodies": self.bodies,
                "request_types": sorted(self.request_types),
                "event_names": sorted(self.event_names),
                "nouns": sorted(self.nouns),
                "fields": {name: sorted(found) for name, found in sorted(self.fields.items())},
            },
            indent=1,
        )

    @classmethod
    def union(cls, shapes: Iterable[Shape]) -> Shape:
        """Everything any of the shapes held (the counts added up)."""
        merged = cls()
        for shape in shapes:
            merged.events += shape.events
            merged.bodies += shape.bodies
            merged.request_types |= shape.request_types
            merged.event_names |= shape.event_names
            merged.nouns |= shape.nouns
            for name, found in shape.fields.items():
                merged.fields.setdefault(name, set()).update(found)
        return merged

    @classmethod
    def from_json(cls, text: str) -> Shape:
        document = json.loads(text)
        return cls(
            events=int(document.get("events", 0)),
            bodies=int(document.get("bodies", 0)),
            request_types=set(document.get("request_types", [])),
            event_names=set(document.get("event_names", [])),
            nouns=set(document.get("nouns", [])),
            fields={name: set(found) for name, found in (document.get("fields") or {}).items()},
        )


def paths(value: Any, prefix: str = "", depth: int = 0) -> Iterable[str]:
    """Every field path of a JSON value: `data.object.title`; a list's items under `[]`."""
    if depth >= MAX_DEPTH:
        return
    if isinstance(value, Mapping):
        for key, item in value.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            yield path
            yield from paths(item, path, depth + 1)
    elif isinstance(value, list):
        for item in value[:20]:  # the shape of a list is the shape of its first items
            yield from paths(item, f"{prefix}[]", depth + 1)


@dataclass
class Changes:
    """What is new or gone in a later shape, compared with an earlier one."""

    new: dict[str, list[str]] = field(default_factory=dict)  # kind ("event names", ...) -> names
    gone: dict[str, list[str]] = field(default_factory=dict)
    fields_new: dict[str, list[str]] = field(default_factory=dict)  # event name -> paths
    fields_gone: dict[str, list[str]] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return any((self.new, self.gone, self.fields_new, self.fields_gone))


def compare(before: Shape, after: Shape) -> Changes:
    """New and gone names, and the fields new or gone in the event names both periods saw."""
    return compare_history([before], after)


def _all(sets: Sequence[set[str]]) -> set[str]:
    """What every one of the sets holds."""
    return set.intersection(*sets) if sets else set()


def compare_history(history: Sequence[Shape], after: Shape) -> Changes:
    """What is new in `after` (in none of the `history` shapes) or not seen (in every one of them).

    An event name not seen in `after` is "gone" from that period only: a quiet day is not a removal,
    so the report says "not seen" and the fields of events not seen are never compared. Fields are
    compared only with the days whose archive held a body of that event name (not only S3 pointers).
    """
    changes = Changes()
    with_bodies = [shape for shape in history if shape.bodies]
    kinds = [
        ("event names", [shape.event_names for shape in history], after.event_names),
        ("nouns", [shape.nouns for shape in history], after.nouns),
    ]
    if with_bodies and after.bodies:  # request types are read from bodies: none read, none compared
        kinds.insert(0, ("request types", [shape.request_types for shape in with_bodies], after.request_types))
    for kind, earlier, later in kinds:
        if not earlier:
            continue
        if later - set().union(*earlier):
            changes.new[kind] = sorted(later - set().union(*earlier))
        if _all(earlier) - later:
            changes.gone[kind] = sorted(_all(earlier) - later)
    for name in sorted(after.fields):
        earlier_fields = [shape.fields[name] for shape in history if shape.fields.get(name)]
        later_fields = after.fields[name]
        if not earlier_fields or not later_fields:  # a new event name, or only pointers on one side
            continue
        if later_fields - set().union(*earlier_fields):
            changes.fields_new[name] = sorted(later_fields - set().union(*earlier_fields))
        if _all(earlier_fields) - later_fields:
            changes.fields_gone[name] = sorted(_all(earlier_fields) - later_fields)
    return changes


def report(period: str, previous: str, before: Shape, after: Shape, changes: Changes) -> str:
    """A short report for people: what is new, what was not seen, field by field."""
    lines = [f"Payload drift, {period} ({after.events} events) against {previous} ({before.events} events)"]
    if not changes:
        lines.append("No change: the same request types, event names, nouns and fields.")
    for kind, names in changes.new.items():
        lines.append(f"New {kind}: {', '.join(names)}")
    for name, found in changes.fields_new.items():
        lines.append(f"New fields in {name}: {', '.join(found)}")
    for kind, names in changes.gone.items():
        lines.append(f"Not seen this time ({kind}): {', '.join(names)}")
    for name, found in changes.fields_gone.items():
        lines.append(f"Fields gone from {name}: {', '.join(found)}")
    return "\n".join(lines) + "\n"
