"""Reading a webhook body as a JSON object, with a 400 that says what is wrong."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from handler.errors import BadRequest


def json_object(body: bytes) -> dict[str, Any]:
    """The body as a JSON object; BadRequest for an empty, non-UTF-8, invalid or non-object body."""
    if not body.strip():
        raise BadRequest("the body is empty; a JSON object is expected")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequest("the body is not UTF-8 text") from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise BadRequest(
            f"the body is not valid JSON ({error.msg} at line {error.lineno} column {error.colno})"
        ) from None
    except RecursionError:
        raise BadRequest("the body is nested too deeply") from None
    except ValueError as error:  # e.g. an integer of more digits than Python converts
        raise BadRequest(f"the body is not valid JSON ({error})") from None
    if not isinstance(document, dict):
        raise BadRequest(f"the body must be a JSON object, not {type(document).__name__}")
    return document


def time_ms(value: Any) -> int | None:
    """An ISO 8601 time (`2021-12-20T04:23:32.223Z`) in Unix milliseconds; None for anything else."""
    if not isinstance(value, str) or not 10 <= len(value) <= 40:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    if moment.tzinfo is None:  # a time without a zone is not a moment: no age is better than a wrong one
        return None
    return int(moment.timestamp() * 1000)


def optional_object(parent: dict[str, Any], name: str) -> dict[str, Any]:
    """`parent[name]` when it is an object, else an empty one (unknown shapes are tolerated)."""
    value = parent.get(name)
    return value if isinstance(value, dict) else {}


def optional_text(value: Any) -> str | None:
    """A string or number as text, anything else (null, objects, empty) as None."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, str | int | float):
        return str(value) or None
    return None


def present(**values: str | None) -> dict[str, str]:
    """The values that are there: filter attributes without the missing ones."""
    return {name: value for name, value in values.items() if value}


def required_text(parent: dict[str, Any], name: str, where: str) -> str:
    """`parent[name]` as a non-empty string; BadRequest naming the field otherwise."""
    value = parent.get(name)
    if not isinstance(value, str) or not value.strip():
        raise BadRequest(f"{where}.{name} is required and must be a non-empty string")
    return value
