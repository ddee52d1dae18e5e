"""docs/delivery-modes.md's table of message groups says what the code does: each Bettermode noun's
group kind, and the one topic on which a subscriber gets that group's events in order."""

from __future__ import annotations

from pathlib import Path

import pytest

from handler.providers import bettermode

PAGE = Path(__file__).resolve().parents[2] / "docs" / "delivery-modes.md"


def group_rows() -> dict[str, tuple[str, str]]:
    """(group, order) of each row of the message groups table, by its events cell."""
    lines = PAGE.read_text(encoding="utf-8").splitlines()
    start = lines.index("| events | group | in order, for a subscriber of the noun's topic |") + 2
    rows: dict[str, tuple[str, str]] = {}
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        events, group, order = (cell.strip() for cell in line.strip("|").split(" | "))
        rows[events] = (group, order)
    return rows


def row_of(noun: str) -> tuple[str, str]:
    [row] = [cells for events, cells in group_rows().items() if f"`{noun.lower()}.*`" in events]
    return row


@pytest.mark.parametrize("noun", sorted(bettermode.GROUPS))
def test_each_nouns_group_and_topic_are_in_the_table(noun: str) -> None:
    """The group is the kind GROUPS gives, and the order is promised on the noun's own topic."""
    group, order = row_of(noun)
    kind, _ = bettermode.GROUPS[noun]
    assert group.startswith(f"`bettermode:{kind}:")
    assert order.startswith(f"on `{noun}`: ")


def test_a_moderation_without_a_post_has_each_kind_it_can_be_grouped_by_in_the_table() -> None:
    group, order = row_of("MODERATION")
    for kind in (*bettermode.MODERATED.values(), "moderation"):
        assert kind in group
    assert "`bettermode:moderation:" in group  # when the kind is none of them
    assert "no order relative to the moderated object's own events on `POST`" in order


def test_the_table_promises_a_reaction_no_order_with_its_posts_events() -> None:
    """A reaction shares its post's group but is published to another topic: SNS orders them apart."""
    group, order = row_of("REACTION")
    assert group.startswith(f"`bettermode:{bettermode.GROUPS['POST'][0]}:")  # the post's group ...
    assert order == (
        "on `REACTION`: all reactions on one post, in publish order; "
        "no order relative to that post's own events on `POST`"  # ... on another topic
    )


def test_app_installations_are_in_the_table() -> None:
    [(group, order)] = [cells for events, cells in group_rows().items() if "`APP_INSTALLED`" in events]
    assert group.startswith(f"`bettermode:{bettermode.APP_NOUN.lower()}:")
    assert order.startswith(f"on `{bettermode.APP_NOUN}`: ")
