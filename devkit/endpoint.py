"""A local webhook endpoint: the real handler behind HTTP on 127.0.0.1, AWS emulated by the moto server.

Requests are turned into API Gateway HTTP API (payload 2.0) events, as API Gateway does, and the
handler reaches DynamoDB, SNS and Secrets Manager over HTTP (AWS_ENDPOINT_URL). The stack's
resources are created from template.yaml; each topic has a subscriber queue, and what arrives
there is reported as it arrives.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from contextlib import ExitStack
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from devkit.events import http_api_event
from devkit.queues import Message, drain
from devkit.runtime import EMULATED_AWS, REGION, handler_environment, invoke
from devkit.samples import BY_NAME, LOCAL_CAND_TOKEN, LOCAL_SECRET, local_secrets
from devkit.stack import EmulatedStack, create_stack
from devkit.template import Template

OnMessage = Callable[[str, Message], None]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class _WebhookHandler(BaseHTTPRequestHandler):
    """One HTTP request -> one API Gateway event -> handler.app.lambda_handler -> the HTTP response."""

    server_version = "local-webhooks"
    on_request: Callable[[str], None] = staticmethod(lambda line: None)

    def _relay(self) -> None:
        try:
            length = int(self.headers.get("content-length") or 0)
        except ValueError:
            self.send_error(400, "bad Content-Length")
            return
        body = self.rfile.read(length) if length > 0 else b""
        try:
            body.decode("utf-8")
            binary = False
        except UnicodeDecodeError:
            binary = True  # as API Gateway does for bodies that are not text
        path = self.path.split("?", 1)[0]
        # API Gateway lower-cases names and joins a repeated header's values with commas.
        headers = {name.lower(): ",".join(self.headers.get_all(name) or []) for name in set(self.headers.keys())}
        event = http_api_event(body, headers, path=path, method=self.command, base64_body=binary)
        response = invoke(event)
        payload = response.body.encode("utf-8")
        self.send_response(response.status)
        for name, value in response.headers.items():
            if name not in ("content-length", "connection"):
                self.send_header(name, value)
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)
        self.on_request(f"{self.command} {path} -> {response.status} {response.body[:120]}")

    do_POST = do_GET = do_PUT = do_DELETE = do_PATCH = _relay

    def log_message(self, format: str, *args: Any) -> None:
        """Silenced: each request is reported once, with its answer, by `on_request`."""


class _Server(ThreadingHTTPServer):
    """A thread per request, and room for a burst of connections (the default backlog is 5)."""

    request_queue_size = 256
    daemon_threads = True


class LocalEndpoint:
    """Start with `start()`, stop with `stop()`; `url` is the Bettermode webhook URL."""

    def __init__(
        self,
        port: int = 0,
        aws_port: int = 0,
        *,
        secret: str = LOCAL_SECRET,
        cand_token: str = LOCAL_CAND_TOKEN,
        on_message: OnMessage | None = None,
        on_request: Callable[[str], None] | None = None,
        log_level: str = "WARNING",
        mode: str = "standard",
    ) -> None:
        self.mode = mode  # the stack's DeliveryMode
        self.port = port or free_port()
        self.aws_port = aws_port or free_port()
        self.secret = secret
        self.cand_token = cand_token
        self.on_message = on_message
        self.on_request = on_request
        self.log_level = log_level
        self.stack: EmulatedStack | None = None
        self._exit = ExitStack()
        self._stopping = threading.Event()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/webhooks/bettermode"

    @property
    def cand_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/webhooks/cand/{self.cand_token}"

    @property
    def aws_url(self) -> str:
        return f"http://127.0.0.1:{self.aws_port}"

    def client(self, service: str) -> Any:
        """A boto3 client of the emulated account (for reading queues and tables)."""
        import boto3

        session = boto3.session.Session(
            aws_access_key_id=EMULATED_AWS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=EMULATED_AWS["AWS_SECRET_ACCESS_KEY"],
            region_name=REGION,
        )
        return session.client(service, endpoint_url=self.aws_url)

    def start(self) -> LocalEndpoint:
        self._start_aws()
        template = Template.load(overrides={"DeliveryMode": self.mode})
        self.stack = create_stack(template, self.client, local_secrets(self.secret, self.cand_token))
        variables = self.stack.environment | {
            "AWS_ENDPOINT_URL": self.aws_url,
            "POWERTOOLS_LOG_LEVEL": self.log_level,
            # a metrics line beside each request's log line, not instead of a quiet console
            "POWERTOOLS_METRICS_DISABLED": "false" if self.log_level in ("DEBUG", "INFO") else "true",
        }
        self._exit.enter_context(handler_environment(variables))
        handler = type("Handler", (_WebhookHandler,), {})
        if self.on_request:
            handler.on_request = staticmethod(self.on_request)
        self._warm_up()
        server = _Server(("127.0.0.1", self.port), handler)
        threading.Thread(target=server.serve_forever, name="webhook-endpoint", daemon=True).start()
        self._exit.callback(server.server_close)
        self._exit.callback(server.shutdown)
        if self.on_message:
            watcher = threading.Thread(target=self._watch, name="subscriber-queues", daemon=True)
            watcher.start()
            self._exit.callback(watcher.join, 5)
            self._exit.callback(self._stopping.set)
        return self

    def _warm_up(self) -> None:
        """What a Lambda container has after its first request: clients, imports, the cached secret.

        Deployed, each container serves one request at a time; here threads share one process, and
        a burst of first requests would all create their clients at once.
        """
        from aws_lambda_powertools.utilities import idempotency  # noqa: F401 - imported once, here

        from handler import container

        for service in ("dynamodb", "sns", "s3", "sqs"):
            container.current().clients(service)
        invoke(BY_NAME["bettermode-test-challenge"].event(self.secret))
        invoke(BY_NAME["cand-bad-wrong-token"].event())  # reads the canD tokens once

    def _start_aws(self) -> None:
        """The moto server in its own process (see devkit.aws_server), ready when its port answers."""
        root = Path(__file__).resolve().parent.parent
        aws = subprocess.Popen(  # noqa: S603 - our own module, by the running interpreter
            [sys.executable, "-m", "devkit.aws_server", "--port", str(self.aws_port)], cwd=root
        )
        self._exit.callback(aws.wait, 10)
        self._exit.callback(aws.terminate)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if aws.poll() is not None:
                raise RuntimeError(f"the moto server exited with {aws.returncode}")
            try:
                with socket.create_connection(("127.0.0.1", self.aws_port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"the moto server did not start on port {self.aws_port}")

    def _watch(self) -> None:
        assert self.stack is not None
        assert self.on_message is not None
        sqs = self.client("sqs")
        while not self._stopping.is_set():
            for logical, url in self.stack.queues.items():
                for message in drain(sqs, url):
                    self.on_message(self.stack.topic_name(logical), message)
            self._stopping.wait(0.5)

    def stop(self) -> None:
        self._exit.close()

    def __enter__(self) -> LocalEndpoint:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()


def _print_message(topic: str, message: Message) -> None:
    attributes = " ".join(f"{k}={v}" for k, v in message.attributes.items() if k not in ("source", "event_name"))
    group = f"  group={message.group_id}" if message.group_id else ""  # fifo: the object it is ordered with
    print(f"  [{topic} subscriber] {message.attributes.get('event_name')}{group}  {attributes}", flush=True)


def main(port: int, aws_port: int, secret: str, log_level: str = "WARNING", mode: str = "standard") -> int:
    endpoint = LocalEndpoint(
        port,
        aws_port,
        secret=secret,
        on_message=_print_message,
        on_request=lambda line: print(line, flush=True),
        log_level=log_level,
        mode=mode,
    )
    with endpoint:
        print(f"Bettermode webhook URL: {endpoint.url}")
        print(f"canD webhook URL:       {endpoint.cand_url}")
        print(f"Emulated AWS (moto server): {endpoint.aws_url}  signing secret: {secret}  DeliveryMode={mode}")
        print("Try it:")
        print(f"  python -m devkit send events/bettermode-post.published.json --url {endpoint.url}")
        print("Subscriber queues report what they receive below. Ctrl-C stops.\n", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            print("\nstopped")
    return 0
