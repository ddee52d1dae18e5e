"""Typed models of the events the receiver publishes: the Bettermode envelope, its event families, canD.

The platforms add fields over time and official apps that validated strictly rejected real
traffic, so every model keeps unknown fields (`extra="allow"`, readable as attributes and in
`model_extra`) and almost every field is optional. Python names are snake_case; the JSON names are
the platforms' camelCase, and either is accepted when building a model by hand.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel


class Model(BaseModel):
    """Tolerant of unknown fields, camelCase on the wire, snake_case in Python."""

    model_config = ConfigDict(extra="allow", populate_by_name=True, alias_generator=to_camel)


# ----- Bettermode: the parts every event shares ----------------------------------------------------
class Actor(Model):
    """Who did it: a member id and their roles."""

    id: str | None = None
    role_id: str | None = None
    role_type: str | None = None
    space_role_id: str | None = None
    space_role_type: str | None = None


class Target(Model):
    """Ids of the objects an event relates to; which ones are present depends on the event."""

    organization_id: str | None = None
    network_id: str | None = None
    collection_id: str | None = None
    space_id: str | None = None
    post_id: str | None = None
    member_id: str | None = None


class EntityObject(Model):
    """`data.object`: the entity the event is about. The families below type it further."""

    id: str | None = None
    network_id: str | None = None
    space_id: str | None = None


class EventData(Model):
    """`data` of a `SUBSCRIPTION` request: the event itself (`id` is its dedupe key). An update may
    carry the object as it was before, `old_object`, where the platform sends it."""

    id: str
    name: str  # lower(noun) + "." + lower(verb), e.g. "post.published"
    noun: str  # upper case, e.g. "POST"
    verb: str | None = None  # upper case, e.g. "PUBLISHED"
    verb_action: str | None = None
    time: datetime | None = None
    short_description: str | None = None
    actor: Actor | None = None
    object: EntityObject | None = None
    target: Target | None = None
    with_: dict[str, Any] | None = Field(default=None, alias="with")
    old_object: EntityObject | None = None


class BettermodeRequest(Model):
    """Any Bettermode request body: the envelope, with `data` left as sent, and the related objects the
    platform resolved for it (`entities`) when it sends them."""

    source: ClassVar[str] = "bettermode"

    type: str
    network_id: str | None = None
    context: str | None = None
    entity_id: str | None = None
    current_settings: list[Any] = Field(default_factory=list)
    data: Any = None
    entities: Entities | None = None


class BettermodeEvent(BettermodeRequest):
    """A `SUBSCRIPTION` event of any noun; the families below are its typed forms."""

    data: EventData

    @property
    def event_id(self) -> str:
        return self.data.id

    @property
    def name(self) -> str:
        return self.data.name

    @property
    def noun(self) -> str:
        return self.data.noun

    @property
    def verb(self) -> str | None:
        return self.data.verb

    @property
    def actor_id(self) -> str | None:
        return self.data.actor.id if self.data.actor else None

    @property
    def space_id(self) -> str | None:
        """The space, wherever this event carries it (`object` for posts and reactions, else `target`)."""
        from_object = self.data.object.space_id if self.data.object else None
        return from_object or (self.data.target.space_id if self.data.target else None)

    @property
    def occurred_at(self) -> datetime | None:
        """When it happened, by the platform's clock (`data.time`)."""
        return self.data.time


# ----- Bettermode: the documented families ---------------------------------------------------------
class PostObject(EntityObject):
    """A post or a reply (`is_reply`)."""

    post_type_id: str | None = None
    status: str | None = None
    title: str | None = None
    slug: str | None = None
    short_content: str | None = None
    is_reply: bool = False
    replied_to_id: str | None = None
    replied_to_ids: list[str] = Field(default_factory=list)
    owner_id: str | None = None
    created_by_id: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    published_at: datetime | None = None


class PostData(EventData):
    object: PostObject | None = None
    old_object: PostObject | None = None


class PostEvent(BettermodeEvent):
    """post.created, post.published, post.deleted, ... (replies are posts with `is_reply`)."""

    data: PostData

    @property
    def post(self) -> PostObject:
        return self.data.object or PostObject()

    @property
    def is_reply(self) -> bool:
        return self.post.is_reply


class ReactionObject(EntityObject):
    post_id: str | None = None
    reaction: str | None = None
    count: int | None = None
    reacted: bool | None = None


class ReactionData(EventData):
    object: ReactionObject | None = None
    old_object: ReactionObject | None = None


