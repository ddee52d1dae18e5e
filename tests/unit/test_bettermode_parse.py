"""handler.providers.bettermode: parse() of every request type, and authenticate() (pure)."""

from __future__ import annotations

import calendar
import json
from pathlib import Path
from typing import Any

import pytest

from handler import config
from handler.errors import BadRequest, Unauthorized
from handler.model import Event, Publish, Reply, Request
from handler.providers import bettermode
from handler.providers.bettermode_signature import sign

SAMPLES = Path(__file__).resolve().parents[2] / "events" / "payloads" / "bettermode"
NOW_MS = 1_700_000_000_000


def sample_bytes(name: str) -> bytes:
    return (SAMPLES / f"{name}.json").read_bytes()


def sample(name: str) -> dict[str, Any]:
    return json.loads(sample_bytes(name))


def encode(document: Any) -> bytes:
    return json.dumps(document).encode("utf-8")


def parse(document: Any) -> Any:
    return bettermode.parse(Request(headers={}, body=encode(document)))


def parse_sample(name: str) -> Any:
    return bettermode.parse(Request(headers={}, body=sample_bytes(name)))


def subscription(**data: Any) -> dict[str, Any]:
    return {"type": "SUBSCRIPTION", "networkId": "net", "data": {"id": "e1", "noun": "POST", **data}}


# --- TEST -----------------------------------------------------------------------------------------


def test_test_challenge_is_echoed():
    delivery = parse_sample("test-challenge")
    assert delivery == Reply(
        {"type": "TEST", "status": "SUCCEEDED", "data": {"challenge": "d77dae12ea612cf647d6e2e78dd2b7470e4e4358"}}
    )


@pytest.mark.parametrize("challenge", ["abc", "", 12345, {"nested": True}], ids=["text", "empty", "number", "object"])
def test_test_challenge_value_is_echoed_as_is(challenge):
    delivery = parse({"type": "TEST", "data": {"challenge": challenge}})
    assert isinstance(delivery, Reply)
    assert delivery.body["data"] == {"challenge": challenge}


@pytest.mark.parametrize(
    "document",
    [
        {"type": "TEST"},
        {"type": "TEST", "data": None},
        {"type": "TEST", "data": "challenge"},
        {"type": "TEST", "data": []},
        {"type": "TEST", "data": {}},
        {"type": "TEST", "data": {"Challenge": "x"}},
    ],
    ids=["no-data", "null-data", "text-data", "list-data", "empty-data", "wrong-case-key"],
)
def test_test_without_challenge_is_bad_request(document):
    with pytest.raises(BadRequest, match=r"data\.challenge is required for a TEST request"):
        parse(document)


# --- SUBSCRIPTION ---------------------------------------------------------------------------------


def occurred_ms(iso: str) -> int:
    """The sample's data.time in Unix ms, worked out here by calendar arithmetic."""
    day, clock = iso.rstrip("Z").split("T")
    year, month, date = map(int, day.split("-"))
    hours, minutes, seconds = clock.split(":")
    return round((calendar.timegm((year, month, date, int(hours), int(minutes), 0)) + float(seconds)) * 1000)


@pytest.mark.parametrize(
    ("name", "event_id", "noun", "verb", "attributes", "group"),
    [
        (
            "post.published",
            "f2d51f56ceef439cf659f06797a66592",
            "POST",
            "PUBLISHED",
            {"network_id": "CAxOmI7I7t", "space_id": "kBMLH6nwC78J", "actor_id": "olQ88vTqYp"},
            "post:7YLkAXyezVhHloA",
        ),
        (
            "member.created",
            "e93d6e7272fe7b56a7cdb26a75327f6d",
            "MEMBER",
            "CREATED",
            {"network_id": "CAxOmI7I7t", "actor_id": "vBvRy32yvV"},
            "member:zENywtyv1G",
        ),
        (
            "network.updated",
            "d1549307a9cd08df7dc20f68bda60eb6",
            "NETWORK",
            "UPDATED",
            {"network_id": "ONyPnp8I8o", "actor_id": "olQ88vTqYp"},
            "network:ONyPnp8I8o",
        ),
        (
            "reaction.added",
            "ca0303107af9d45f5ab6d20df9728ce6",
            "REACTION",
            "ADDED",
            {"network_id": "CAxOmI7I7t", "space_id": "kBMLH6nwC78J", "actor_id": "olQ88vTqYp"},
            "post:kCPt3feq0MCIT6w",  # the group of the post it is on
        ),
        (
            "space.created",
            "8147a2af79248c3c8815ffeaa6777a7f",
            "SPACE",
            "CREATED",
            # a space's own spaceId is in target, not on the object
            {"network_id": "CAxOmI7I7t", "space_id": "ky4X0Ci6q4M5", "actor_id": "olQ88vTqYp"},
            "space:ky4X0Ci6q4M5",
        ),
    ],
    ids=["post.published", "member.created", "network.updated", "reaction.added", "space.created"],
)
def test_subscription_samples(name, event_id, noun, verb, attributes, group):
    # each sample file is named after its event: data.name
    body = sample_bytes(name)
    delivery = bettermode.parse(Request(headers={}, body=body))
    assert delivery == Publish(
        Event(
            source="bettermode",
            event_id=event_id,
            name=name,
            noun=noun,
            verb=verb,
            body=body,
            attributes=attributes,
            group=group,
            occurred_at_ms=occurred_ms(json.loads(body)["data"]["time"]),
        ),
        {"type": "SUBSCRIPTION", "status": "SUCCEEDED"},
    )


