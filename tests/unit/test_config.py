"""handler.config: Settings from an environment mapping (pure, no os.environ)."""

from __future__ import annotations

import dataclasses

import pytest

from handler.config import DAY, MINUTE, Settings, from_env, split_list
from handler.errors import Unavailable

PREFIX = "arn:aws:sns:us-east-1:123456789012:stack-"
CATCH_ALL = "arn:aws:sns:us-east-1:123456789012:stack-OTHER"


def test_units():
    assert MINUTE == 60
    assert DAY == 86_400


def test_defaults_of_an_empty_environment():
    settings = from_env({})
    assert settings.replay_window_seconds == 900
    assert settings.future_skew_seconds == 60
    assert settings.dedupe_ttl_seconds == 7 * 24 * 60 * 60 == 604_800
    assert settings.secret_cache_seconds == 300
    assert settings.max_body_bytes == 1_000_000  # as template.yaml's MaxBodyBytes
    assert settings.payload_bucket is None
    assert settings.failure_queue_url is None
    assert settings.table_name is None
    assert settings.topic_arns == {}
    assert settings.catch_all_topic_arn is None
    assert settings.deployed is False


def test_settings_are_frozen():
    settings = from_env({})
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.table_name = "other"  # type: ignore[misc]


def test_every_variable_is_read():
    environment = {
        "TABLE_NAME": "claims",
        "TOPIC_NOUNS": "POST,MEMBER",
        "TOPIC_ARN_PREFIX": PREFIX,
        "CATCH_ALL_TOPIC_ARN": CATCH_ALL,
        "SIGNING_SECRET": "a,b",
        "SIGNING_SECRET_ARN": "arn:aws:secretsmanager:us-east-1:123456789012:secret:sign",
        "CAND_WEBHOOK_TOKEN": " t1 , t2 ",
        "CAND_TOKEN_ARN": "arn:aws:secretsmanager:us-east-1:123456789012:secret:cand",
        "SECRET_CACHE_SECONDS": "30",
        "REPLAY_WINDOW_SECONDS": "300",
        "FUTURE_SKEW_SECONDS": "5",
        "DEDUPE_TTL_DAYS": "2",
        "MAX_BODY_BYTES": "1024",
        "CAND_DEDUPE_TTL_SECONDS": "120",
        "PAYLOAD_BUCKET": "payloads",
        "FAILURE_QUEUE_URL": "https://sqs/failures",
    }
    settings = from_env(environment)
    assert settings == Settings(
        table_name="claims",
        topic_arns={"POST": PREFIX + "POST", "MEMBER": PREFIX + "MEMBER"},
        catch_all_topic_arn=CATCH_ALL,
        secret_cache_seconds=30,
        replay_window_seconds=300,
        future_skew_seconds=5,
        dedupe_ttl_seconds=2 * 86_400,
        max_body_bytes=1024,
        payload_bucket="payloads",
        failure_queue_url="https://sqs/failures",
        environment=environment,
    )
    assert settings.seconds("CAND_DEDUPE_TTL_SECONDS", 900) == 120  # a provider's own setting, by name


@pytest.mark.parametrize(
    ("name", "attribute"),
    [
        ("SECRET_CACHE_SECONDS", "secret_cache_seconds"),
        ("REPLAY_WINDOW_SECONDS", "replay_window_seconds"),
        ("FUTURE_SKEW_SECONDS", "future_skew_seconds"),
        ("MAX_BODY_BYTES", "max_body_bytes"),
    ],
)
def test_integer_variables(name, attribute):
    assert getattr(from_env({name: "42"}), attribute) == 42
    assert getattr(from_env({name: " 42 "}), attribute) == 42
    assert getattr(from_env({name: "0"}), attribute) == 0


@pytest.mark.parametrize("value", ["", "   "], ids=["empty", "blank"])
def test_blank_integer_variable_means_the_default(value):
    assert from_env({"REPLAY_WINDOW_SECONDS": value}).replay_window_seconds == 900
    assert from_env({"DEDUPE_TTL_DAYS": value}).dedupe_ttl_seconds == 7 * DAY


def test_dedupe_ttl_is_given_in_days_and_kept_in_seconds():
    assert from_env({"DEDUPE_TTL_DAYS": "1"}).dedupe_ttl_seconds == 86_400
    assert from_env({"DEDUPE_TTL_DAYS": "30"}).dedupe_ttl_seconds == 30 * 86_400


@pytest.mark.parametrize(
    "name",
    ["SECRET_CACHE_SECONDS", "REPLAY_WINDOW_SECONDS", "FUTURE_SKEW_SECONDS", "DEDUPE_TTL_DAYS", "MAX_BODY_BYTES"],
)
@pytest.mark.parametrize("value", ["abc", "1.5", "15m", "0x10", "1e3"])
def test_bad_integer_is_unavailable_naming_the_variable(name, value):
    with pytest.raises(Unavailable, match=f"{name} must be an integer") as caught:
        from_env({name: value})
    assert caught.value.status == 503
    assert caught.value.retry_after == 10


@pytest.mark.parametrize("name", ["REPLAY_WINDOW_SECONDS", "DEDUPE_TTL_DAYS"])
def test_negative_integer_is_unavailable(name):
    with pytest.raises(Unavailable, match=f"{name} must not be negative"):
        from_env({name: "-1"})


# --- topics ---------------------------------------------------------------------------------------


