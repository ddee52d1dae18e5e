"""The shape of archived events: request types, event names, nouns and field paths; names only, never values.

A shape is built from one day's archive and compared with the previous one, so that an operator
hears when a platform starts sending a new event, a new field, or stops sending one. Pure: the
scheduled job (`drift.app`) and the operator command (`webhooks-ops shapes`) read the archive and
hand the bodies in.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
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
    """New and gone names, and the fields new or gone in the event names both periods saw.

    An event name not seen in `after` is "gone" from that period only: a quiet day is not a removal,
    so the report says "not seen" and the fields of events not seen are never compared.
    """
    changes = Changes()
    kinds = [("event names", before.event_names, after.event_names), ("nouns", before.nouns, after.nouns)]
    if before.bodies and after.bodies:  # request types are read from bodies: none read, none compared
        kinds.insert(0, ("request types", before.request_types, after.request_types))
    for kind, earlier, later in kinds:
        if later - earlier:
            changes.new[kind] = sorted(later - earlier)
        if earlier - later:
            changes.gone[kind] = sorted(earlier - later)
    for name in sorted(before.event_names & after.event_names):
        earlier, later = before.fields.get(name, set()), after.fields.get(name, set())
        if not earlier or not later:  # only pointers on one side: nothing to compare
            continue
        if later - earlier:
            changes.fields_new[name] = sorted(later - earlier)
        if earlier - later:
            changes.fields_gone[name] = sorted(earlier - later)
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
