"""Every pipeline step fails in turn, with a sender that retries and one that never does: nothing is lost
but in the one documented window, and no duplicate beyond the documented ones.

Each scenario runs once per sender, here and nowhere else: every run's report is kept, and the
session prints them together as `make reliability` does (tests/conftest.py), so CI shows the
report without running the scenarios a second time.
"""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Callable

import pytest

from devkit import reliability

SCENARIOS = {scenario.name: scenario for scenario in reliability.SCENARIOS}
BURST_WITHIN, BURST_ABOVE = (name for name in SCENARIOS if name.startswith("burst"))


@pytest.mark.parametrize("mode", reliability.MODES)
@pytest.mark.parametrize("scenario", reliability.SCENARIOS, ids=lambda s: s.name)
def test_a_retrying_sender_loses_nothing_and_duplicates_only_in_the_documented_windows(
    scenario: reliability.Scenario, mode: str, keep_report: Callable[[reliability.Report], None]
) -> None:
    """In fifo, every retry comes within SNS's deduplication interval: no duplicate at all."""
    report = reliability.run_scenario(scenario, reliability.RETRYING, mode)
    keep_report(report)
    assert report.lost == 0
    assert report.acknowledged == report.events == report.published
    if mode == "fifo":
        assert report.duplicates == 0
    else:
        assert report.duplicates == scenario.duplicates_allowed  # the window is real, and no wider
    assert sum(report.rejected.values()) == 2  # the forged requests, refused whatever the faults
    for fault in scenario.faults:
        assert report.faults[fault.kind] > 0, f"{fault.kind} never fired"
    if scenario.platform_gives_up:
        assert report.accepted == 0
        assert report.redriven == report.events
    if scenario.name == BURST_WITHIN:
        assert report.throttled == 0  # the template's default throttle takes the burst
    if scenario.name == BURST_ABOVE:
        assert report.throttled > 0  # 429s, each retried until the event got through
    assert report.ok


@pytest.mark.parametrize("mode", reliability.MODES)
@pytest.mark.parametrize("scenario", reliability.SCENARIOS, ids=lambda s: s.name)
def test_a_sender_that_never_retries_finds_each_event_published_or_kept_then_redriven_once(
    scenario: reliability.Scenario, mode: str, keep_report: Callable[[reliability.Report], None]
) -> None:
    """One attempt per event: what the stack answered non-2xx is on the failure queue, and one redrive
    publishes it; only a function killed before it could answer loses an event (documented)."""
    report = reliability.run_scenario(scenario, reliability.NEVER_RETRIES, mode)
    keep_report(report)
    reached = report.events - report.unsent
    assert report.lost_before_redrive == scenario.lost_without_retry  # published or kept, but there
    assert report.lost == scenario.lost_without_retry
    assert report.published == reached - scenario.lost_without_retry
    assert report.duplicates <= (0 if mode == "fifo" else scenario.duplicates_allowed)
    assert report.requests == report.events + 2  # exactly one attempt each, plus the two forged ones
    if scenario.faults and not any(fault.crash for fault in scenario.faults):
        assert report.kept > 0 or scenario.name.startswith(("completion", "publish times out after"))
    if scenario.name == BURST_WITHIN:
        assert report.throttled == 0
    if scenario.name == BURST_ABOVE:
        assert report.throttled == report.unsent > 0  # each 429 an event the stack never saw
        assert report.published == report.events - report.unsent
    assert report.ok


def test_the_report_prints_both_senders_the_figures_and_the_bar() -> None:
    out = io.StringIO()
    assert reliability.main(out, (SCENARIOS["publish times out after SNS has it"],)) == 0
    text = out.getvalue()
    assert "DeliveryMode=standard (standard topics), sender that retries:" in text
    assert "DeliveryMode=fifo (FIFO topics), sender that never retries:" in text
    assert "events 16, published 16, duplicates 2, lost 0" in text  # both in standard, none in fifo
    assert "faults injected: sns timeout after publish x4" in text
    assert "fifo: 0 duplicates in 2 runs" in text
    assert "bar: lost = 0 (but in the one documented window), duplicates only in the documented windows -> met" in text


def test_a_report_survives_its_trip_between_processes() -> None:
    report = reliability.Report("s", rejected=Counter({"401 unauthorized": 2}), published=3)
    again = reliability.Report.from_json(report.to_json())
    assert again == report and again.rejected["401 unauthorized"] == 2
