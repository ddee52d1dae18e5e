"""The benchmark runs end to end with tiny counts (no timing is asserted: figures are for people)."""

from __future__ import annotations

import io
import re

import pytest

from bench import benchmark


@pytest.fixture(scope="module")
def report() -> str:
    out = io.StringIO()
    assert benchmark.main(["--runs", "1", "--events", "30", "--throughput", "8"], out) == 0
    return out.getvalue()


def test_benchmark_prints_every_figure(report: str) -> None:
    for heading in ("1. cold start", "2. warm latency", "3. AWS calls per request", "4. memory and package",
                    "5. throughput", "6. cost per million events", "bar: cold start", "Tracing=Active",
                    "AWS answered in-process", "CloudWatch Logs"):  # fmt: skip
        assert heading in report
    assert re.search(r"new event\s+3 ", report)
    assert re.search(r"redelivered event\s+1\s+\(dynamodb:PutItem x1\)", report)
    # a concurrent duplicate is answered 503 and kept on the failure queue: the failure path's one extra call
    assert re.search(r"concurrent duplicate\s+2\s+\(dynamodb:PutItem x1, sqs:SendMessage x1\)", report)
    assert re.search(r"invalid signature\s+0 ", report)
    assert re.search(r"TEST challenge\s+0 ", report)
    assert "handler.app" in report  # the import profile


def test_every_figure_is_a_positive_number(report: str) -> None:
    """A row that measured nothing (a skipped call, a failed parse) would print 0, nan or inf."""
    rows = [line for line in report.splitlines() if re.search(r"\d\.\d\dx\b|, ms\b|\bMB\b|\$", line)]
    rows = [row for row in rows if not re.match(r"\d\. ", row)]  # not the headings
    assert len(rows) >= 17, report
    for row in rows:
        numbers = [float(n) for n in re.findall(r"(?<![\w.-])(\d+\.\d+)(?![\w.])", row)]
        assert numbers and all(0 < n < 1e6 for n in numbers), row
    assert not re.search(r"\b(nan|inf)\b", report)
