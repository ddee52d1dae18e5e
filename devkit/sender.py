"""Post signed webhooks to any URL (the local endpoint, or a deployed stack), and re-sign event files."""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Any

from devkit.events import HEADER_FAMILIES, HttpResponse, now_ms, signed_headers


def is_api_event(document: Any) -> bool:
    return isinstance(document, dict) and "requestContext" in document and "body" in document


def event_body(event: dict[str, Any]) -> bytes:
    """The raw body of an API Gateway event."""
    body = event.get("body") or ""
    return base64.b64decode(body) if event.get("isBase64Encoded") else body.encode("utf-8")


def load_body(path: Path) -> bytes:
    """The body to send: an events/*.json file's request body, or a JSON payload file as it is."""
    data = path.read_bytes()
    try:
        document = json.loads(data)
    except ValueError:
        return data
    return event_body(document) if is_api_event(document) else data


def with_fresh_id(body: bytes) -> bytes:
    """The same event under a new `data.id`, so the receiver does not take it for a redelivery."""
    document = json.loads(body)
    document.setdefault("data", {})["id"] = uuid.uuid4().hex
    return json.dumps(document, indent=2).encode("utf-8")


def send(url: str, body: bytes, secret: str, family: str = "bettermode", timeout: float = 15) -> HttpResponse:
    """POST the body as the platform would: signed with `secret` for Bettermode, as is to a canD URL
    (canD signs nothing; its URL carries the token). Any HTTP status is returned, not raised."""
    headers = (
        {"content-type": "application/json"}
        if "/webhooks/cand/" in url
        else signed_headers(secret, body, family=family)
    )
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310 - the user's URL
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            headers = {name.lower(): value for name, value in response.headers.items()}
            return HttpResponse(response.status, headers, response.read().decode("utf-8"))
    except urllib.error.HTTPError as error:
        headers = {name.lower(): value for name, value in error.headers.items()}
        return HttpResponse(error.code, headers, error.read().decode("utf-8"))


def main(file: str, url: str, secret: str, family: str, fresh_id: bool) -> int:
    body = load_body(Path(file))
    if fresh_id:
        body = with_fresh_id(body)
    try:
        response = send(url, body, secret, family)
    except (urllib.error.URLError, TimeoutError) as error:
        print(f"could not reach {url}: {error}")
        return 2
    print(f"HTTP {response.status} {response.body}")
    return 0 if 200 <= response.status < 300 else 1


def resign(event: dict[str, Any], secret: str, timestamp_ms: int | None = None) -> dict[str, Any]:
    """The event re-stamped (now) and re-signed with `secret`, in the header family it already uses."""
    headers = {name.lower(): value for name, value in (event.get("headers") or {}).items()}
    family = "tribe" if "x-tribe-signature" in headers and "x-bettermode-signature" not in headers else "bettermode"
    for signature_header, timestamp_header in HEADER_FAMILIES.values():
        headers.pop(signature_header, None)
        headers.pop(timestamp_header, None)
    stamp = now_ms() if timestamp_ms is None else timestamp_ms
    headers.update(signed_headers(secret, event_body(event), stamp, family))
    return {**event, "headers": headers}


def resign_files(files: list[str], secret: str) -> int:
    for name in files:
        path = Path(name)
        event = json.loads(path.read_text(encoding="utf-8"))
        if not is_api_event(event):
            print(f"skipped {name}: not an API Gateway event")
            continue
        path.write_text(json.dumps(resign(event, secret), indent=2) + "\n", encoding="utf-8")
        print(f"re-signed {name}")
    return 0