class ReactionEvent(BettermodeEvent):
    """reaction.added, reaction.removed: `reaction` on `post_id`."""

    data: ReactionData


class SpaceObject(EntityObject):
    name: str | None = None
    slug: str | None = None
    private: bool | None = None
    hidden: bool | None = None
    invite_only: bool | None = None
    created_by_id: str | None = None


class SpaceData(EventData):
    object: SpaceObject | None = None
    old_object: SpaceObject | None = None


class SpaceEvent(BettermodeEvent):
    """space.created, space.updated, space.deleted."""

    data: SpaceData


class MemberObject(EntityObject):
    name: str | None = None
    username: str | None = None
    email: str | None = None
    display_name: str | None = None
    role_id: str | None = None
    external_id: str | None = None


class MemberData(EventData):
    object: MemberObject | None = None
    old_object: MemberObject | None = None


class MemberEvent(BettermodeEvent):
    """member.created, member.verified, member.updated, member.deleted."""

    data: MemberData


class SpaceMembershipObject(EntityObject):
    member_id: str | None = None
    role_id: str | None = None
    inviter_id: str | None = None


class SpaceMembershipData(EventData):
    object: SpaceMembershipObject | None = None
    old_object: SpaceMembershipObject | None = None


class SpaceMembershipEvent(BettermodeEvent):
    """space_membership.created, space_membership.deleted: `member_id` joined or left `space_id`."""

    data: SpaceMembershipData


class ModerationObject(EntityObject):
    entity_id: str | None = None
    entity_type: str | None = None
    status: str | None = None
    flagged_by: str | None = None
    reasons: list[Any] = Field(default_factory=list)


class ModerationData(EventData):
    object: ModerationObject | None = None
    old_object: ModerationObject | None = None


class ModerationEvent(BettermodeEvent):
    """moderation.created, moderation.accepted, moderation.rejected: about `entity_id`."""

    data: ModerationData


class NetworkObject(EntityObject):
    name: str | None = None
    slug: str | None = None
    domain: str | None = None
    organization_id: str | None = None
    status: str | None = None
    visibility: str | None = None


class NetworkData(EventData):
    object: NetworkObject | None = None
    old_object: NetworkObject | None = None


class NetworkEvent(BettermodeEvent):
    """network.updated: the community's settings."""

    data: NetworkData


class MemberInvitationObject(EntityObject):
    invitee_email: str | None = None
    invitee_name: str | None = None
    inviter_id: str | None = None
    status: str | None = None


class MemberInvitationData(EventData):
    object: MemberInvitationObject | None = None
    old_object: MemberInvitationObject | None = None


class MemberInvitationEvent(BettermodeEvent):
    """member_invitation.created, member_invitation.accepted, member_invitation.rejected."""

    data: MemberInvitationData


class SpaceJoinRequestObject(EntityObject):
    member_id: str | None = None
    status: str | None = None


class SpaceJoinRequestData(EventData):
    object: SpaceJoinRequestObject | None = None
    old_object: SpaceJoinRequestObject | None = None


class SpaceJoinRequestEvent(BettermodeEvent):
    """space_join_request.created, space_join_request.accepted, space_join_request.rejected."""

    data: SpaceJoinRequestData


class PlanObject(EntityObject):
    name: str | None = None
    renewal_type: str | None = None


class PlanData(EventData):
    object: PlanObject | None = None
    old_object: PlanObject | None = None


class PlanEvent(BettermodeEvent):
    """plan.updated: the community's subscription plan."""

    data: PlanData


# ----- Bettermode: the related objects resolved for an event (`entities`) -------------------------------
class PostTypeObject(EntityObject):
    name: str | None = None
    slug: str | None = None
    context: str | None = None


class Entities(Model):
    """What the platform resolved for the event, in newer payloads (not in its 2021 docs): each is the
    full object, typed like the event families' objects, with unknown fields kept."""

    network: NetworkObject | None = None
    actor: MemberObject | None = None
    owner: MemberObject | None = None
    target_member: MemberObject | None = None
    space: SpaceObject | None = None
    post: PostObject | None = None
    post_type: PostTypeObject | None = None
    reply: PostObject | None = None


FAMILIES: dict[str, type[BettermodeEvent]] = {
    "POST": PostEvent,
    "REACTION": ReactionEvent,
    "SPACE": SpaceEvent,
    "MEMBER": MemberEvent,
    "SPACE_MEMBERSHIP": SpaceMembershipEvent,
    "MODERATION": ModerationEvent,
    "NETWORK": NetworkEvent,
    "MEMBER_INVITATION": MemberInvitationEvent,
    "SPACE_JOIN_REQUEST": SpaceJoinRequestEvent,
    "PLAN": PlanEvent,
}

