"""handler.publishing: the SNS message attributes of an Event (the pure part only, no SNS)."""

from __future__ import annotations

from typing import Any

import pytest

from handler.model import Event
from handler.publishing import MAX_ATTRIBUTE_LENGTH, MAX_FILTER_ATTRIBUTES, clean, message_attributes, sns_attributes


def event(**fields: Any) -> Event:
    values: dict[str, Any] = {
        "source": "bettermode",
        "event_id": "e1",
        "name": "post.published",
        "noun": "POST",
        "verb": "PUBLISHED",
        "body": b"{}",
        "attributes": {},
    }
    values.update(fields)
    return Event(**values)


def test_limits():
    assert MAX_FILTER_ATTRIBUTES == 9  # SQS raw delivery takes 10; one is kept for ExtendedPayloadSize
    assert MAX_ATTRIBUTE_LENGTH == 256


def test_shared_attributes_in_order():
    attributes = message_attributes(event())
    assert list(attributes.items()) == [
        ("source", "bettermode"),
        ("event_id", "e1"),
        ("event_name", "post.published"),
        ("noun", "POST"),
        ("verb", "PUBLISHED"),
    ]


def test_provider_attributes_follow_the_shared_ones_in_their_order():
    attributes = message_attributes(
        event(attributes={"network_id": "net", "space_id": "space", "actor_id": "actor"}),
    )
    assert list(attributes) == [
        "source",
        "event_id",
        "event_name",
        "noun",
        "verb",
        "network_id",
        "space_id",
        "actor_id",
    ]
    assert attributes["network_id"] == "net"
    assert attributes["space_id"] == "space"
    assert attributes["actor_id"] == "actor"


@pytest.mark.parametrize("verb", [None, ""], ids=["none", "empty"])
def test_no_verb_means_no_verb_attribute(verb):
    attributes = message_attributes(event(verb=verb, name="network"))
    assert "verb" not in attributes
    assert list(attributes) == ["source", "event_id", "event_name", "noun"]


def test_empty_provider_values_are_dropped():
    attributes = message_attributes(event(attributes={"network_id": "", "space_id": "s", "actor_id": ""}))
    assert "network_id" not in attributes
    assert "actor_id" not in attributes
    assert attributes["space_id"] == "s"


@pytest.mark.parametrize("field", ["source", "event_id", "name", "noun"])
def test_empty_shared_values_are_dropped(field):
    attributes = message_attributes(event(**{field: ""}))
    attribute = "event_name" if field == "name" else field
    assert attribute not in attributes
    assert all(attributes.values())


def test_provider_cannot_override_shared_attributes():
    attributes = message_attributes(
        event(attributes={"source": "forged", "noun": "MEMBER", "event_id": "other", "verb": "DELETED", "x": "1"}),
    )
    assert attributes["source"] == "bettermode"
    assert attributes["noun"] == "POST"
    assert attributes["event_id"] == "e1"
    assert attributes["verb"] == "PUBLISHED"
    assert attributes["x"] == "1"
    assert list(attributes) == ["source", "event_id", "event_name", "noun", "verb", "x"]


def test_provider_verb_is_used_when_the_event_has_none():
    # "verb" is not taken by the shared attributes when the event has no verb.
    attributes = message_attributes(event(verb=None, attributes={"verb": "CUSTOM"}))
    assert attributes["verb"] == "CUSTOM"


@pytest.mark.parametrize("extra", [5, 6, 20, 100], ids=lambda n: f"{n}-provider-attributes")
def test_never_more_than_ten(extra):
    provider = {f"attr_{index:03d}": f"value-{index}" for index in range(extra)}
    attributes = message_attributes(event(attributes=provider))
    assert len(attributes) == min(5 + extra, MAX_FILTER_ATTRIBUTES)


def test_cut_keeps_the_shared_ones_and_the_first_provider_ones():
    provider = {f"attr_{index:03d}": f"value-{index}" for index in range(20)}
    attributes = message_attributes(event(attributes=provider))
    assert list(attributes) == [
        "source",
        "event_id",
        "event_name",
        "noun",
        "verb",
        "attr_000",
        "attr_001",
        "attr_002",
        "attr_003",
    ]


def test_without_verb_one_more_provider_attribute_fits():
    provider = {f"attr_{index:03d}": "v" for index in range(20)}
    attributes = message_attributes(event(verb=None, attributes=provider))
    assert len(attributes) == MAX_FILTER_ATTRIBUTES
    assert list(attributes)[-1] == "attr_004"


def test_empty_values_do_not_use_up_the_nine():
    provider = {f"empty_{index}": "" for index in range(10)} | {"kept": "yes"}
    attributes = message_attributes(event(attributes=provider))
    assert attributes["kept"] == "yes"
    assert len(attributes) == 6


def test_exactly_nine_are_all_kept():
    provider = {f"attr_{index}": "v" for index in range(4)}
    attributes = message_attributes(event(attributes=provider))
    assert len(attributes) == 9
    assert set(provider) <= set(attributes)


@pytest.mark.parametrize(
    ("length", "kept"),
    [(1, 1), (255, 255), (256, 256), (257, 256), (10_000, 256)],
)
def test_values_are_cut_to_256_characters(length, kept):
    attributes = message_attributes(event(attributes={"long": "x" * length}))
    assert attributes["long"] == "x" * kept


def test_shared_values_are_cut_too():
    attributes = message_attributes(event(event_id="i" * 300, name="n" * 300))
    assert attributes["event_id"] == "i" * 256
    assert attributes["event_name"] == "n" * 256


def test_cut_counts_characters_not_bytes():
    value = "é" * 300
    attributes = message_attributes(event(attributes={"name_like": value}))
    assert attributes["name_like"] == "é" * 256


def test_event_is_not_changed():
    provider = {"a": "x" * 300}
    original = event(attributes=provider)
    message_attributes(original)
    assert original.attributes == {"a": "x" * 300}


# --- sns_attributes -------------------------------------------------------------------------------


def test_sns_attributes_shape():
    assert sns_attributes({"source": "bettermode", "noun": "POST"}) == {
        "source": {"DataType": "String", "StringValue": "bettermode"},
        "noun": {"DataType": "String", "StringValue": "POST"},
    }


def test_sns_attributes_of_nothing():
    assert sns_attributes({}) == {}


def test_sns_attributes_keep_order():
    attributes = message_attributes(event(attributes={"network_id": "n"}))
    assert list(sns_attributes(attributes)) == list(attributes)


def test_sns_attributes_of_message_attributes():
    converted = sns_attributes(message_attributes(event(attributes={"space_id": "s"})))
    assert len(converted) == 6
    assert all(value == {"DataType": "String", "StringValue": value["StringValue"]} for value in converted.values())
    assert converted["space_id"]["StringValue"] == "s"


@pytest.mark.parametrize(
    ("value", "cleaned"),
    [("plain", "plain"), ("a\ud800b", "ab"), ("tab\tok", "tab\tok"), ("\x00\x01\x1f", ""), ("é😀", "é😀")],
    ids=["plain", "lone-surrogate", "tab", "control", "non-ascii"],
)
def test_values_are_cleaned_of_what_sns_refuses(value, cleaned):
    assert clean(value) == cleaned
    attributes = message_attributes(event(attributes={"actor_id": value}))
    assert attributes.get("actor_id") == (cleaned or None)
