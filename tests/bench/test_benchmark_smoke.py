"""The benchmark runs end to end with tiny counts (no timing is asserted: figures are for people)."""

from __future__ import annotations

import io
import re

from bench import benchmark


def test_benchmark_prints_every_figure() -> None:
    out = io.StringIO()
    assert benchmark.main(["--runs", "1", "--events", "30", "--throughput", "8"], out) == 0
    text = out.getvalue()
    for heading in ("1. cold start", "2. warm latency", "3. AWS calls per request", "4. memory and package",
                    "5. throughput", "6. cost per million events", "bar: cold start", "Tracing=Active"):  # fmt: skip
        assert heading in text
    assert re.search(r"new event\s+3 ", text)
    assert re.search(r"redelivered event\s+1\s+\(dynamodb:PutItem x1\)", text)
    assert re.search(r"invalid signature\s+0 ", text)
    assert re.search(r"TEST challenge\s+0 ", text)
    assert "handler.app" in text  # the import profile