def test_subscription_body_is_the_identical_bytes():
    body = sample_bytes("post.published")
    delivery = bettermode.parse(Request(headers={}, body=body))
    assert delivery.event.body is body


def test_subscription_body_is_not_reserialised():
    body = b'{ "type" : "SUBSCRIPTION",\n "data": {"id":"e1","noun":"post","name":"Post.Published", "x": "\\u00e9"} }'
    delivery = bettermode.parse(Request(headers={}, body=body))
    assert delivery.event.body == body


def test_subscription_name_is_lower_cased_and_noun_and_verb_upper_cased():
    delivery = parse(subscription(noun="space_membership", verb="created", name="Space_Membership.CREATED"))
    assert delivery.event.name == "space_membership.created"
    assert delivery.event.noun == "SPACE_MEMBERSHIP"
    assert delivery.event.verb == "CREATED"


def test_subscription_dedupe_key_and_event_id_are_data_id():
    delivery = parse(subscription(id="0123456789abcdef0123456789abcdef"))
    assert delivery.event.event_id == "0123456789abcdef0123456789abcdef"
    assert delivery.event.event_id == "0123456789abcdef0123456789abcdef"


@pytest.mark.parametrize(
    ("data", "expected_name"),
    [
        ({"noun": "POST", "verb": "PUBLISHED"}, "post.published"),
        ({"noun": "space_membership", "verb": "Created"}, "space_membership.created"),
        ({"noun": "POST", "verb": "PUBLISHED", "name": ""}, "post.published"),
        ({"noun": "POST", "verb": "PUBLISHED", "name": None}, "post.published"),
        ({"noun": "POST"}, "post"),
        ({"noun": "POST", "verb": ""}, "post"),
        ({"noun": "POST", "verb": None}, "post"),
    ],
    ids=["noun-verb", "mixed-case", "empty-name", "null-name", "noun-only", "empty-verb", "null-verb"],
)
def test_subscription_name_derived_from_noun_and_verb_when_missing(data, expected_name):
    delivery = parse({"type": "SUBSCRIPTION", "data": {"id": "e1", **data}})
    assert delivery.event.name == expected_name


@pytest.mark.parametrize("verb", [None, ""], ids=["missing", "empty"])
def test_subscription_without_verb_has_verb_none(verb):
    data = {"id": "e1", "noun": "NETWORK"} | ({} if verb is None else {"verb": verb})
    assert parse({"type": "SUBSCRIPTION", "data": data}).event.verb is None


def test_subscription_name_is_kept_when_given():
    delivery = parse(subscription(verb="PUBLISHED", name="post.something_else"))
    assert delivery.event.name == "post.something_else"


def test_subscription_network_id_from_envelope_wins_over_target():
    delivery = parse(subscription(target={"networkId": "from-target"}))
    assert delivery.event.attributes["network_id"] == "net"


def test_subscription_network_id_from_target_when_envelope_lacks_it():
    document = {"type": "SUBSCRIPTION", "data": {"id": "e1", "noun": "POST", "target": {"networkId": "tgt"}}}
    assert parse(document).event.attributes == {"network_id": "tgt"}


def test_subscription_space_id_from_object_wins_over_target():
    delivery = parse(subscription(object={"spaceId": "obj"}, target={"spaceId": "tgt"}))
    assert delivery.event.attributes["space_id"] == "obj"


