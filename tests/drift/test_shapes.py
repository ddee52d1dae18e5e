"""drift.shapes: field paths, names only; new, gone and unchanged; what is never compared."""

from __future__ import annotations

import json

from drift.shapes import POINTER_CLASS, Shape, compare, compare_history, paths, report


def body(**data: object) -> str:
    return json.dumps({"type": "SUBSCRIPTION", "networkId": "n", "data": {"id": "e", "name": "post.published", **data}})


def test_paths_are_names_never_values_and_lists_are_one_shape() -> None:
    document = {"data": {"title": "secret words", "tags": [{"id": 1}, {"id": 2, "name": "x"}], "n": None}}
    assert sorted(set(paths(document))) == [
        "data",
        "data.n",
        "data.tags",
        "data.tags[].id",
        "data.tags[].name",
        "data.title",
    ]
    shape = Shape()
    shape.add("bettermode", "post.published", "POST", json.dumps(document))
    assert "secret words" not in shape.to_json()


def test_a_shape_round_trips_and_keeps_request_types_names_and_nouns() -> None:
    shape = Shape()
    shape.add("bettermode", "post.published", "POST", body(title="t"))
    shape.add("cand", "member.joined", "MEMBER", json.dumps({"module": "MOIM", "type": "member.joined"}))
    again = Shape.from_json(shape.to_json())
    assert again == shape
    assert again.request_types == {"bettermode:SUBSCRIPTION"}
    assert again.event_names == {"bettermode:post.published", "cand:member.joined"}
    assert again.nouns == {"bettermode:POST", "cand:MEMBER"}


def test_new_and_gone_names_and_fields() -> None:
    before, after = Shape(), Shape()
    before.add("bettermode", "post.published", "POST", body(title="t", legacy=1))
    before.add("bettermode", "reaction.added", "REACTION", body())
    after.add("bettermode", "post.published", "POST", body(title="t", entities={"post": {"id": "p"}}))
    after.add("bettermode", "badge.created", "BADGE", body())
    changes = compare(before, after)
    assert changes.new == {"event names": ["bettermode:badge.created"], "nouns": ["bettermode:BADGE"]}
    assert changes.gone == {"event names": ["bettermode:reaction.added"], "nouns": ["bettermode:REACTION"]}
    assert changes.fields_new == {
        "bettermode:post.published": ["data.entities", "data.entities.post", "data.entities.post.id"]
    }
    assert changes.fields_gone == {"bettermode:post.published": ["data.legacy"]}
    text = report("2026-12-02", "2026-12-01", before, after, changes)
    assert "New event names: bettermode:badge.created" in text
    assert "New fields in bettermode:post.published: data.entities" in text
    assert "Not seen this time (event names): bettermode:reaction.added" in text
    assert "Fields gone from bettermode:post.published: data.legacy" in text


def test_the_same_shape_is_no_change_and_a_pointer_adds_names_only() -> None:
    shape = Shape()
    shape.add("bettermode", "post.published", "POST", body(title="t"))
    assert not compare(shape, Shape.from_json(shape.to_json()))
    assert "No change" in report("d2", "d1", shape, shape, compare(shape, shape))
    large = Shape()
    large.add("bettermode", "post.published", "POST", json.dumps([POINTER_CLASS, {"s3BucketName": "b", "s3Key": "k"}]))
    assert large.event_names == {"bettermode:post.published"} and large.fields == {}
    assert not compare(shape, large)  # a day of only large posts removes no field


def test_against_several_days_new_is_in_none_and_gone_was_in_every_one() -> None:
    def day(*names: str, **fields: object) -> Shape:
        shape = Shape()
        for name in names:
            shape.add("bettermode", name, name.split(".")[0].upper(), body(**fields))
        return shape

    history = [
        day("post.published", "reaction.added", title="t", tags=[{"id": 1}]),
        day("post.published", title="t", tags=[]),
    ]
    after = day("post.published", "badge.created", tags=[])
    changes = compare_history(history, after)
    assert changes.new == {"event names": ["bettermode:badge.created"], "nouns": ["bettermode:BADGE"]}
    assert changes.gone == {}  # reaction.added was not on every one of the days
    assert changes.fields_new == {}  # tags[].id was on one of them
    assert changes.fields_gone == {"bettermode:post.published": ["data.title"]}  # on every one
    assert compare_history(history[-1:], after) == compare(history[-1], after)  # one day: the day before
    merged = Shape.union(history)
    assert (merged.events, merged.bodies) == (3, 3)
    assert "data.tags[].id" in merged.fields["bettermode:post.published"]
