"""The replay benchmark runs end to end with tiny counts (no figure is asserted but the counts)."""

from __future__ import annotations

import io
import re

from bench import replay


def test_replay_benchmark_prints_memory_at_each_mark_and_rates() -> None:
    out = io.StringIO()
    assert replay.main(["--events", "60", "--per-object", "25"], out) == 0
    text = out.getvalue()
    assert "archive: 60 events" in text
    for label in ("dry run", "to an SQS queue"):
        [row] = [line for line in text.splitlines() if line.startswith(label)]
        assert re.search(
            r"(\s+\d+\.\d \(\d+\.\d\)){4}\s+[\d,]+\s+\{'read': 60, 'sent': 60, 'skipped': 0, 'failed': 0\}", row
        ), row
    assert "@6" in text and "@30" in text and "@60" in text
