"""handler.providers.bettermode_signature: Bettermode's HMAC signature and the replay window (pure, no clock)."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from handler.errors import Unauthorized
from handler.providers.bettermode_signature import MAX_TIMESTAMP_DIGITS, check_timestamp, sign, signature_matches

# The test vector of PROTOCOL.md, "Signature".
VECTOR_SECRET = "test-signing-secret"
VECTOR_TIMESTAMP = "1700000000000"
VECTOR_BODY = (
    b'{"networkId":"CAxOmI7I7X","context":"NETWORK","currentSettings":[],"type":"TEST",'
    b'"data":{"challenge":"d77dae12ea612cf647d6e2e78dd2b7470e4e4358"}}'
)
VECTOR_SIGNATURE = "ea23f5b000d9ab964df9103e673c985bb7c29fa4e10b96f9e82df60a9fb0fd20"

NOW_MS = 1_700_000_000_000
WINDOW_S = 900
SKEW_S = 60
FULLWIDTH_NOW = "".join(chr(0xFF10 + int(digit)) for digit in str(NOW_MS))  # U+FF10..U+FF19 digits


# --- sign -----------------------------------------------------------------------------------------


def test_vector_body_is_the_documented_145_bytes():
    assert len(VECTOR_BODY) == 145


def test_sign_reproduces_the_protocol_test_vector():
    assert sign(VECTOR_SECRET, VECTOR_TIMESTAMP, VECTOR_BODY) == VECTOR_SIGNATURE


def test_sign_is_hmac_sha256_of_timestamp_colon_body():
    body = b'{"a":1}'
    expected = hmac.new(b"k", b"123:" + body, hashlib.sha256).hexdigest()
    assert sign("k", "123", body) == expected


def test_sign_is_64_lowercase_hex_characters():
    signature = sign(VECTOR_SECRET, VECTOR_TIMESTAMP, VECTOR_BODY)
    assert len(signature) == 64
    assert set(signature) <= set("0123456789abcdef")


def test_sign_covers_the_raw_bytes_not_the_json_meaning():
    reformatted = b'{"networkId": "CAxOmI7I7X", ' + VECTOR_BODY[len(b'{"networkId":"CAxOmI7I7X",') :]
    assert reformatted != VECTOR_BODY
    assert sign(VECTOR_SECRET, VECTOR_TIMESTAMP, reformatted) != VECTOR_SIGNATURE


@pytest.mark.parametrize(
    ("secret", "timestamp", "body"),
    [
        ("other-secret", VECTOR_TIMESTAMP, VECTOR_BODY),
        (VECTOR_SECRET, "1700000000001", VECTOR_BODY),
        (VECTOR_SECRET, VECTOR_TIMESTAMP, VECTOR_BODY + b" "),
    ],
    ids=["secret", "timestamp", "body"],
)
def test_sign_changes_with_each_input(secret, timestamp, body):
    assert sign(secret, timestamp, body) != VECTOR_SIGNATURE


def test_sign_accepts_non_utf8_body_bytes():
    body = b"\xff\xfe\x00binary"
    assert sign("k", "1", body) == hmac.new(b"k", b"1:" + body, hashlib.sha256).hexdigest()


# --- signature_matches ----------------------------------------------------------------------------


def test_signature_matches_the_protocol_test_vector():
    assert signature_matches([VECTOR_SECRET], VECTOR_TIMESTAMP, VECTOR_BODY, VECTOR_SIGNATURE)


@pytest.mark.parametrize(
    "body",
    [b"", b"{}", b"\x00\xff\x80 not utf-8", "héllo wörld ✓".encode()],
    ids=["empty", "json", "non-utf8", "utf8"],
)
def test_signature_matches_mirrors_sign(body):
    signature = sign("secret", "1700000000123", body)
    assert signature_matches(["secret"], "1700000000123", body, signature)


def test_signature_matches_rejects_another_body():
    signature = sign("secret", "1", b"one")
    assert not signature_matches(["secret"], "1", b"two", signature)


def test_signature_matches_rejects_another_timestamp():
    signature = sign("secret", "1", b"body")
    assert not signature_matches(["secret"], "2", b"body", signature)


@pytest.mark.parametrize("signing_secret", ["old", "current", "next"])
def test_any_of_several_secrets_matches(signing_secret):
    signature = sign(signing_secret, VECTOR_TIMESTAMP, VECTOR_BODY)
    assert signature_matches(("old", "current", "next"), VECTOR_TIMESTAMP, VECTOR_BODY, signature)


def test_secret_outside_the_active_set_does_not_match():
    signature = sign("retired", VECTOR_TIMESTAMP, VECTOR_BODY)
    assert not signature_matches(("old", "current"), VECTOR_TIMESTAMP, VECTOR_BODY, signature)


def test_no_secrets_never_match():
    assert not signature_matches([], VECTOR_TIMESTAMP, VECTOR_BODY, VECTOR_SIGNATURE)


def test_secrets_may_be_any_iterable():
    secrets = (secret for secret in ["a", VECTOR_SECRET])
    assert signature_matches(secrets, VECTOR_TIMESTAMP, VECTOR_BODY, VECTOR_SIGNATURE)


@pytest.mark.parametrize(
    "signature",
    [
        "",
        VECTOR_SIGNATURE[:-1],
        VECTOR_SIGNATURE + "0",
        VECTOR_SIGNATURE[:32],
        VECTOR_SIGNATURE * 2,
        VECTOR_SIGNATURE.upper(),
        "sha256=" + VECTOR_SIGNATURE,
        " " + VECTOR_SIGNATURE,
        VECTOR_SIGNATURE + "\n",
        "é" * 64,
        "é" * 32,
        VECTOR_SIGNATURE[:-1] + "é",
        "\ud800" * 64,
        "g" * 64,
        "0" * 64,
    ],
    ids=[
        "empty",
        "one-short",
        "one-long",
        "half",
        "doubled",
        "upper-case",
        "prefixed",
        "leading-space",
        "trailing-newline",
        "non-ascii-64-chars",
        "non-ascii-64-bytes",
        "non-ascii-last-char",
        "lone-surrogates",
        "non-hex",
        "all-zero",
    ],
)
def test_malformed_signature_is_simply_no_match(signature):
    assert signature_matches([VECTOR_SECRET, "other"], VECTOR_TIMESTAMP, VECTOR_BODY, signature) is False


# --- check_timestamp ------------------------------------------------------------------------------


def test_check_timestamp_returns_the_milliseconds():
    assert check_timestamp(str(NOW_MS), NOW_MS, WINDOW_S, SKEW_S) == NOW_MS


def test_leading_zeros_are_read_as_the_same_time():
    stamped = str(NOW_MS).rjust(MAX_TIMESTAMP_DIGITS, "0")
    assert len(stamped) == MAX_TIMESTAMP_DIGITS
    assert check_timestamp(stamped, NOW_MS, WINDOW_S, SKEW_S) == NOW_MS


@pytest.mark.parametrize(
    "offset_ms",
    [-WINDOW_S * 1000, -WINDOW_S * 1000 + 1, -1, 0, 1, SKEW_S * 1000 - 1, SKEW_S * 1000],
    ids=["window-edge", "inside-window", "1ms-ago", "now", "1ms-ahead", "inside-skew", "skew-edge"],
)
def test_timestamp_inside_the_window_is_accepted(offset_ms):
    stamped = NOW_MS + offset_ms
    assert check_timestamp(str(stamped), NOW_MS, WINDOW_S, SKEW_S) == stamped


def test_timestamp_1ms_older_than_the_window_is_rejected():
    stamped = NOW_MS - WINDOW_S * 1000 - 1
    with pytest.raises(Unauthorized, match=f"more than {WINDOW_S} seconds old"):
        check_timestamp(str(stamped), NOW_MS, WINDOW_S, SKEW_S)


def test_timestamp_1ms_beyond_the_future_skew_is_rejected():
    stamped = NOW_MS + SKEW_S * 1000 + 1
    with pytest.raises(Unauthorized, match=f"more than {SKEW_S} seconds in the future"):
        check_timestamp(str(stamped), NOW_MS, WINDOW_S, SKEW_S)


@pytest.mark.parametrize(
    ("window_s", "skew_s", "offset_ms", "accepted"),
    [
        (300, 0, 0, True),
        (300, 0, 1, False),
        (0, 10, 0, True),
        (0, 10, -1, False),
        (300, 10, -300_000, True),
        (300, 10, -300_001, False),
        (300, 10, 10_000, True),
        (300, 10, 10_001, False),
    ],
    ids=[
        "no-skew-now",
        "no-skew-1ms-ahead",
        "no-window-now",
        "no-window-1ms-ago",
        "custom-window-edge",
        "custom-window-beyond",
        "custom-skew-edge",
        "custom-skew-beyond",
    ],
)
def test_window_and_skew_are_the_callers(window_s, skew_s, offset_ms, accepted):
    stamped = str(NOW_MS + offset_ms)
    if accepted:
        assert check_timestamp(stamped, NOW_MS, window_s, skew_s) == NOW_MS + offset_ms
    else:
        with pytest.raises(Unauthorized):
            check_timestamp(stamped, NOW_MS, window_s, skew_s)


def test_timestamp_in_seconds_reads_as_1970_and_is_stale():
    with pytest.raises(Unauthorized, match="seconds old"):
        check_timestamp(str(NOW_MS // 1000), NOW_MS, WINDOW_S, SKEW_S)


@pytest.mark.parametrize(
    "timestamp",
    [
        "",
        " ",
        "abc",
        "1700000000000.0",
        "1.7e12",
        "-1",
        "-1700000000000",
        "+1700000000000",
        " 1700000000000",
        "1700000000000 ",
        "1700000000000\n",
        "1_700_000_000_000",
        "0x18BCFE56800",
        "١٢٣",
        "²",
        "1700000000000²",
        FULLWIDTH_NOW,
        "1" * (MAX_TIMESTAMP_DIGITS + 1),
        "0" * (MAX_TIMESTAMP_DIGITS + 1 - len(str(NOW_MS))) + str(NOW_MS),
        "9" * 400,
    ],
    ids=[
        "empty",
        "space",
        "letters",
        "decimal-point",
        "exponent",
        "negative-one",
        "negative",
        "plus-sign",
        "leading-space",
        "trailing-space",
        "trailing-newline",
        "underscores",
        "hex",
        "arabic-indic-digits",
        "superscript-two",
        "trailing-superscript",
        "fullwidth-digits",
        "17-digits",
        "17-digits-valid-time-with-leading-zeros",
        "400-digits",
    ],
)
def test_timestamp_that_is_not_ascii_milliseconds_is_unauthorized(timestamp):
    with pytest.raises(Unauthorized, match="not a Unix time in milliseconds") as caught:
        check_timestamp(timestamp, NOW_MS, WINDOW_S, SKEW_S)
    assert caught.value.status == 401
    assert caught.value.code == "unauthorized"


def test_unauthorized_message_never_echoes_the_timestamp():
    with pytest.raises(Unauthorized) as caught:
        check_timestamp("secret-looking-value", NOW_MS, WINDOW_S, SKEW_S)
    assert "secret-looking-value" not in caught.value.message
