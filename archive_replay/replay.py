"""The replay loop: archived events in archive order, filtered, batched, sent, counted and checkpointed."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, TextIO

from archive_format import ArchivedEvent, Position, Unreadable, events_in, keys, partitions
from archive_replay.checkpoint import Checkpoint, Counts
from archive_replay.selection import ROOT, Selection
from archive_replay.targets import Replayed, Target, replayed

SAVE_EVERY = 1000  # events consumed between checkpoints when nothing is being sent (a long filtered-out stretch)


def archived(
    s3: Any, bucket: str, selection: Selection, resume: Position | None = None
) -> Iterator[ArchivedEvent | Unreadable]:
    """Every archived event in the selection's partitions, in key order, after `resume` if given."""
    for source in partitions(s3, bucket, ROOT):
        if not selection.wants_source(source):
            continue
        for noun in partitions(s3, bucket, f"{ROOT}source={source}/"):
            if not selection.wants_noun_partition(noun):
                continue
            days = partitions(s3, bucket, f"{ROOT}source={source}/noun={noun}/")
            for prefix in (f"{ROOT}source={source}/noun={noun}/dt={day}/" for day in days if selection.wants_day(day)):
                start_after = ""
                if resume is not None and resume.key >= prefix:
                    if resume.key.startswith(prefix):
                        yield from events_in(s3, bucket, resume.key, resume.line)
                    start_after = resume.key
                for key in keys(s3, bucket, prefix, start_after):
                    yield from events_in(s3, bucket, key)


@dataclass
class Progress:
    """A progress line on stderr at most every `every` seconds (rewritten in place on a terminal)."""

    out: TextIO = sys.stderr
    every: float = 1.0
    started: float = field(default_factory=time.monotonic)
    last: float = 0.0

    def show(self, counts: Counts, where: str, *, final: bool = False) -> None:
        now = time.monotonic()
        if not final and now - self.last < self.every:
            return
        self.last = now
        rate = counts.read / max(now - self.started, 1e-9)
        line = (
            f"read {counts.read:,}  sent {counts.sent:,}  skipped {counts.skipped:,}  failed {counts.failed:,}"
            f"  ({rate:,.0f} events/s)  {where}"
        )
        terminal = self.out.isatty()
        self.out.write(("\r\x1b[K" + line + ("\n" if final else "")) if terminal else line + "\n")
        self.out.flush()


def run(
    events: Iterator[ArchivedEvent | Unreadable],
    selection: Selection,
    target: Target | None,
    checkpoint: Checkpoint,
    *,
    progress: Progress | None = None,
    failures: Callable[[Position, str], None] = lambda _position, _reason: None,
) -> Counts:
    """Send the selected events to `target` (None: a dry run that only counts). Returns the counts."""
    counts = checkpoint.counts
    batch: list[Replayed] = []
    batch_bytes = 0
    position: Position | None = None
    since_save = 0

    def flush() -> None:
        nonlocal batch, batch_bytes, since_save
        if batch and target is not None:
            failed = target.send(batch)
            counts.failed += len(failed)
            counts.sent += len(batch) - len(failed)
            for item, reason in failed:
                failures(item.event.position, reason)
        batch, batch_bytes, since_save = [], 0, 0
        checkpoint.save(position)

    for event in events:
        matched = not isinstance(event, Unreadable) and selection.matches(event)
        item = (
            replayed(event, checkpoint.replay_id)
            if target is not None and not isinstance(event, Unreadable) and matched
            else None
        )
        if (
            item
            and target
            and batch
            and (len(batch) >= target.max_entries or batch_bytes + item.size > target.max_bytes)
        ):
            flush()  # before this event counts: the checkpoint is the last event of the batch
        counts.read += 1
        if isinstance(event, Unreadable):
            counts.failed += 1
            failures(event.position, event.reason)
        elif item is not None:
            batch.append(item)
            batch_bytes += item.size
        elif matched:
            counts.sent += 1  # a dry run: would send
        else:
            counts.skipped += 1
        position = event.position
        since_save += 1
        if not batch and since_save >= SAVE_EVERY:
            checkpoint.save(position)
            since_save = 0
        if progress:
            progress.show(counts, position.key)
    flush()
    checkpoint.save(done=True)
    if progress:
        progress.show(counts, "done", final=True)
    return counts