# Every event name the platform documents, and those seen in its official apps' code.
DOCUMENTED_EVENTS: tuple[str, ...] = (
    *(f"member.{verb}" for verb in ("created", "verified", "updated", "deleted")),
    *(f"member_invitation.{verb}" for verb in ("created", "accepted", "rejected")),
    *(f"space.{verb}" for verb in ("created", "updated", "deleted")),
    *(f"space_membership.{verb}" for verb in ("created", "deleted")),
    *(f"space_join_request.{verb}" for verb in ("created", "accepted", "rejected")),
    *(
        f"post.{v}"
        for v in ("created", "published", "deleted", "blocked", "unblocked", "unpublished", "pinned", "unpinned")
    ),
    *(f"moderation.{verb}" for verb in ("created", "accepted", "rejected")),
    *(f"reaction.{verb}" for verb in ("added", "removed")),
    "network.updated",
    "plan.updated",
)
SEEN_EVENTS: tuple[str, ...] = (
    "member.suspended", "member.unsuspended", "post.hidden", "post.unhidden",
    "badge.created", "badge.updated", "badge.deleted", "tag.added", "sso_membership.deleted",
)  # fmt: skip


# ----- Bettermode: app installations ---------------------------------------------------------------
class AppInstallation(Model):
    id: str  # the installation: the same in APP_INSTALLED and APP_UNINSTALLED
    network_id: str | None = None
    app_id: str | None = None
    status: str | None = None
    installed_by_id: str | None = None
    installed_at: datetime | None = None
    updated_at: datetime | None = None


class AppInstallationEvent(BettermodeRequest):
    """APP_INSTALLED / APP_UNINSTALLED, published to the APP_INSTALLATION topic."""

    data: AppInstallation

    @property
    def event_id(self) -> str:
        return f"{self.type}:{self.data.id}"  # install and uninstall share the installation id

    @property
    def name(self) -> str:
        return "app_installation." + self.type.removeprefix("APP_").lower()

    @property
    def noun(self) -> str:
        return "APP_INSTALLATION"

    @property
    def verb(self) -> str:
        return self.type.removeprefix("APP_")

    @property
    def occurred_at(self) -> datetime | None:
        """When the installation changed, if the platform says."""
        return self.data.updated_at or self.data.installed_at


# ----- canD -----------------------------------------------------------------------------------------
class CandContext(Model):
    origin_community_id: str | None = None
    user_id: str | None = None
    community_id: str | None = None
    profile_id: str | None = None


class CandPayload(Model):
    """Event-specific; every documented payload has an `id`, the rest is kept as sent."""

    id: str | None = None


class CandEvent(Model):
    """A canD (MOIM, ...) event. canD sends no event id: the receiver derives one (the `event_id` attribute)."""

    source: ClassVar[str] = "cand"

    module: str
    type: str  # e.g. "member.joined"
    context: CandContext = Field(default_factory=CandContext)
    payload: CandPayload = Field(default_factory=CandPayload)

    @property
    def name(self) -> str:
        return self.type

    @property
    def noun(self) -> str:
        return self.type.partition(".")[0].upper()

    @property
    def verb(self) -> str:
        return self.type.partition(".")[2].upper()

    @property
    def actor_id(self) -> str | None:
        return self.context.profile_id


CommunityEvent = BettermodeEvent | AppInstallationEvent | BettermodeRequest | CandEvent


def parse_event(body: str | bytes | dict[str, Any]) -> CommunityEvent:
    """The most specific model for a published body: a family by noun, else the generic form.

    Raises `pydantic.ValidationError` (a `ValueError`) for a body that is no event of either platform.
    """
    document = json.loads(body) if isinstance(body, str | bytes) else body
    if not isinstance(document, dict):
        raise ValueError(f"an event body is a JSON object, not {type(document).__name__}")
    if "module" in document and "networkId" not in document:
        return CandEvent.model_validate(document)
    kind = document.get("type")
    if kind == "SUBSCRIPTION":
        noun = str((document.get("data") or {}).get("noun", "")).upper()
        return FAMILIES.get(noun, BettermodeEvent).model_validate(document)
    if kind in ("APP_INSTALLED", "APP_UNINSTALLED"):
        return AppInstallationEvent.model_validate(document)
    return BettermodeRequest.model_validate(document)