def test_topic_arns_are_prefix_plus_noun():
    settings = from_env({"TOPIC_NOUNS": "POST,REACTION,APP_INSTALLATION", "TOPIC_ARN_PREFIX": PREFIX})
    assert settings.topic_arns == {
        "POST": PREFIX + "POST",
        "REACTION": PREFIX + "REACTION",
        "APP_INSTALLATION": PREFIX + "APP_INSTALLATION",
    }


def test_topic_nouns_with_blanks_and_spaces():
    settings = from_env({"TOPIC_NOUNS": " POST , ,MEMBER,, ", "TOPIC_ARN_PREFIX": PREFIX})
    assert settings.topic_arns == {"POST": PREFIX + "POST", "MEMBER": PREFIX + "MEMBER"}


def test_no_prefix_means_no_topics_of_their_own():
    assert from_env({"TOPIC_NOUNS": "POST,MEMBER"}).topic_arns == {}


def test_no_nouns_means_no_topics_of_their_own():
    assert from_env({"TOPIC_ARN_PREFIX": PREFIX}).topic_arns == {}


def test_topic_for_a_noun_with_its_own_topic():
    settings = from_env({"TOPIC_NOUNS": "POST", "TOPIC_ARN_PREFIX": PREFIX, "CATCH_ALL_TOPIC_ARN": CATCH_ALL})
    assert settings.topic_for("POST") == PREFIX + "POST"


def test_topic_for_any_other_noun_is_the_catch_all():
    settings = from_env({"TOPIC_NOUNS": "POST", "TOPIC_ARN_PREFIX": PREFIX, "CATCH_ALL_TOPIC_ARN": CATCH_ALL})
    assert settings.topic_for("BADGE") == CATCH_ALL
    assert settings.topic_for("") == CATCH_ALL


def test_topic_for_without_own_topics_is_the_catch_all():
    assert from_env({"CATCH_ALL_TOPIC_ARN": CATCH_ALL}).topic_for("POST") == CATCH_ALL


def test_own_topic_needs_no_catch_all():
    settings = from_env({"TOPIC_NOUNS": "POST", "TOPIC_ARN_PREFIX": PREFIX})
    assert settings.topic_for("POST") == PREFIX + "POST"


@pytest.mark.parametrize("catch_all", [None, ""], ids=["unset", "empty"])
def test_missing_catch_all_is_unavailable(catch_all):
    env = {"TOPIC_NOUNS": "POST", "TOPIC_ARN_PREFIX": PREFIX}
    if catch_all is not None:
        env["CATCH_ALL_TOPIC_ARN"] = catch_all
    settings = from_env(env)
    assert settings.catch_all_topic_arn is None
    with pytest.raises(Unavailable, match="CATCH_ALL_TOPIC_ARN"):
        settings.topic_for("MEMBER")


# --- table ----------------------------------------------------------------------------------------


def test_require_table():
    assert from_env({"TABLE_NAME": "claims"}).require_table() == "claims"


@pytest.mark.parametrize("env", [{}, {"TABLE_NAME": ""}], ids=["unset", "empty"])
def test_missing_table_is_unavailable(env):
    with pytest.raises(Unavailable, match="TABLE_NAME") as caught:
        from_env(env).require_table()
    assert caught.value.status == 503


# --- lists ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, ()),
        ("", ()),
        (" ", ()),
        (",,,", ()),
        ("a", ("a",)),
        ("a,b", ("a", "b")),
        ("a, b,,", ("a", "b")),
        (" a ,\tb\t, , c ", ("a", "b", "c")),
        ("a,a", ("a", "a")),
    ],
    ids=["none", "empty", "blank", "only-commas", "one", "two", "docstring", "whitespace", "duplicates-kept"],
)
def test_split_list(value, expected):
    assert split_list(value) == expected


def test_empty_strings_are_none():
    settings = from_env({"TABLE_NAME": "", "CATCH_ALL_TOPIC_ARN": "", "PAYLOAD_BUCKET": ""})
    assert settings.table_name is None
    assert settings.catch_all_topic_arn is None
    assert settings.payload_bucket is None


def test_deployed_only_in_a_real_lambda_function() -> None:
    lambda_runtime = {"AWS_EXECUTION_ENV": "AWS_Lambda_python3.13"}
    assert from_env(lambda_runtime).deployed
    assert from_env({**lambda_runtime, "AWS_SAM_LOCAL": "false"}).deployed
    assert not from_env({**lambda_runtime, "AWS_SAM_LOCAL": "true"}).deployed  # sam local invoke
    assert not from_env({}).deployed


def test_the_environment_is_kept_but_never_printed() -> None:
    settings = from_env({"AWS_SECRET_ACCESS_KEY": "do-not-print", "CAND_DEDUPE_TTL_SECONDS": "60"})
    assert settings.seconds("CAND_DEDUPE_TTL_SECONDS", 900) == 60
    assert settings.seconds("UNSET_SECONDS", 900) == 900
    assert "do-not-print" not in repr(settings)


def test_the_metric_noun_is_the_topics() -> None:
    settings = from_env({"TOPIC_ARN_PREFIX": "arn:aws:sns:us-east-1:1:s-", "TOPIC_NOUNS": "POST,SPACE_MEMBERSHIP"})
    assert settings.topic_noun("POST") == "POST"
    assert settings.topic_noun("SPACE_MEMBERSHIP") == "SPACE_MEMBERSHIP"
    assert settings.topic_noun("WIDGET_9f3a") == "OTHER"
    assert settings.topic_noun("post") == "OTHER"