def test_subscription_space_id_from_target_when_object_lacks_it():
    delivery = parse(subscription(object={"id": "x"}, target={"spaceId": "tgt"}))
    assert delivery.event.attributes["space_id"] == "tgt"


def test_subscription_actor_id():
    assert parse(subscription(actor={"id": "act"})).event.attributes["actor_id"] == "act"


def test_subscription_numeric_ids_become_text():
    delivery = parse(subscription(actor={"id": 42}, object={"spaceId": 7}))
    assert delivery.event.attributes == {"network_id": "net", "space_id": "7", "actor_id": "42"}


def test_subscription_without_optional_parts_has_no_empty_attributes():
    document = {"type": "SUBSCRIPTION", "data": {"id": "e1", "noun": "POST"}}
    assert parse(document).event.attributes == {}


@pytest.mark.parametrize(
    "data",
    [
        {"actor": None, "object": None, "target": None},
        {"actor": "someone", "object": [], "target": 1},
        {"actor": {"id": ""}, "object": {"spaceId": None}, "target": {"networkId": False, "spaceId": {}}},
        {"actor": {"id": True}, "object": {"spaceId": []}},
    ],
    ids=["nulls", "wrong-types", "empty-values", "bool-and-list"],
)
def test_subscription_tolerates_odd_optional_parts(data):
    document = {"type": "SUBSCRIPTION", "data": {"id": "e1", "noun": "POST", **data}}
    delivery = parse(document)
    assert isinstance(delivery, Publish)
    assert delivery.event.attributes == {}


def test_subscription_tolerates_unknown_fields():
    document = subscription(verb="CREATED", whatever={"deep": [1, 2]}, shortDescription=None)
    document["entities"] = {"network": {}}
    document["surprise"] = True
    delivery = parse(document)
    assert delivery.event.name == "post.created"


# --- APP_INSTALLED / APP_UNINSTALLED --------------------------------------------------------------


def app_document(kind: str, **data: Any) -> dict[str, Any]:
    return {"type": kind, "networkId": "net", "data": {"id": "inst-1", "appId": "app-1", **data}}


@pytest.mark.parametrize(
    ("kind", "verb"), [("APP_INSTALLED", "INSTALLED"), ("APP_UNINSTALLED", "UNINSTALLED")], ids=["install", "uninstall"]
)
def test_app_lifecycle_event(kind, verb):
    body = encode(app_document(kind))
    delivery = bettermode.parse(Request(headers={}, body=body))
    assert delivery == Publish(
        Event(
            source="bettermode",
            event_id=f"{kind}:inst-1",
            name=f"app_installation.{verb.lower()}",
            noun="APP_INSTALLATION",
            verb=verb,
            body=body,
            attributes={"network_id": "net", "app_id": "app-1"},
            group="app_installation:inst-1",  # install and uninstall in one group, in order
        ),
        {"type": kind, "status": "SUCCEEDED"},
    )


def test_install_and_uninstall_of_one_installation_have_distinct_keys():
    installed = parse(app_document("APP_INSTALLED")).event
    uninstalled = parse(app_document("APP_UNINSTALLED")).event
    assert installed.event_id != uninstalled.event_id
    assert installed.event_id != uninstalled.event_id
    assert installed.noun == uninstalled.noun == "APP_INSTALLATION"


def test_app_event_key_differs_from_a_subscription_with_the_same_id():
    app = parse(app_document("APP_INSTALLED", id="same")).event
    event = parse(subscription(id="same")).event
    assert app.event_id != event.event_id


def test_app_event_network_id_from_data_when_envelope_lacks_it():
    document = {"type": "APP_INSTALLED", "data": {"id": "inst-1", "networkId": "data-net"}}
    assert parse(document).event.attributes == {"network_id": "data-net"}


def test_app_event_without_optional_ids():
    document = {"type": "APP_UNINSTALLED", "data": {"id": "inst-1"}}
    assert parse(document).event.attributes == {}


# --- reply-only types -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("interaction", {"interactions": []}),
        ("shortcuts-states", []),
        ("federated-search", []),
    ],
)
def test_reply_only_samples(name, data):
    kind = sample(name)["type"]
    assert parse_sample(name) == Reply({"type": kind, "status": "SUCCEEDED", "data": data})


def test_interaction_reply_matches_the_documented_response_shape():
    expected = sample("interaction.response")
    assert parse_sample("interaction").body == expected


