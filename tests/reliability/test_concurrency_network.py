"""Many concurrent deliveries over real network hops: HTTP to the endpoint, HTTP to the moto server.

60 deliveries of 20 distinct events (each three times, ten of them all at the same moment) and 10
forged ones, from 70 threads; every delivery is retried like a platform until it is answered 2xx.
Then every subscriber queue is drained: each event must be there exactly once, nothing else.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator

import pytest

from devkit import sender
from devkit.endpoint import LocalEndpoint
from devkit.queues import drain
from devkit.samples import BY_NAME, LOCAL_SECRET


@pytest.fixture(scope="module")
def endpoint() -> Iterator[LocalEndpoint]:
    with LocalEndpoint() as running:
        yield running


def body_with_id(event_id: str) -> bytes:
    document = BY_NAME["bettermode-reaction.added"].document()
    document["data"]["id"] = event_id
    return json.dumps(document).encode()


def test_concurrent_mixed_deliveries_publish_each_event_exactly_once(endpoint: LocalEndpoint) -> None:
    ids = [uuid.uuid4().hex for _ in range(20)]
    deliveries = [body_with_id(event_id) for event_id in ids for _ in range(3)]
    forged = [(body_with_id(uuid.uuid4().hex), "not-the-secret") for _ in range(8)]
    forged += [(b"{not json", LOCAL_SECRET), (b'{"type": "SUBSCRIPTION", "data": {}}', LOCAL_SECRET)]
    answers: Counter[str] = Counter()
    lock = threading.Lock()
    start = threading.Barrier(len(deliveries) + len(forged))

    def deliver(body: bytes) -> None:
        start.wait()
        for _ in range(20):  # a platform's retries
            try:
                response = sender.send(endpoint.url, body, LOCAL_SECRET)
            except OSError:  # no answer: a platform retries that too
                with lock:
                    answers["no answer"] += 1
                time.sleep(0.2)
                continue
            with lock:
                answers[f"{response.status} {response.json().get('error', '')}".strip()] += 1
            if response.status == 200:
                return
            assert response.status == 503, response.body  # the retryable answer to a duplicate in progress
            assert response.json()["error"] == "in_progress"
            time.sleep(0.2)
        raise AssertionError("never acknowledged")

    def forge(body: bytes, secret: str) -> None:
        start.wait()
        response = sender.send(endpoint.url, body, secret)
        with lock:
            answers[f"refused {response.status}"] += 1

    threads = [threading.Thread(target=deliver, args=(body,)) for body in deliveries]
    threads += [threading.Thread(target=forge, args=pair) for pair in forged]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not any(thread.is_alive() for thread in threads)

    sqs = endpoint.client("sqs")
    seen: Counter[str] = Counter()
    for url in endpoint.stack.queues.values():
        for message in drain(sqs, url):
            seen[message.attributes["event_id"]] += 1
    assert seen == Counter(dict.fromkeys(ids, 1))  # every event once; nothing forged got in
    assert answers["200"] == len(deliveries)
    assert answers["refused 401"] == 8
    assert answers["refused 400"] == 2
    assert set(answers) <= {"200", "503 in_progress", "refused 401", "refused 400", "no answer"}
    items = endpoint.client("dynamodb").scan(TableName=endpoint.stack.table_name)["Items"]
    assert sorted(item["status"]["S"] for item in items) == ["COMPLETED"] * len(ids)
