"""Every authenticated event that is answered non-2xx is kept on the failure queue first, and a redrive
publishes it exactly once: no platform is known to retry every such answer (canD documents no
retry at all), so the answer alone must never be what saves an event.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from devkit.events import LambdaContext
from handler import container
from handler.publishing import POINTER_CLASS
from tests.conftest import REGION, Receiver, raw, sample
from tests.support import break_sns, event_of_size, queued, redrive, repair_sns


def fail(service: str, operation: str, times: int = 1_000, code: str = "InternalError") -> list[int]:
    """`operation` of the handler's `service` client fails (`times` times); returns the count of failures."""
    failed = [0]

    def hook(**_: Any) -> None:
        if failed[0] < times:
            failed[0] += 1
            raise ClientError({"Error": {"Code": code, "Message": "injected"}}, operation)

    container.current().clients(service).meta.events.register(
        f"before-call.{service}.{operation}", hook, unique_id=operation
    )
    return failed


def heal(service: str, operation: str) -> None:
    container.current().clients(service).meta.events.unregister(
        f"before-call.{service}.{operation}", unique_id=operation
    )


def redriven_once(receiver: Receiver, topic: str, body: bytes) -> None:
    """One redrive publishes the kept event once; a second finds nothing; a late retry is a duplicate."""
    report = redrive(visibility_seconds=0)
    assert (report.published, report.failed, report.invalid) == (1, 0, 0)
    [message] = receiver.received()[topic]
    assert json.loads(message.body)["data"]["id"] == json.loads(body)["data"]["id"]
    assert redrive().received == 0
    assert receiver.post(body).status == 200  # the sender's retry, had it come: a duplicate
    assert receiver.received() == {}


def test_claim_failed_is_kept_and_redriven_once(receiver: Receiver) -> None:
    body = raw(sample("post.published"))
    fail("dynamodb", "PutItem", code="ProvisionedThroughputExceededException")
    response = receiver.post(body)
    assert (response.status, response.json()["error"]) == (503, "unavailable")
    [kept] = queued(receiver)
    assert kept["claim_key"] == "bettermode:" + sample("post.published")["data"]["id"]
    assert kept["message"] == body.decode() and kept["reason"].startswith("claim_failed")
    assert receiver.received() == {}
    heal("dynamodb", "PutItem")
    redriven_once(receiver, "TopicPOST", body)


def test_release_failed_is_kept_and_redriven_once_after_the_lease(receiver: Receiver) -> None:
    """The publish fails, then so does deleting the claim: it stays in progress until its lease ends."""
    body = raw(sample("reaction.added"))
    break_sns()
    fail("dynamodb", "DeleteItem")
    response = receiver.post(body, context=LambdaContext(timeout_s=1))
    assert response.status == 503
    [kept] = queued(receiver)
    assert kept["reason"].startswith("release_failed") and kept["topic_arn"] == receiver.stack.topics["TopicREACTION"]
    repair_sns()
    heal("dynamodb", "DeleteItem")
    report = redrive(visibility_seconds=0)
    assert (report.published, report.failed) == (0, 1)  # the stuck claim's lease has not passed yet
    time.sleep(1.1)
    redriven_once(receiver, "TopicREACTION", body)


def test_in_progress_is_kept_and_the_holder_dying_loses_nothing(receiver: Receiver) -> None:
    """A delivery meets another's claim; the holder then dies: only the kept copy can publish it."""
    body = raw(sample("space.created"))
    holder_entered, release = threading.Event(), threading.Event()

    def die_while_holding(**_: Any) -> None:
        holder_entered.set()
        release.wait(5)
        raise SystemExit  # the function dies: no answer, no release

    container.current().clients("sns").meta.events.register(
        "before-call.sns.Publish", die_while_holding, unique_id="die"
    )
    holder = threading.Thread(target=lambda: _swallow(receiver, body))
    holder.start()
    assert holder_entered.wait(5)
    response = receiver.post(body, context=LambdaContext(timeout_s=1))
    assert (response.status, response.json()["error"]) == (503, "in_progress")
    release.set()
    holder.join()
    container.current().clients("sns").meta.events.unregister("before-call.sns.Publish", unique_id="die")
    [kept] = queued(receiver)
    assert kept["reason"].startswith("in_progress")
    time.sleep(1.1)  # the dead holder's lease
    redriven_once(receiver, "TopicSPACE", body)


def _swallow(receiver: Receiver, body: bytes) -> None:
    with contextlib.suppress(SystemExit):
        receiver.post(body, context=LambdaContext(timeout_s=1))


def test_an_event_too_large_for_the_queue_is_kept_as_its_s3_pointer(receiver: Receiver) -> None:
    """A body just under SNS's limit that JSON escaping doubles past the queue's 256 KiB."""
    document = sample("post.published") | {"pad": "\\" * 100_000}  # 200,000 bytes of \\ in the body
    body = json.dumps(document).encode()
    assert len(body) < 256 * 1024
    break_sns()
    assert receiver.post(body).status == 503
    [kept] = queued(receiver)
    assert kept["message"].startswith(f'["{POINTER_CLASS}"')
    assert kept["attributes"]["ExtendedPayloadSize"]["StringValue"] == str(len(body))
    repair_sns()
    report = redrive(visibility_seconds=0)
    assert report.published == 1
    [message] = receiver.received()["TopicPOST"]
    pointer = json.loads(message.body)[1]
    stored = boto3.client("s3", region_name=REGION).get_object(Bucket=pointer["s3BucketName"], Key=pointer["s3Key"])
    assert stored["Body"].read() == body


def test_a_large_event_whose_claim_failed_is_kept_as_its_s3_pointer(receiver: Receiver) -> None:
    body = event_of_size(400_000)
    fail("dynamodb", "PutItem")
    assert receiver.post(body).status == 503
    [kept] = queued(receiver)
    assert kept["message"].startswith(f'["{POINTER_CLASS}"')
    heal("dynamodb", "PutItem")
    assert redrive(visibility_seconds=0).published == 1


def test_an_event_the_queue_cannot_take_is_counted_alarmed_and_logged_without_its_body(
    receiver: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    body = raw(sample("member.created"))
    fail("dynamodb", "PutItem")
    fail("sqs", "SendMessage")
    response = receiver.post(body)
    assert response.status == 503
    [line] = [r for r in caplog.records if "NOT kept" in r.getMessage() and "neither" in r.getMessage()]
    assert line.event_id == sample("member.created")["data"]["id"]  # type: ignore[attr-defined]
    assert line.body_bytes == len(body)  # type: ignore[attr-defined]
    member = sample("member.created")["data"]["object"]
    for value in (member.get("name"), member.get("email"), body.decode()):
        if value:
            assert value not in caplog.text  # the body names a person: never in the log
    [request] = [r for r in caplog.records if r.getMessage() == "webhook request"]
    assert request.kept is False  # type: ignore[attr-defined]  # -> the NotKept metric and its alarm
