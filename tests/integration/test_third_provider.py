"""A platform the package has never heard of (tests/providers/forum.py) runs through the real
receiver, claims, publishing, failure queue and redrive, with nothing in `src/handler` changed:
the route table is given one more provider, as `handler.platforms` would list it."""

from __future__ import annotations

import json
import time
from typing import Any

import boto3
import pytest

from devkit.events import LambdaContext, http_api_event
from devkit.runtime import reset_handler_state
from handler import app, platforms
from tests.conftest import REGION, Receiver
from tests.providers import forum
from tests.support import break_sns, queued, redrive, repair_sns

SECRET = "forum-secret-0123456789"


@pytest.fixture
def with_forum(receiver: Receiver, monkeypatch: pytest.MonkeyPatch) -> Receiver:
    """The stack with a fourth secret, for the forum, and the forum in the route table."""
    arn = boto3.client("secretsmanager", region_name=REGION).create_secret(Name="forum", SecretString=SECRET)["ARN"]
    monkeypatch.setenv("FORUM_SECRET_ARN", arn)
    monkeypatch.setattr(platforms, "PROVIDERS", (*platforms.PROVIDERS, forum))
    monkeypatch.setattr(app, "ROUTES", app.routes(platforms.PROVIDERS))
    reset_handler_state()
    return receiver


def post(receiver: Receiver, document: dict[str, Any], secret: str = SECRET) -> Any:
    body = json.dumps(document).encode()
    headers = {"content-type": "application/json", "x-forum-signature": forum.sign(secret, body)}
    return receiver.invoke(http_api_event(body, headers, path="/webhooks/forum"), LambdaContext())


THREAD = {"id": "f-1", "event": "thread.created", "thread": {"id": "t-9"}}


def test_an_event_is_published_once_with_its_source_and_attributes(with_forum: Receiver) -> None:
    first = post(with_forum, THREAD)
    assert (first.status, first.json()) == (200, {"received": True})
    [message] = with_forum.received()["CatchAllTopic"]  # THREAD has no topic of its own
    assert json.loads(message.body) == THREAD
    assert message.attributes["source"] == "forum"
    assert message.attributes["event_name"] == "thread.created"
    assert message.attributes["thread_id"] == "t-9"
    assert post(with_forum, THREAD).status == 200  # a redelivery
    assert with_forum.received() == {}


def test_its_ids_are_remembered_as_long_as_it_declares(with_forum: Receiver) -> None:
    before = int(time.time())
    assert post(with_forum, THREAD).status == 200
    [item] = with_forum.items()
    assert before + 3600 <= int(item["expiration"]["N"]) <= int(time.time()) + 3600


def test_its_credential_is_checked_and_a_reply_publishes_nothing(with_forum: Receiver) -> None:
    forged = post(with_forum, THREAD, secret="not-the-secret")
    assert (forged.status, forged.json()["error"]) == (401, "unauthorized")
    assert post(with_forum, {"event": "ping"}).json() == {"pong": True}
    assert with_forum.received() == {}
    assert with_forum.items() == []


def test_a_failed_publish_is_kept_and_redriven_once(with_forum: Receiver) -> None:
    break_sns()
    assert post(with_forum, THREAD).status == 503
    [kept] = queued(with_forum)
    assert (kept["source"], kept["claim_key"]) == ("forum", "forum:f-1")
    repair_sns()
    assert redrive(visibility_seconds=0).published == 1
    assert len(with_forum.received()["CatchAllTopic"]) == 1
    assert post(with_forum, THREAD).status == 200  # the forum's retry, had it come: a duplicate
    assert with_forum.received() == {}


def test_without_its_route_the_same_request_is_a_404(receiver: Receiver) -> None:
    assert post(receiver, THREAD).status == 404
