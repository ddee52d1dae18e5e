"""With tracing on, a request's trace has subsegments for claim, publish and complete.

Tracing is on only inside Lambda, so the handler runs in a child process with a Lambda's
environment (the trace header of a sampled request, LAMBDA_TASK_ROOT) and AWS emulated in-process;
the X-Ray SDK sends its documents over UDP to a socket this test reads, as the X-Ray daemon would.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
TRACE_ID = "1-5759e988-bd862e3fe1be46a994272793"

CHILD = """
import json, os, sys
import boto3
from moto import mock_aws
from devkit.samples import LOCAL_SECRET, local_secrets
from devkit.stack import create_stack
from devkit.template import Template
from devkit.events import LambdaContext, http_api_event, signed_headers

with mock_aws():
    stack = create_stack(Template.load(), lambda s: boto3.client(s, region_name="us-east-1"), local_secrets())
    os.environ.update(stack.environment)
    from handler.app import lambda_handler  # imported as Lambda does: with the function's environment set
    body = json.dumps({"networkId": "net1", "type": "SUBSCRIPTION", "data": {
        "id": "trace-event-1", "name": "post.published", "noun": "POST", "verb": "PUBLISHED",
        "object": {"id": "p1", "spaceId": "s1", "isReply": False}}}).encode()
    signed = http_api_event(body, signed_headers(LOCAL_SECRET, body))
    answers = [
        lambda_handler(signed, LambdaContext())["statusCode"],
        lambda_handler(signed, LambdaContext())["statusCode"],  # a redelivery
        lambda_handler(http_api_event(body, signed_headers("wrong", body)), LambdaContext())["statusCode"],
    ]
    print(json.dumps(answers))
"""


def documents(sock: socket.socket) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    sock.settimeout(0.5)
    while True:
        try:
            datagram = sock.recv(65536)
        except TimeoutError:
            return found
        header, _, body = datagram.partition(b"\n")
        assert json.loads(header)["format"] == "json"
        found.append(json.loads(body))


def flatten(document: dict[str, Any]) -> list[dict[str, Any]]:
    nested = [document]
    for child in document.get("subsegments", []):
        nested.extend(flatten(child))
    return nested


def test_sampled_requests_are_traced_claim_publish_complete() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        environment = {
            "PATH": os.environ.get("PATH", ""),
            "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)]),
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "LAMBDA_TASK_ROOT": str(ROOT / "src"),
            "AWS_LAMBDA_FUNCTION_NAME": "webhooks",
            "_X_AMZN_TRACE_ID": f"Root={TRACE_ID};Parent=53995c3f42cd8ad8;Sampled=1",
            "AWS_XRAY_DAEMON_ADDRESS": f"127.0.0.1:{port}",
            "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR",
            "POWERTOOLS_METRICS_DISABLED": "true",
        }
        child = subprocess.run(  # noqa: S603 - this interpreter, our script
            [sys.executable, "-c", CHILD],
            check=False,
            env=environment,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert child.returncode == 0, child.stderr[-2000:]
        assert json.loads(child.stdout.strip().splitlines()[-1]) == [200, 200, 401]
        sent = [segment for document in documents(sock) for segment in flatten(document)]

    assert sent, "the X-Ray SDK sent nothing"
    assert {segment["trace_id"] for segment in sent} == {TRACE_ID}
    names = [segment["name"] for segment in sent]
    for step, count in (("claim", 2), ("publish", 1), ("complete", 1)):
        assert names.count(step) == count, (step, names)
    claims = [segment for segment in sent if segment["name"] == "claim"]
    assert not any(segment.get("fault") or segment.get("error") for segment in claims)  # a duplicate is no fault
    assert [segment.get("annotations", {}).get("claim") for segment in claims] == [None, "already_taken"]
    assert {"dynamodb", "sns"} <= set(names)  # the AWS calls, inside the steps
    handlers = [segment for segment in sent if segment["name"] == "## handle"]
    assert len(handlers) == 3
    annotations = [segment.get("annotations", {}) for segment in handlers]
    published = next(a for a in annotations if a.get("outcome") == "published")
    assert published["event_id"] == "trace-event-1" and published["noun"] == "POST"
    assert next(a for a in annotations if a.get("outcome") == "duplicate")["event_id"] == "trace-event-1"
    rejected = next(a for a in annotations if a.get("outcome") == "rejected")
    assert rejected["reason"] == "bad_signature"
    assert "wrong" not in json.dumps(sent)  # nothing of the request's credentials in a trace
