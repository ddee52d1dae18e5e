"""Every pipeline step fails in turn, with a sender that retries and one that never does: nothing is lost
but in the one documented window, and no duplicate beyond the documented ones."""

from __future__ import annotations

import io

import pytest

from devkit import reliability


@pytest.mark.parametrize("scenario", reliability.SCENARIOS, ids=lambda s: s.name)
def test_a_retrying_sender_loses_nothing_and_duplicates_only_in_the_documented_windows(
    scenario: reliability.Scenario,
) -> None:
    report = reliability.run_scenario(scenario, reliability.RETRYING)
    assert report.lost == 0
    assert report.acknowledged == report.events == report.published
    assert report.duplicates == scenario.duplicates_allowed  # the window is real, and no wider
    assert sum(report.rejected.values()) == 2  # the forged requests, refused whatever the faults
    for fault in scenario.faults:
        assert report.faults[fault.kind] > 0, f"{fault.kind} never fired"
    if scenario.platform_gives_up:
        assert report.accepted == 0
        assert report.redriven == report.events
    assert report.ok


@pytest.mark.parametrize("scenario", reliability.SCENARIOS, ids=lambda s: s.name)
def test_a_sender_that_never_retries_finds_each_event_published_or_kept_then_redriven_once(
    scenario: reliability.Scenario,
) -> None:
    """One attempt per event: what the stack answered non-2xx is on the failure queue, and one redrive
    publishes it; only a function killed before it could answer loses an event (documented)."""
    report = reliability.run_scenario(scenario, reliability.NEVER_RETRIES)
    reached = report.events - report.unsent
    assert report.lost_before_redrive == scenario.lost_without_retry  # published or kept, but there
    assert report.lost == scenario.lost_without_retry
    assert report.published == reached - scenario.lost_without_retry
    assert report.duplicates <= scenario.duplicates_allowed
    assert report.requests == report.events + 2  # exactly one attempt each, plus the two forged ones
    if scenario.faults and not any(fault.crash for fault in scenario.faults):
        assert report.kept > 0 or scenario.name.startswith(("completion", "publish times out after"))
    assert report.ok


def test_the_throttle_counts_its_429s_and_a_burst_within_the_default_meets_none() -> None:
    [within, above] = [s for s in reliability.SCENARIOS if s.name.startswith("burst")]
    for sender in reliability.SENDERS:
        assert reliability.run_scenario(within, sender).throttled == 0
    never = reliability.run_scenario(above, reliability.NEVER_RETRIES)
    assert never.throttled == never.unsent > 0  # each 429 an event the stack never saw
    assert never.published == never.events - never.unsent
    retrying = reliability.run_scenario(above, reliability.RETRYING)
    assert retrying.throttled > 0 and retrying.published == retrying.events


def test_report_prints_both_senders_the_figures_and_the_bar() -> None:
    out = io.StringIO()
    chosen = (reliability.SCENARIOS[0], reliability.SCENARIOS[5])
    assert reliability.main(out, chosen) == 0
    text = out.getvalue()
    assert "sender that retries:" in text and "sender that never retries:" in text
    assert "events 16, published 16, duplicates 2, lost 0" in text
    assert "faults injected: sns timeout after publish x2" in text
    assert "bar: lost = 0 (but in the one documented window), duplicates only in the documented windows -> met" in text
