"""Which archived events a replay takes, and which partitions of the archive hold them.

The archive is laid out `events/source=<source>/noun=<topic's noun>/dt=<yyyy-MM-dd>/`, so a replay
lists the `dt=` partitions of each source and noun (one listing each) and reads only the days of its
range; with `--source` or `--noun`, only those partitions.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from archive_format import ArchivedEvent

ROOT = "events/"
CATCH_ALL_NOUN = "OTHER"  # the catch-all topic's partition: events of nouns without a topic of their own
SOURCES = ("bettermode", "cand")
LATE_DAYS = 1  # Firehose dates an object by when it took the record: a day's last events may sit in the next


class SelectionError(ValueError):
    """The selection cannot be replayed as given (an empty range, an unknown value)."""


def parse_time(text: str) -> datetime:
    """An ISO 8601 date or time; without a zone it is UTC, a date alone is its midnight."""
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError as error:
        raise SelectionError(
            f"not an ISO 8601 date or time: {text!r} (e.g. 2025-05-01 or 2025-05-01T12:00Z)"
        ) from error
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _values(given: Iterable[str] | None) -> frozenset[str]:
    """Repeated options and comma-separated lists alike: `--noun POST --noun SPACE` = `--noun POST,SPACE`."""
    return frozenset(part.strip() for value in (given or ()) for part in value.split(",") if part.strip())


@dataclass(frozen=True)
class Selection:
    """A half-open time range [since, until) and filters on the events' message attributes (any value matches)."""

    since: datetime
    until: datetime
    sources: frozenset[str] = frozenset()
    event_names: frozenset[str] = frozenset()
    nouns: frozenset[str] = frozenset()
    network_ids: frozenset[str] = frozenset()
    event_ids: frozenset[str] = frozenset()

    @classmethod
    def parse(
        cls,
        since: str,
        until: str,
        *,
        sources: Iterable[str] | None = None,
        event_names: Iterable[str] | None = None,
        nouns: Iterable[str] | None = None,
        network_ids: Iterable[str] | None = None,
        event_ids: Iterable[str] | None = None,
    ) -> Selection:
        selection = cls(
            since=parse_time(since),
            until=parse_time(until),
            sources=_values(sources),
            event_names=_values(event_names),
            nouns=_values(nouns),
            network_ids=_values(network_ids),
            event_ids=_values(event_ids),
        )
        if selection.until <= selection.since:
            raise SelectionError(
                f"the range is empty: --until ({selection.until.isoformat()}) must be after --since "
                f"({selection.since.isoformat()})"
            )
        unknown = selection.sources - set(SOURCES)
        if unknown:
            raise SelectionError(f"unknown source {', '.join(sorted(unknown))}: the sources are {', '.join(SOURCES)}")
        return selection

    def describe(self) -> dict[str, object]:
        """The selection as plain data: a checkpoint resumes only the replay it was written for."""
        return {
            "since": self.since.isoformat(),
            "until": self.until.isoformat(),
            **{
                name: sorted(getattr(self, name))
                for name in ("sources", "event_names", "nouns", "network_ids", "event_ids")
            },
        }

    # ----- which partitions ------------------------------------------------------------------
    def wants_day(self, day: str) -> bool:
        """A `dt=` partition of the range, or the day after it (late arrivals)."""
        try:
            value = date.fromisoformat(day)
        except ValueError:
            return False
        first, last = self.since.date(), (self.until - timedelta(microseconds=1)).date()
        return first <= value <= last + timedelta(days=LATE_DAYS)

    def wants_source(self, source: str) -> bool:
        return not self.sources or source in self.sources

    def wants_noun_partition(self, noun: str) -> bool:
        """The partition of a topic's noun; the catch-all's whenever a noun is asked for (any noun can be there)."""
        return not self.nouns or noun in self.nouns or noun == CATCH_ALL_NOUN

    # ----- which events -----------------------------------------------------------------------
    def matches(self, event: ArchivedEvent) -> bool:
        if not self.since <= event.published_at() < self.until:
            return False
        value = event.attribute
        network = value("network_id") or value("community_id")  # canD's community is its network
        return all(
            not wanted or found in wanted
            for wanted, found in (
                (self.sources, value("source")),
                (self.event_names, value("event_name")),
                (self.nouns, value("noun")),
                (self.network_ids, network),
                (self.event_ids, value("event_id")),
            )
        )