@pytest.mark.parametrize(
    "kind", ["GET_SETTINGS", "UPDATE_SETTINGS", "LOAD_BLOCK", "CALLBACK", "SOMETHING_NEW", "test", "subscription"]
)
def test_unknown_type_is_echoed_with_succeeded_and_no_data(kind):
    delivery = parse({"type": kind, "data": {"anything": 1}})
    assert delivery == Reply({"type": kind, "status": "SUCCEEDED"})


def test_reply_only_types_need_no_data():
    assert parse({"type": "INTERACTION"}) == Reply(
        {"type": "INTERACTION", "status": "SUCCEEDED", "data": {"interactions": []}}
    )


# --- BadRequest -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "the body is empty"),
        (b"  \n\t ", "the body is empty"),
        (b"\xff\xfe{}", "the body is not UTF-8 text"),
        (b'{"type": "TEST", "data": {"challenge": "\xe9"}}', "the body is not UTF-8 text"),
        (b"{", "the body is not valid JSON"),
        (b'{"type": "TEST",}', "the body is not valid JSON"),
        (b"not json", "the body is not valid JSON"),
        (b"[]", "the body must be a JSON object, not list"),
        (b'"TEST"', "the body must be a JSON object, not str"),
        (b"42", "the body must be a JSON object, not int"),
        (b"null", "the body must be a JSON object, not NoneType"),
        (b"[" * 100_000 + b"]" * 100_000, "the body is nested too deeply"),
    ],
    ids=[
        "empty",
        "whitespace",
        "non-utf8",
        "latin1-inside-json",
        "truncated",
        "trailing-comma",
        "not-json",
        "array",
        "string",
        "number",
        "null",
        "deeply-nested",
    ],
)
def test_unreadable_body_is_bad_request(body, message):
    with pytest.raises(BadRequest, match=message) as caught:
        bettermode.parse(Request(headers={}, body=body))
    assert caught.value.status == 400


def test_invalid_json_message_says_where():
    with pytest.raises(BadRequest, match=r"at line 2 column \d+"):
        bettermode.parse(Request(headers={}, body=b'{"type": "TEST",\n oops}'))


def test_invalid_json_message_never_echoes_the_body():
    with pytest.raises(BadRequest) as caught:
        bettermode.parse(Request(headers={}, body=b'{"secret-looking-token": }'))
    assert "secret-looking-token" not in caught.value.message


@pytest.mark.parametrize(
    "document",
    [
        {},
        {"type": None},
        {"type": ""},
        {"type": "   "},
        {"type": 1},
        {"type": ["TEST"]},
        {"Type": "TEST"},
    ],
    ids=["missing", "null", "empty", "blank", "number", "list", "wrong-case-key"],
)
def test_missing_type_is_bad_request_naming_body_type(document):
    with pytest.raises(BadRequest, match=r"^body\.type is required and must be a non-empty string$"):
        parse(document)


@pytest.mark.parametrize("kind", ["SUBSCRIPTION", "APP_INSTALLED", "APP_UNINSTALLED"])
@pytest.mark.parametrize("data", [None, "x", [], 1], ids=["null", "text", "list", "number"])
def test_publishing_type_without_data_object_is_bad_request(kind, data):
    with pytest.raises(BadRequest, match=rf"^data is required for an? {kind} request and must be an object$"):
        parse({"type": kind, "data": data})


@pytest.mark.parametrize("kind", ["SUBSCRIPTION", "APP_INSTALLED", "APP_UNINSTALLED"])
def test_publishing_type_with_data_missing_is_bad_request(kind):
    with pytest.raises(BadRequest, match=r"^data is required"):
        parse({"type": kind})


@pytest.mark.parametrize(
    "value", [None, "", " ", 123, ["id"], {"id": "x"}], ids=["null", "empty", "blank", "number", "list", "object"]
)
@pytest.mark.parametrize("kind", ["SUBSCRIPTION", "APP_INSTALLED", "APP_UNINSTALLED"])
def test_missing_data_id_is_bad_request_naming_data_id(kind, value):
    data: dict[str, Any] = {"noun": "POST"} if kind == "SUBSCRIPTION" else {}
    if value is not None:
        data["id"] = value
    with pytest.raises(BadRequest, match=r"^data\.id is required and must be a non-empty string$"):
        parse({"type": kind, "data": data})


