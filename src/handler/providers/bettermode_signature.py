"""Bettermode's request signature: `hex(HMAC-SHA256(secret, "<timestamp>:" + raw body))`.

`sign` and `verify` are exact mirrors, so tests, sample events and the sender all sign with the
same code the receiver checks with. Pure: no I/O, no clock (the caller passes `now_ms`).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable

from handler.errors import Unauthorized

MAX_TIMESTAMP_DIGITS = 16  # milliseconds until the year 318857; longer is garbage, not a time


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The lowercase hex signature Bettermode sends for `body` stamped with `timestamp` (ms)."""
    message = timestamp.encode("ascii") + b":" + body
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def signature_matches(secrets: Iterable[str], timestamp: str, body: bytes, signature: str) -> bool:
    """True when `signature` is the signature of the body under any active secret.

    Compared as bytes in constant time, so a wrong-length, upper-case or non-ASCII value is simply
    no match (never an exception). Every secret is tried, so timing does not tell which one matched.
    """
    given = signature.encode("utf-8", "surrogatepass")
    matched = False
    for secret in secrets:
        matched |= hmac.compare_digest(given, sign(secret, timestamp, body).encode("ascii"))
    return matched


def check_timestamp(timestamp: str, now_ms: int, window_past_s: int, skew_future_s: int) -> int:
    """The timestamp as milliseconds, or Unauthorized when it is not a time inside the window.

    Bettermode stamps requests in Unix milliseconds. A timestamp in seconds reads as 1970, so it is
    stale, as it should be: a sender that stamps in seconds is not Bettermode.
    """
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= MAX_TIMESTAMP_DIGITS):
        raise Unauthorized("the request timestamp is not a Unix time in milliseconds", "bad_timestamp")
    stamped = int(timestamp)
    if stamped < now_ms - window_past_s * 1000:
        raise Unauthorized(f"the request timestamp is more than {window_past_s} seconds old", "stale_timestamp")
    if stamped > now_ms + skew_future_s * 1000:
        raise Unauthorized(
            f"the request timestamp is more than {skew_future_s} seconds in the future", "stale_timestamp"
        )
    return stamped
