"""The one-command demo runs end to end (it is the README's one local command)."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest

from devkit import demo
from devkit.samples import SAMPLES


@pytest.mark.parametrize(("mode", "suffix"), [("standard", ""), ("fifo", ".fifo")])
def test_demo_sends_every_sample_and_everything_is_as_expected(mode: str, suffix: str) -> None:
    rows = demo.run(mode)
    assert [row for row in rows if not row.as_expected] == []
    assert len(rows) == len(SAMPLES) + 2  # every sample, and one redelivery per provider
    published = {row.case: topic for row in rows for topic in row.received}
    assert published["bettermode-post.published"] == "POST" + suffix
    assert published["bettermode-space_membership.created"] == "SPACE_MEMBERSHIP" + suffix
    assert published["bettermode-widget.spun"] == "OTHER" + suffix
    assert published["cand-member.activated"] == "MEMBER" + suffix
    assert published["cand-product.created"] == "OTHER" + suffix
    again = [row for row in rows if row.case.endswith("(again)")]
    assert [row.status for row in again] == [200, 200]
    assert [row.received for row in again] == [{}, {}]
    assert {row.status for row in rows if row.case.startswith("bettermode-bad-")} == {400, 401}
    assert {row.status for row in rows if row.case.startswith("cand-bad-")} == {400, 404}


def test_demo_prints_a_table_with_the_totals() -> None:
    out = io.StringIO()
    assert demo.main(out) == 0
    text = out.getvalue()
    expected_published = sum(1 for sample in SAMPLES if sample.publishes)
    refused = sum(1 for sample in SAMPLES if not sample.good)
    assert f"{len(SAMPLES) + 2} requests: {expected_published} published, {refused} refused, 0 unexpected" in text
    assert "POST <- post.published (f2d51f56ceef439cf659f06797a66592)\n" in text  # standard: no group
    assert " in group " not in text


def test_the_fifo_demo_shows_the_group_each_event_is_ordered_in() -> None:
    out = io.StringIO()
    assert demo.main(out, mode="fifo") == 0
    text = out.getvalue()
    assert "DeliveryMode=fifo" in text
    # a reaction is in its post's group, on the REACTION topic (docs/delivery-modes.md: message groups)
    assert (
        "REACTION.fifo <- reaction.added (ca0303107af9d45f5ab6d20df9728ce6) in group bettermode:post:kCPt3feq0MCIT6w"
        in text
    )


def test_make_demo_prints_the_table_and_nothing_else() -> None:
    """As a user runs it: the handler's request log lines (INFO) stay out of the demo's table."""
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "-m", "devkit", "demo"], cwd=root, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "DeliveryMode=standard"
    assert not [line for line in lines if line.startswith("{")]  # no JSON log line
    assert lines[-1].endswith("0 unexpected")


def test_a_local_environment_sets_the_handlers_log_level_and_gives_the_previous_one_back() -> None:
    import logging

    from devkit.runtime import handler_environment
    from handler import observability

    before = observability.logger.log_level
    observability.logger.setLevel(logging.DEBUG)
    try:
        with handler_environment({"POWERTOOLS_LOG_LEVEL": "WARNING"}):
            assert observability.logger.log_level == logging.WARNING
        assert observability.logger.log_level == logging.DEBUG
    finally:
        observability.logger.setLevel(before)