@pytest.mark.parametrize("value", [None, "", " ", 5, ["POST"]], ids=["null", "empty", "blank", "number", "list"])
def test_subscription_without_noun_is_bad_request_naming_data_noun(value):
    data: dict[str, Any] = {"id": "e1", "verb": "CREATED", "name": "post.created"}
    if value is not None:
        data["noun"] = value
    with pytest.raises(BadRequest, match=r"^data\.noun is required and must be a non-empty string$"):
        parse({"type": "SUBSCRIPTION", "data": data})


def test_number_too_long_to_convert_is_bad_request():
    body = b'{"type": "SUBSCRIPTION", "data": {"id": "e1", "noun": "POST", "n": 1' + b"0" * 5000 + b"}}"
    with pytest.raises(BadRequest, match="not valid JSON"):
        bettermode.parse(Request(headers={}, body=body))


# --- authenticate ---------------------------------------------------------------------------------


SETTINGS = config.from_env({})
SECRETS = ("s1", "s2")
BODY = sample_bytes("test-challenge")
TIMESTAMP = str(NOW_MS)


def headers(family: str, *, key: str = "s1", timestamp: str = TIMESTAMP, body: bytes = BODY) -> dict[str, str]:
    return {
        f"x-{family}-signature": sign(key, timestamp, body),
        f"x-{family}-request-timestamp": timestamp,
    }


def authenticate(request_headers: dict[str, str], body: bytes = BODY, settings: Any = SETTINGS) -> None:
    bettermode.authenticate(Request(headers=request_headers, body=body), lambda: SECRETS, settings, NOW_MS)


def test_a_request_refused_for_its_headers_never_asks_for_the_secrets():
    def never() -> tuple[str, ...]:
        raise AssertionError("the secrets were asked for")

    with pytest.raises(Unauthorized, match="not signed"):
        bettermode.authenticate(Request(headers={}, body=BODY), never, SETTINGS, NOW_MS)
    stale = headers("bettermode", timestamp=str(NOW_MS - 16 * 60 * 1000))
    with pytest.raises(Unauthorized):
        bettermode.authenticate(Request(headers=stale, body=BODY), never, SETTINGS, NOW_MS)


@pytest.mark.parametrize("family", ["bettermode", "tribe"])
@pytest.mark.parametrize("secret", ["s1", "s2"])
def test_either_header_family_with_either_secret_is_authentic(family, secret):
    assert authenticate(headers(family, key=secret)) is None


@pytest.mark.parametrize("family", ["bettermode", "tribe"])
def test_unknown_secret_is_unauthorized(family):
    with pytest.raises(Unauthorized, match="signature does not match"):
        authenticate(headers(family, key="s3"))


@pytest.mark.parametrize("family", ["bettermode", "tribe"])
def test_tampered_body_is_unauthorized(family):
    with pytest.raises(Unauthorized, match="signature does not match"):
        authenticate(headers(family), body=BODY.replace(b"d77dae12", b"d77dae13"))


def test_bettermode_family_wins_when_both_are_present():
    good_bettermode = headers("bettermode")
    bad_tribe = headers("tribe", key="wrong")
    assert authenticate(good_bettermode | bad_tribe) is None


def test_tribe_family_is_ignored_when_bettermode_is_present():
    bad_bettermode = headers("bettermode", key="wrong")
    good_tribe = headers("tribe")
    with pytest.raises(Unauthorized, match="signature does not match"):
        authenticate(bad_bettermode | good_tribe)


def test_bettermode_timestamp_is_used_with_the_bettermode_signature():
    mixed = headers("bettermode") | headers("tribe", timestamp=str(NOW_MS - 1))
    assert authenticate(mixed) is None


@pytest.mark.parametrize(
    "request_headers",
    [
        {},
        {"content-type": "application/json"},
        {"x-bettermode-request-timestamp": TIMESTAMP},
        {"x-tribe-request-timestamp": TIMESTAMP},
        {"x-signature": "abc", "x-bettermode-timestamp": TIMESTAMP},
    ],
    ids=["none", "unrelated", "bettermode-timestamp-only", "tribe-timestamp-only", "other-names"],
)
def test_unsigned_request_is_unauthorized(request_headers):
    with pytest.raises(Unauthorized, match="the request is not signed") as caught:
        authenticate(request_headers)
    assert caught.value.status == 401


@pytest.mark.parametrize("family", ["bettermode", "tribe"])
@pytest.mark.parametrize("timestamp", [None, ""], ids=["missing", "empty"])
def test_signature_without_timestamp_is_unauthorized(family, timestamp):
    request_headers = headers(family)
    if timestamp is None:
        del request_headers[f"x-{family}-request-timestamp"]
    else:
        request_headers[f"x-{family}-request-timestamp"] = timestamp
    with pytest.raises(Unauthorized, match=f"no x-{family}-request-timestamp header"):
        authenticate(request_headers)


