"""Every pipeline step fails in turn; a retrying sender must end with nothing lost and no unexplained duplicate."""

from __future__ import annotations

import io

import pytest

from devkit import reliability


@pytest.mark.parametrize("scenario", reliability.SCENARIOS, ids=lambda s: s.name)
def test_nothing_is_lost_and_duplicates_only_in_the_documented_windows(scenario: reliability.Scenario) -> None:
    report = reliability.run_scenario(scenario)
    assert report.lost == 0
    assert report.acknowledged == report.events == report.published
    assert report.duplicates == scenario.duplicates_allowed  # the window is real, and no wider
    assert sum(report.rejected.values()) == 2  # the forged requests, refused whatever the faults
    for fault in scenario.faults:
        assert report.faults[fault.kind] > 0, f"{fault.kind} never fired"
    if scenario.platform_gives_up:
        assert report.accepted == 0
        assert report.redriven == report.events


def test_report_prints_the_figures_and_the_bar() -> None:
    out = io.StringIO()
    chosen = (reliability.SCENARIOS[0], reliability.SCENARIOS[5])
    assert reliability.main(out, chosen) == 0
    text = out.getvalue()
    assert "events 8, published 8, duplicates 1, lost 0" in text
    assert "faults injected: sns timeout after publish x1" in text
    assert "bar: lost = 0, duplicates only in the documented windows -> met" in text
