"""Configuration, read once per container from the environment that template.yaml sets.

Nothing here knows a platform: what one needs beyond the shared settings (its credential's
variables, how long its ids are remembered) its provider module declares, and is read from
`Settings.environment` by name.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from handler.errors import Unavailable

MINUTE = 60
DAY = 24 * 60 * MINUTE
DELIVERY_MODES = ("standard", "fifo")  # template.yaml's DeliveryMode (docs/delivery-modes.md)
MAX_BODY_BYTES = 1_000_000  # template.yaml's MaxBodyBytes: the most whose 413 still reaches the function


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the receiver reads from its environment, validated once."""

    table_name: str | None
    topic_arns: Mapping[str, str]
    catch_all_topic_arn: str | None
    secret_cache_seconds: int
    replay_window_seconds: int
    future_skew_seconds: int
    dedupe_ttl_seconds: int
    max_body_bytes: int
    payload_bucket: str | None
    failure_queue_url: str | None
    fifo: bool = False  # DeliveryMode=fifo: FIFO topics, each message with its group and deduplication ids
    environment: Mapping[str, str] = field(default_factory=dict, repr=False)  # what providers declare, by name
    deployed: bool = False  # in a real Lambda function, where local credentials never count

    def require_table(self) -> str:
        """The dedupe table's name, or a 503 when the stack forgot to set it."""
        if not self.table_name:
            raise Unavailable("the receiver is not configured (TABLE_NAME)", "not_configured")
        return self.table_name

    def seconds(self, variable: str, default: int) -> int:
        """A provider's own setting in seconds (e.g. how long its ids are remembered); 503 when invalid."""
        return _int(self.environment, variable, default)

    def topic_noun(self, noun: str) -> str:
        """The noun of the topic an event of `noun` goes to: itself, or OTHER (a fixed, bounded set)."""
        return noun if noun in self.topic_arns else "OTHER"

    def topic_for(self, noun: str) -> str:
        """The noun's own topic where the stack has one, else the catch-all, so no noun is dropped."""
        arn = self.topic_arns.get(noun) or self.catch_all_topic_arn
        if not arn:
            raise Unavailable("the receiver is not configured (CATCH_ALL_TOPIC_ARN)", "not_configured")
        return arn


def split_list(value: str | None) -> tuple[str, ...]:
    """A comma-separated value as a tuple, blanks dropped: `"a, b,,"` -> `("a", "b")`."""
    return tuple(part.strip() for part in (value or "").split(",") if part.strip())


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise Unavailable(f"the receiver is not configured ({name} must be an integer)", "not_configured") from None
    if value < 0:
        raise Unavailable(f"the receiver is not configured ({name} must not be negative)", "not_configured")
    return value


def deployed(env: Mapping[str, str]) -> bool:
    """Whether this runs in a real Lambda execution environment, not `sam local` or a local run.

    Lambda sets AWS_EXECUTION_ENV (`AWS_Lambda_python3.13`) in every managed runtime, and a function's
    configuration cannot set it (a reserved variable); the SAM CLI's local containers set it too, and
    AWS_SAM_LOCAL=true beside it, which the template never sets.
    """
    return env.get("AWS_EXECUTION_ENV", "").startswith("AWS_Lambda_") and env.get("AWS_SAM_LOCAL") != "true"


def from_env(env: Mapping[str, str]) -> Settings:
    """Build Settings from an environment mapping (pure, so tests can pass any mapping).

    Topic ARNs are `TOPIC_ARN_PREFIX + noun + TOPIC_ARN_SUFFIX` for each noun in `TOPIC_NOUNS`: the
    template names each topic that way (the suffix is `.fifo` for FIFO topics), so the list of nouns
    lives in one template parameter.
    """
    prefix, suffix = env.get("TOPIC_ARN_PREFIX", ""), env.get("TOPIC_ARN_SUFFIX", "")
    mode = env.get("DELIVERY_MODE", "").strip() or "standard"
    if mode not in DELIVERY_MODES:
        raise Unavailable("the receiver is not configured (DELIVERY_MODE must be standard or fifo)", "not_configured")
    nouns = split_list(env.get("TOPIC_NOUNS"))
    return Settings(
        table_name=env.get("TABLE_NAME") or None,
        topic_arns={noun: prefix + noun + suffix for noun in nouns} if prefix else {},
        catch_all_topic_arn=env.get("CATCH_ALL_TOPIC_ARN") or None,
        secret_cache_seconds=_int(env, "SECRET_CACHE_SECONDS", 5 * MINUTE),
        replay_window_seconds=_int(env, "REPLAY_WINDOW_SECONDS", 15 * MINUTE),
        future_skew_seconds=_int(env, "FUTURE_SKEW_SECONDS", MINUTE),
        dedupe_ttl_seconds=_int(env, "DEDUPE_TTL_DAYS", 7) * DAY,
        max_body_bytes=_int(env, "MAX_BODY_BYTES", MAX_BODY_BYTES),
        payload_bucket=env.get("PAYLOAD_BUCKET") or None,
        failure_queue_url=env.get("FAILURE_QUEUE_URL") or None,
        fifo=mode == "fifo",
        environment=dict(env),
        deployed=deployed(env),
    )
