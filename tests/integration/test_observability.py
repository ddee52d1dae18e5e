"""What a request leaves for its operators: the JSON log line and the EMF metrics line it writes."""

from __future__ import annotations

import json
import sys
from typing import Any

import pytest

from devkit.events import signed_headers
from devkit.runtime import reset_handler_state
from tests.conftest import SECRET, Receiver, raw, sample

NAMESPACE = "TestWebhooks"


class CurrentStdout:
    """sys.stdout as it is at each write, as a Lambda's stdout is."""

    def write(self, text: str) -> int:
        return sys.stdout.write(text)

    def flush(self) -> None:
        sys.stdout.flush()


@pytest.fixture
def observed(receiver: Receiver, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]) -> Receiver:
    from handler import observability

    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", NAMESPACE)
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "my-stack")
    monkeypatch.setenv("POWERTOOLS_LOG_LEVEL", "INFO")
    monkeypatch.delenv("POWERTOOLS_METRICS_DISABLED", raising=False)
    reset_handler_state()
    observability.logger.setLevel("INFO")
    # the logger was created at import, writing to whatever stdout was then: write to this test's
    monkeypatch.setattr(observability.logger.registered_handler, "stream", CurrentStdout())
    return receiver


def output_lines(capfd: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    out = capfd.readouterr().out
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


def request_line(lines: list[dict[str, Any]]) -> dict[str, Any]:
    [line] = [line for line in lines if line.get("message") == "webhook request"]
    return line


def metrics_line(lines: list[dict[str, Any]]) -> tuple[dict[str, Any], list[list[str]], set[str]]:
    """The request's EMF document, its dimension sets and its metric names."""
    [emf] = [line for line in lines if "_aws" in line]
    [directive] = emf["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == NAMESPACE
    return emf, directive["Dimensions"], {metric["Name"] for metric in directive["Metrics"]}


def test_a_published_event_logs_one_line_and_counts_by_source_and_noun(
    observed: Receiver, capfd: pytest.CaptureFixture[str]
) -> None:
    capfd.readouterr()
    document = sample("post.published")
    body = raw(document)
    assert observed.post(body).status == 200
    lines = output_lines(capfd)

    line = request_line(lines)
    event_id = document["data"]["id"]
    assert line["level"] == "INFO"
    assert line["outcome"] == "published"
    assert (line["source"], line["event_name"], line["noun"], line["event_id"]) == (
        "bettermode",
        "post.published",
        "POST",
        event_id,
    )
    assert line["correlation_id"] == event_id
    assert line["status"] == 200 and isinstance(line["latency_ms"], float)

    emf, dimensions, names = metrics_line(lines)
    assert names == {"Received", "Published", "EventAge", "RequestAge"}  # a published event's ages
    assert emf["Received"] == emf["Published"] == [1.0]
    assert dimensions == [["service"], ["service", "source"], ["service", "source", "noun"]]
    assert (emf["service"], emf["source"], emf["noun"]) == ("my-stack", "bettermode", "POST")
    assert {name for names in dimensions for name in names} == {"service", "source", "noun"}  # never an id
    assert emf is line  # one line per request: the log line is also the EMF document


def test_a_made_up_noun_counts_as_its_topics_other(observed: Receiver, capfd: pytest.CaptureFixture[str]) -> None:
    """The noun dimension comes from the fixed set of topics, so a sender cannot create metric series."""
    capfd.readouterr()
    document = sample("post.published")
    for index in range(3):
        document["data"] |= {"id": f"{index:032x}", "noun": f"WIDGET_{index}f3a", "name": f"widget_{index}f3a.spun"}
        assert observed.post(raw(document)).status == 200
    lines = [line for line in output_lines(capfd) if line.get("message") == "webhook request"]
    assert [(line["event_name"], line["noun"]) for line in lines] == [
        (f"widget_{index}f3a.spun", "OTHER") for index in range(3)
    ]
    assert all(line["topic_arn"].endswith("-OTHER") for line in lines)


def test_a_redelivery_counts_as_a_duplicate(observed: Receiver, capfd: pytest.CaptureFixture[str]) -> None:
    body = raw(sample("reaction.added"))
    assert observed.post(body).status == 200
    capfd.readouterr()
    assert observed.post(body).status == 200
    lines = output_lines(capfd)
    assert request_line(lines)["outcome"] == "duplicate"
    _, _, names = metrics_line(lines)
    assert names == {"Received", "Duplicates"}


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({}, "unsigned"),
        ("wrong-secret", "bad_signature"),
        ("stale", "stale_timestamp"),
    ],
)
def test_a_rejected_request_counts_by_reason_and_logs_no_secret(
    observed: Receiver, capfd: pytest.CaptureFixture[str], headers: Any, reason: str
) -> None:
    body = raw(sample("post.published"))
    if headers == "wrong-secret":
        headers = signed_headers("not-the-secret", body)
    elif headers == "stale":
        headers = signed_headers(SECRET, body, 1_000_000_000_000)
    capfd.readouterr()
    assert observed.post(body, headers=headers).status == 401
    out = capfd.readouterr().out
    lines = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    line = request_line(lines)
    assert (line["outcome"], line["reason"], line["status"]) == ("rejected", reason, 401)
    emf, dimensions, names = metrics_line(lines)
    assert names == {"Received", "Rejected"}
    assert ["service", "reason"] in dimensions and emf["reason"] == reason
    assert SECRET not in out
    for value in headers.values():
        assert value not in out or value.isdigit()  # a signature never reaches the logs
    assert '"isReply"' not in out  # nor the body


