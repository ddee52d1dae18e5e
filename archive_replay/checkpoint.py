"""Resuming an interrupted replay: the last fully processed object and line, written atomically.

The file also keeps the replay's id, counts and what it replays (bucket, selection, target), so a
resumed run continues the same replay, with the same `replay_id`, and refuses to continue another.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from archive_format import Position


class CheckpointError(ValueError):
    """The checkpoint file belongs to another replay, or cannot be read."""


@dataclass
class Counts:
    read: int = 0
    sent: int = 0
    skipped: int = 0
    failed: int = 0


@dataclass
class Checkpoint:
    path: Path | None
    replay_id: str
    what: dict[str, Any]  # bucket, selection, target: the replay this file is for
    position: Position | None = None
    counts: Counts = field(default_factory=Counts)
    done: bool = False

    @classmethod
    def open(cls, path: Path | None, replay_id: str, what: dict[str, Any]) -> Checkpoint:
        """The saved replay at `path` if there is one (it must be the same replay), else a new one."""
        if path is None or not path.exists():
            return cls(path, replay_id, what)
        try:
            saved = json.loads(path.read_text(encoding="utf-8"))
            position = Position(*saved["position"]) if saved.get("position") else None
            checkpoint = cls(
                path, saved["replay_id"], saved["what"], position, Counts(**saved["counts"]), saved["done"]
            )
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise CheckpointError(f"cannot read the checkpoint {path}: {error}") from error
        if checkpoint.what != what:
            raise CheckpointError(
                f"the checkpoint {path} is of another replay ({json.dumps(checkpoint.what, sort_keys=True)}); "
                "give another file to start this one"
            )
        return checkpoint

    def save(self, position: Position | None = None, *, done: bool = False) -> None:
        if position is not None:
            self.position = position
        self.done = done
        if self.path is None:
            return
        document = {
            "replay_id": self.replay_id,
            "what": self.what,
            "position": list(self.position) if self.position else None,
            "counts": asdict(self.counts),
            "done": self.done,
        }
        temporary = self.path.with_name(self.path.name + ".tmp")
        temporary.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
        os.replace(temporary, self.path)
