"""The typed models against every sample payload, and their tolerance of what they do not know."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from webhook_events import (
    DOCUMENTED_EVENTS,
    SEEN_EVENTS,
    AppInstallationEvent,
    BettermodeEvent,
    BettermodeRequest,
    CandEvent,
    Delivery,
    MemberEvent,
    MemberInvitationEvent,
    ModerationEvent,
    NetworkEvent,
    PlanEvent,
    PostEvent,
    ReactionEvent,
    SpaceEvent,
    SpaceJoinRequestEvent,
    SpaceMembershipEvent,
    parse_event,
)

PAYLOADS = Path(__file__).resolve().parents[2] / "events" / "payloads"
FILES = sorted(PAYLOADS.rglob("*.json"))


def payload(name: str) -> str:
    return (PAYLOADS / name).read_text(encoding="utf-8")


def bettermode(name: str) -> bytes:
    return (PAYLOADS / "bettermode" / f"{name}.json").read_bytes()


def test_the_sample_payloads_are_all_there() -> None:
    assert len(FILES) >= 30


@pytest.mark.parametrize("path", FILES, ids=lambda path: f"{path.parent.name}/{path.name}")
def test_every_sample_payload_parses_and_round_trips(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    event = parse_event(text)
    assert event.type == json.loads(text)["type"]
    document = json.loads(text)
    # Nothing is dropped: every field sent is still there under its JSON name, known or not.
    dumped = event.model_dump(by_alias=True, exclude_unset=True)
    assert dumped.keys() == document.keys()
    if isinstance(document.get("data"), dict):
        assert dumped["data"].keys() == document["data"].keys()


EXPECTED_FAMILY = {
    "bettermode/post.created.json": (PostEvent, "post.created", "POST", "CREATED", "kBMLH6nwC78J"),
    "bettermode/post.published.json": (PostEvent, "post.published", "POST", "PUBLISHED", "kBMLH6nwC78J"),
    "bettermode/post.deleted.json": (PostEvent, "post.deleted", "POST", "DELETED", "kBMLH6nwC78J"),
    "bettermode/reply.published.json": (PostEvent, "post.published", "POST", "PUBLISHED", "kBMLH6nwC78J"),
    "bettermode/reaction.added.json": (ReactionEvent, "reaction.added", "REACTION", "ADDED", "kBMLH6nwC78J"),
    "bettermode/reaction.removed.json": (ReactionEvent, "reaction.removed", "REACTION", "REMOVED", "kBMLH6nwC78J"),
    "bettermode/space.created.json": (SpaceEvent, "space.created", "SPACE", "CREATED", "ky4X0Ci6q4M5"),
    "bettermode/space_membership.created.json": (
        SpaceMembershipEvent,
        "space_membership.created",
        "SPACE_MEMBERSHIP",
        "CREATED",
        "kBMLH6nwC78J",
    ),
    "bettermode/member.created.json": (MemberEvent, "member.created", "MEMBER", "CREATED", None),
    "bettermode/moderation.created.json": (
        ModerationEvent,
        "moderation.created",
        "MODERATION",
        "CREATED",
        "kBMLH6nwC78J",
    ),
    "bettermode/network.updated.json": (NetworkEvent, "network.updated", "NETWORK", "UPDATED", None),
    "bettermode/widget.spun.json": (BettermodeEvent, "widget.spun", "WIDGET", "SPUN", "kBMLH6nwC78J"),
}


@pytest.mark.parametrize("name", sorted(EXPECTED_FAMILY))
def test_each_event_family_gets_its_model_and_typed_fields(name: str) -> None:
    model, event_name, noun, verb, space_id = EXPECTED_FAMILY[name]
    document = json.loads(payload(name))
    event = parse_event(document)
    assert type(event) is model
    assert isinstance(event, BettermodeEvent)
    assert (event.name, event.noun, event.verb, event.space_id) == (event_name, noun, verb, space_id)
    assert event.event_id == document["data"]["id"]
    assert event.network_id == document["networkId"]
    assert event.actor_id == document["data"]["actor"]["id"]
    assert event.data.time is not None and event.data.time.tzinfo is not None


def test_a_post_and_a_reply() -> None:
    post = PostEvent.model_validate_json(payload("bettermode/post.published.json"))
    assert post.is_reply is False
    assert (post.post.id, post.post.title, post.post.status) == ("7YLkAXyezVhHloA", "Hello world", "PUBLISHED")
    assert post.post.published_at == datetime(2021, 12, 20, 4, 23, 32, 223000, tzinfo=UTC)
    assert post.data.target is not None and post.data.target.collection_id == "JJaH6objoJw3"
    assert post.data.actor is not None and post.data.actor.role_type == "admin"
    reply = PostEvent.model_validate_json(payload("bettermode/reply.published.json"))
    assert reply.is_reply is True
    assert reply.post.replied_to_id == reply.post.replied_to_ids[0]


def test_family_specific_fields() -> None:
    reaction = parse_event(payload("bettermode/reaction.added.json"))
    assert isinstance(reaction, ReactionEvent)
    assert reaction.data.object is not None
    assert (reaction.data.object.reaction, reaction.data.object.post_id) == ("+1", "kCPt3feq0MCIT6w")
    membership = parse_event(payload("bettermode/space_membership.created.json"))
    assert isinstance(membership, SpaceMembershipEvent) and membership.data.object is not None
    assert membership.data.object.member_id == membership.data.target.member_id  # type: ignore[union-attr]
    member = parse_event(payload("bettermode/member.created.json"))
    assert isinstance(member, MemberEvent) and member.data.object is not None and member.data.object.email
    assert member.data.with_ == {"hasInvitation": True, "hasRequestToJoin": False}


def test_app_installations_carry_the_receivers_event_id() -> None:
    installed = parse_event(payload("bettermode/app-installed.json"))
    uninstalled = parse_event(payload("bettermode/app-uninstalled.json"))
    assert isinstance(installed, AppInstallationEvent) and isinstance(uninstalled, AppInstallationEvent)
    assert installed.data.id == uninstalled.data.id == "Gq4Tn8Vb2Xc6"
    assert (installed.name, installed.noun, installed.verb) == (
        "app_installation.installed",
        "APP_INSTALLATION",
        "INSTALLED",
    )
    assert installed.event_id == "APP_INSTALLED:Gq4Tn8Vb2Xc6" != uninstalled.event_id
    assert installed.data.app_id == "QC1xmIy3xO"


@pytest.mark.parametrize("name", sorted(path.name for path in (PAYLOADS / "cand").glob("*.json")))
def test_cand_events(name: str) -> None:
    document = json.loads(payload(f"cand/{name}"))
    event = parse_event(document)
    assert isinstance(event, CandEvent) and event.source == "cand"
    assert event.name == document["type"]
    assert event.noun == document["type"].split(".")[0].upper()
    assert event.verb == document["type"].split(".", 1)[1].upper()
    assert event.actor_id == "UAKDIJ23KD"
    assert (event.context.community_id, event.context.origin_community_id) == ("G0CHILD001", "G0ORIGIN01")
    assert event.payload.id == document["payload"]["id"]


def test_requests_that_are_not_events_keep_their_data() -> None:
    challenge = parse_event(payload("bettermode/test-challenge.json"))
    assert type(challenge) is BettermodeRequest
    assert challenge.data == {"challenge": "d77dae12ea612cf647d6e2e78dd2b7470e4e4358"}


def test_unknown_fields_are_kept_and_missing_optional_ones_tolerated() -> None:
    document = json.loads(payload("bettermode/post.published.json"))
    document["brandNew"] = {"nested": [1, 2]}
    document["data"]["object"]["someFutureFlag"] = True
    del document["data"]["actor"], document["data"]["target"], document["entityId"]
    event = parse_event(document)
    assert isinstance(event, PostEvent)
    assert event.model_extra == {"brandNew": {"nested": [1, 2]}}
    assert event.post.model_extra is not None and event.post.model_extra["someFutureFlag"] is True
    assert event.actor_id is None and event.space_id == "kBMLH6nwC78J"


def test_models_are_built_by_python_name_or_json_name() -> None:
    by_alias = PostEvent.model_validate(json.loads(payload("bettermode/post.published.json")))
    by_name = PostEvent(
        type="SUBSCRIPTION",
        network_id="CAxOmI7I7t",
        data={"id": "a" * 32, "name": "post.published", "noun": "POST", "object": {"is_reply": True, "space_id": "s"}},
    )
    assert by_name.is_reply is True and by_name.space_id == "s"
    assert by_alias.network_id == by_name.network_id


@pytest.mark.parametrize("body", ["[1, 2]", '"text"', "{}", '{"type": "SUBSCRIPTION", "data": {"id": "x"}}'])
def test_a_body_that_is_no_event_is_refused(body: str) -> None:
    with pytest.raises(ValueError, match=r"JSON object|validation error"):
        parse_event(body)


# ----- the full event: entities, the object before an update, every documented name ------------------
def test_entities_are_typed_when_the_platform_sends_them() -> None:
    event = parse_event(bettermode("post.published"))
    assert isinstance(event, PostEvent) and event.entities is not None
    assert event.entities.post is not None and event.entities.post.id == event.post.id
    assert event.entities.post.status == "PUBLISHED" and event.entities.post.is_reply is False
    assert event.entities.actor is not None and event.entities.actor.id == event.actor_id
    assert event.entities.network is not None and event.entities.network.name == "Acme Community"
    assert event.entities.space is not None and event.entities.space.id == event.space_id
    assert event.entities.post_type is not None and event.entities.post_type.name == "Discussion"
    reply = parse_event(bettermode("reply.published"))
    assert isinstance(reply, PostEvent) and reply.entities is not None and reply.entities.reply is not None
    assert reply.entities.reply.id == reply.post.id and reply.entities.post is not None  # the post replied to


def test_an_event_without_entities_and_unknown_entity_fields_are_fine() -> None:
    assert parse_event(bettermode("reaction.added")).entities is None  # the 2021 shape
    document = json.loads(bettermode("post.published"))
    document["entities"]["targetMember"] = {"id": "m1", "name": "Cy", "newField": [1]}
    document["entities"]["somethingNew"] = {"id": "x"}
    entities = parse_event(document).entities
    assert entities is not None and entities.target_member is not None
    assert entities.target_member.model_extra == {"newField": [1]}
    assert entities.model_extra == {"somethingNew": {"id": "x"}}


def test_an_update_carries_the_object_as_it_was() -> None:
    document = json.loads(bettermode("post.published"))
    document["data"] |= {"name": "post.updated", "verb": "UPDATED"}
    document["data"]["oldObject"] = {**document["data"]["object"], "title": "The old title"}
    event = parse_event(document)
    assert isinstance(event, PostEvent) and event.data.old_object is not None
    assert event.data.old_object.title == "The old title" and event.post.title != "The old title"
    assert parse_event(bettermode("post.published")).data.old_object is None


@pytest.mark.parametrize("name", DOCUMENTED_EVENTS + SEEN_EVENTS)
def test_every_documented_event_name_gets_its_family_or_the_generic_model(name: str) -> None:
    noun, _, verb = name.partition(".")
    document = json.loads(bettermode("post.published"))
    document["data"] |= {"name": name, "noun": noun.upper(), "verb": verb.upper(), "object": {"id": "o1"}}
    event = parse_event(document)
    expected = {
        "post": PostEvent, "reaction": ReactionEvent, "space": SpaceEvent, "member": MemberEvent,
        "space_membership": SpaceMembershipEvent, "moderation": ModerationEvent, "network": NetworkEvent,
        "member_invitation": MemberInvitationEvent, "space_join_request": SpaceJoinRequestEvent, "plan": PlanEvent,
    }.get(noun, BettermodeEvent)  # fmt: skip
    assert type(event) is expected
    assert (event.name, event.noun, event.verb) == (name, noun.upper(), verb.upper())


def test_a_consumer_measures_its_own_lag_from_the_events_time() -> None:
    body = bettermode("post.published")  # data.time 2021-12-20T04:23:32.223Z
    delivery = Delivery(parse_event(body), {"event_id": "e"}, body.decode(), "m-1")
    assert delivery.age_seconds(datetime(2021, 12, 20, 4, 28, 32, 223000, tzinfo=UTC)) == 300.0
    assert delivery.age_seconds(datetime(2021, 12, 20, 4, 0, 0, tzinfo=UTC)) == 0.0  # never negative
    cand_body = (PAYLOADS / "cand" / "member.joined.json").read_bytes()
    assert Delivery(parse_event(cand_body), {}, cand_body.decode(), "m-2").age_seconds() is None  # canD sends no time