def test_a_publish_failure_counts_for_its_alarm(
    observed: Receiver, capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from handler import publishing

    def refuse(_outgoing: Any, _sns: Any) -> str:
        raise publishing.PublishFailed("injected")

    monkeypatch.setattr(publishing, "send", refuse)
    capfd.readouterr()
    assert observed.post(raw(sample("space.created"))).status == 503
    lines = output_lines(capfd)
    line = request_line(lines)
    assert (line["outcome"], line["reason"], line["kept"]) == ("failed", "publish_failed", True)
    emf, dimensions, names = metrics_line(lines)
    assert names == {"Received", "Failed", "PublishFailures", "Kept"}  # on the failure queue
    assert ["service"] in dimensions and emf["service"] == "my-stack"  # the alarm's dimension


def test_an_unknown_route_counts_without_a_source(observed: Receiver, capfd: pytest.CaptureFixture[str]) -> None:
    from devkit.events import http_api_event

    event = http_api_event(b"{}", {})
    event["rawPath"] = "/nowhere"
    capfd.readouterr()
    assert observed.invoke(event).status == 404
    emf, dimensions, names = metrics_line(output_lines(capfd))
    assert names == {"Received", "Rejected"}
    assert dimensions == [["service"], ["service", "reason"]] and emf["reason"] == "not_found"


def test_metrics_can_be_switched_off_for_local_runs(
    observed: Receiver, capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")
    capfd.readouterr()
    assert observed.post(raw(sample("member.created"))).status == 200
    lines = output_lines(capfd)
    assert request_line(lines)["outcome"] == "published"
    assert not [line for line in lines if "_aws" in line]


def test_metrics_are_written_even_when_info_is_not_logged(
    observed: Receiver, capfd: pytest.CaptureFixture[str]
) -> None:
    from handler import observability

    before = observability.logger.log_level
    observability.logger.setLevel("WARNING")
    try:
        capfd.readouterr()
        assert observed.post(raw(sample("member.created"))).status == 200
        lines = output_lines(capfd)
    finally:
        observability.logger.setLevel(before)
    assert not [line for line in lines if line.get("message") == "webhook request"]
    _, _, names = metrics_line(lines)  # the alarms still see every request
    assert names == {"Received", "Published", "EventAge", "RequestAge"}


# ----- event age: how late a published event arrived (fixed clocks) ---------------------------------
RECEIVED_MS = 1_796_205_600_000  # 2026-12-02T10:00:00Z, the receiver's clock in these tests


def test_a_published_events_ages_are_metrics_in_milliseconds(
    observed: Receiver, capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """It happened 7 minutes before it reached us (the platform retried), and the request was signed 2 s
    before: EventAge 420,000 ms and RequestAge 2,000 ms, by source and by the topic's noun."""
    import handler.receiver

    monkeypatch.setattr(handler.receiver.time, "time_ns", lambda: RECEIVED_MS * 1_000_000)
    document = sample("post.published")
    document["data"]["time"] = "2026-12-02T09:53:00.000Z"
    capfd.readouterr()
    assert observed.post(raw(document), timestamp_ms=RECEIVED_MS - 2_000).status == 200
    lines = output_lines(capfd)
    line = request_line(lines)
    assert (line["event_age_ms"], line["request_age_ms"]) == (420_000, 2_000)
    emf, dimensions, _ = metrics_line(lines)
    units = {metric["Name"]: metric["Unit"] for metric in emf["_aws"]["CloudWatchMetrics"][0]["Metrics"]}
    assert (emf["EventAge"], emf["RequestAge"]) == ([420_000.0], [2_000.0])
    assert units["EventAge"] == units["RequestAge"] == "Milliseconds"
    assert ["service"] in dimensions and ["service", "source", "noun"] in dimensions  # what the alarm reads


def test_no_age_for_a_duplicate_a_clock_ahead_or_an_event_without_a_time(
    observed: Receiver, capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import handler.receiver

    monkeypatch.setattr(handler.receiver.time, "time_ns", lambda: RECEIVED_MS * 1_000_000)
    ahead = sample("member.created")
    ahead["data"]["time"] = "2026-12-02T10:00:30.000Z"  # the platform's clock 30 s ahead of ours
    capfd.readouterr()
    assert observed.post(raw(ahead), timestamp_ms=RECEIVED_MS).status == 200
    assert request_line(output_lines(capfd))["event_age_ms"] == 0  # never negative
    assert observed.post(raw(ahead), timestamp_ms=RECEIVED_MS).status == 200  # a redelivery
    line = request_line(output_lines(capfd))
    assert line["outcome"] == "duplicate" and "event_age_ms" not in line  # counted once, when published
    from tests.support import cand

    assert observed.post_cand(raw(cand("member.joined"))).status == 200  # canD sends no time and signs nothing
    line = request_line(output_lines(capfd))
    assert "event_age_ms" not in line and "request_age_ms" not in line