def test_bettermode_signature_does_not_borrow_the_tribe_timestamp():
    request_headers = headers("bettermode") | {"x-tribe-request-timestamp": TIMESTAMP}
    del request_headers["x-bettermode-request-timestamp"]
    with pytest.raises(Unauthorized, match="no x-bettermode-request-timestamp header"):
        authenticate(request_headers)


@pytest.mark.parametrize(
    ("offset_ms", "message"),
    [(-900_001, "seconds old"), (60_001, "in the future")],
    ids=["stale", "future"],
)
def test_timestamp_outside_the_window_is_unauthorized_even_if_signed(offset_ms, message):
    stamped = str(NOW_MS + offset_ms)
    with pytest.raises(Unauthorized, match=message):
        authenticate(headers("bettermode", timestamp=stamped))


@pytest.mark.parametrize("offset_ms", [-900_000, 60_000], ids=["window-edge", "skew-edge"])
def test_timestamp_at_the_window_edges_is_accepted(offset_ms):
    assert authenticate(headers("tribe", timestamp=str(NOW_MS + offset_ms))) is None


def test_window_comes_from_settings():
    settings = config.from_env({"REPLAY_WINDOW_SECONDS": "10"})
    with pytest.raises(Unauthorized, match="more than 10 seconds old"):
        authenticate(headers("bettermode", timestamp=str(NOW_MS - 10_001)), settings=settings)


def test_non_numeric_timestamp_is_unauthorized():
    with pytest.raises(Unauthorized, match="not a Unix time in milliseconds"):
        authenticate(headers("bettermode", timestamp="soon"))


@pytest.mark.parametrize("signature", ["", "0" * 64, "é" * 64], ids=["empty", "zeros", "non-ascii"])
def test_malformed_signature_header_is_unauthorized(signature):
    request_headers = headers("bettermode") | {"x-bettermode-signature": signature}
    with pytest.raises(Unauthorized, match="signature does not match"):
        authenticate(request_headers)


def test_upper_case_signature_is_unauthorized():
    request_headers = headers("bettermode")
    request_headers["x-bettermode-signature"] = request_headers["x-bettermode-signature"].upper()
    with pytest.raises(Unauthorized):
        authenticate(request_headers)


def test_header_names_must_already_be_lower_case():
    # http_request lower-cases them; authenticate reads only lower-case names.
    request_headers = {"X-Bettermode-Signature": "x", "X-Bettermode-Request-Timestamp": TIMESTAMP}
    with pytest.raises(Unauthorized, match="not signed"):
        authenticate(request_headers)


def test_the_event_time_and_the_signed_timestamp_are_kept_for_its_age():
    body = encode(subscription(time="2026-12-02T10:00:00.250Z"))
    headers = {"x-bettermode-signature": "x", "x-bettermode-request-timestamp": "1796205600900"}
    event = bettermode.parse(Request(headers=headers, body=body)).event
    assert event.occurred_at_ms == 1_796_205_600_250  # 2026-12-02T10:00:00.250Z
    assert event.sent_at_ms == 1_796_205_600_900
    for odd in ("yesterday", "2026-12-02T10:00:00", 1796205600, None, "9" * 50):  # no zone, not text, too long
        assert bettermode.parse(Request(headers={}, body=encode(subscription(time=odd)))).event.occurred_at_ms is None


@pytest.mark.parametrize(
    ("target", "entity", "group"),
    [
        ({"postId": "p1"}, {"id": "m1", "entityId": "p1", "entityType": "POST"}, "post:p1"),  # the sample's shape
        ({}, {"id": "m1", "entityId": "p2", "entityType": "POST"}, "post:p2"),
        ({}, {"id": "m1", "entityId": "u1", "entityType": "MEMBER"}, "member:u1"),  # grouped by the member
        ({}, {"id": "m1", "entityId": "x1", "entityType": "<script>"}, "moderation:x1"),  # never the sender's text
        ({}, {"id": "m1"}, "moderation:m1"),
    ],
)
def test_a_moderation_is_grouped_by_what_it_moderates(target, entity, group):
    delivery = parse(subscription(noun="MODERATION", verb="CREATED", target=target, object=entity))
    assert delivery.event.group == group
