"""Every file in events/ is an API Gateway HTTP API event that the handler answers as its name says."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from devkit.samples import BY_NAME, EVENTS, LOCAL_CAND_TOKEN, LOCAL_SECRET, SAMPLES
from devkit.sender import event_body, resign
from devkit.template import Template
from handler.providers.bettermode_signature import signature_matches
from tests.conftest import Receiver

EVENT_FILES = sorted(path for path in EVENTS.glob("*.json") if path.name != "env.json")


def test_every_sample_has_a_file_and_every_file_a_sample() -> None:
    assert {path.stem for path in EVENT_FILES} == set(BY_NAME)


@pytest.mark.parametrize("path", EVENT_FILES, ids=lambda path: path.stem)
def test_file_is_an_http_api_event_of_its_sample(path: Path) -> None:
    event = json.loads(path.read_text(encoding="utf-8"))
    sample = BY_NAME[path.stem]
    assert event["version"] == "2.0"
    if sample.provider == "cand":
        token = event["pathParameters"]["token"]
        assert event["routeKey"] == "POST /webhooks/cand/{token}"
        assert event["rawPath"] == f"/webhooks/cand/{token}"
        assert (token == LOCAL_CAND_TOKEN) == (sample.signing == "valid")
    else:
        assert event["routeKey"] == "POST /webhooks/bettermode"
        assert event["rawPath"] == "/webhooks/bettermode"
    assert event["requestContext"]["http"]["method"] == "POST"
    assert all(name == name.lower() for name in event["headers"])
    assert event["isBase64Encoded"] is False
    assert event_body(event) == sample.body()
    headers = event["headers"]
    if sample.provider == "bettermode" and sample.signing in ("valid", "stale"):
        family = "tribe" if sample.family == "tribe" else "bettermode"
        timestamp = headers[f"x-{family}-request-timestamp"]
        assert signature_matches([LOCAL_SECRET], timestamp, event_body(event), headers[f"x-{family}-signature"])


@pytest.fixture
def local_receiver(receiver: Receiver, monkeypatch: pytest.MonkeyPatch) -> Receiver:
    """The receiver with the local secret of events/env.json, as `sam local invoke --env-vars` sets it."""
    from devkit.runtime import reset_handler_state

    env = json.loads((EVENTS / "env.json").read_text(encoding="utf-8"))["WebhookFunction"]
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    reset_handler_state()
    return receiver


@pytest.mark.parametrize("path", EVENT_FILES, ids=lambda path: path.stem)
def test_handler_answers_each_file_as_its_name_says(local_receiver: Receiver, path: Path) -> None:
    sample = BY_NAME[path.stem]
    event = json.loads(path.read_text(encoding="utf-8"))
    if sample.provider == "bettermode" and sample.signing == "valid":
        event = resign(event, LOCAL_SECRET)  # what `python -m devkit resign` does before `sam local invoke`
    response = local_receiver.invoke(event)
    assert response.status == sample.status, response.body
    published = [m for messages in local_receiver.received().values() for m in messages]
    assert len(published) == (1 if sample.publishes else 0)
    if sample.publishes:
        assert published[0].body.encode() == sample.body()


def test_env_json_sets_only_variables_the_template_declares() -> None:
    """`sam local invoke` passes only variables that the function declares in template.yaml."""
    env = json.loads((EVENTS / "env.json").read_text(encoding="utf-8"))
    declared = Template.load().function("WebhookFunction")["Environment"]["Variables"]
    assert set(env) == {"WebhookFunction"}
    assert set(env["WebhookFunction"]) <= set(declared)
    assert env["WebhookFunction"]["SIGNING_SECRET"] == LOCAL_SECRET
    assert env["WebhookFunction"]["CAND_WEBHOOK_TOKEN"] == LOCAL_CAND_TOKEN


def test_samples_cover_every_documented_kind() -> None:
    names = {sample.name.removeprefix("bettermode-") for sample in SAMPLES}
    assert {"test-challenge", "post.created", "post.published", "reply.published", "post.deleted"} <= names
    assert {"reaction.added", "reaction.removed", "space.created", "member.created", "moderation.created"} <= names
    assert {
        "app-installed",
        "app-uninstalled",
        "bad-wrong-signature",
        "bad-stale-timestamp",
        "bad-malformed-json",
    } <= names
