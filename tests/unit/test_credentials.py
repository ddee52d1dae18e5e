"""handler.credentials: which values a provider's credential has, locally and deployed.

Secrets Manager is answered by botocore's Stubber on the client the store is handed, so each test
states exactly the calls it expects and fails on any other.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.stub import Stubber

from devkit.runtime import fresh_session
from handler.config import from_env
from handler.credentials import SecretStore, active
from handler.errors import Unavailable
from handler.model import Credential

CREDENTIAL = Credential("EXAMPLE_SECRET_ARN", "EXAMPLE_SECRET", "example secret")
ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:example-AbCdEf"
LAMBDA = {"AWS_EXECUTION_ENV": "AWS_Lambda_python3.13"}


@pytest.fixture
def secretsmanager() -> Iterator[tuple[Any, Stubber]]:
    client = fresh_session().client(
        "secretsmanager", region_name="us-east-1", aws_access_key_id="k", aws_secret_access_key="s"
    )
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def stored(stubber: Stubber, value: str) -> None:
    stubber.add_response("get_secret_value", {"ARN": ARN, "Name": "example", "SecretString": value}, {"SecretId": ARN})


def test_a_local_value_wins_outside_lambda_and_is_a_comma_list(secretsmanager: tuple[Any, Stubber]) -> None:
    client, _ = secretsmanager  # no response queued: any call to Secrets Manager fails the test
    store = SecretStore(lambda service: client)
    for env in ({"EXAMPLE_SECRET": " old , , new ,"}, {**LAMBDA, "AWS_SAM_LOCAL": "true", "EXAMPLE_SECRET": "old,new"}):
        assert active(CREDENTIAL, from_env({**env, "EXAMPLE_SECRET_ARN": ARN}), store) == ("old", "new")


def test_deployed_the_secret_is_read_once_per_cache_period(secretsmanager: tuple[Any, Stubber]) -> None:
    client, stubber = secretsmanager
    stored(stubber, "one, two")
    store = SecretStore(lambda service: client)
    settings = from_env({**LAMBDA, "EXAMPLE_SECRET_ARN": ARN})
    assert active(CREDENTIAL, settings, store) == ("one", "two")
    assert active(CREDENTIAL, settings, store) == ("one", "two")  # cached: the Stubber would fail a second call


def test_deployed_a_local_value_is_ignored_with_one_warning_naming_the_variable(
    secretsmanager: tuple[Any, Stubber], caplog: pytest.LogCaptureFixture
) -> None:
    client, stubber = secretsmanager
    stored(stubber, "stored")
    store = SecretStore(lambda service: client)
    settings = from_env({**LAMBDA, "EXAMPLE_SECRET": "planted", "EXAMPLE_SECRET_ARN": ARN})
    with caplog.at_level(logging.WARNING):
        assert active(CREDENTIAL, settings, store) == ("stored",)
        assert active(CREDENTIAL, settings, store) == ("stored",)
    warnings = [record for record in caplog.records if "ignored in a deployed function" in record.getMessage()]
    assert len(warnings) == 1
    assert warnings[0].ignored_variables == ["EXAMPLE_SECRET"]  # type: ignore[attr-defined]
    assert "planted" not in caplog.text


@pytest.mark.parametrize(
    "env",
    [{}, {"EXAMPLE_SECRET": ""}, {"EXAMPLE_SECRET": " , "}, {**LAMBDA, "EXAMPLE_SECRET": "local-only"}],
    ids=["nothing", "empty", "blank", "deployed-local-only"],
)
def test_no_credential_is_a_503_naming_none(env: dict[str, str], secretsmanager: tuple[Any, Stubber]) -> None:
    client, _ = secretsmanager
    with pytest.raises(Unavailable, match=r"^the receiver is not configured$"):
        active(CREDENTIAL, from_env(env), SecretStore(lambda service: client))


def test_an_empty_secret_is_a_503(secretsmanager: tuple[Any, Stubber]) -> None:
    client, stubber = secretsmanager
    stored(stubber, " , ")
    with pytest.raises(Unavailable, match=r"^the receiver is not configured$"):
        active(CREDENTIAL, from_env({"EXAMPLE_SECRET_ARN": ARN}), SecretStore(lambda service: client))


def test_an_unreadable_secret_is_a_503_to_retry(secretsmanager: tuple[Any, Stubber]) -> None:
    client, stubber = secretsmanager
    stubber.add_client_error("get_secret_value", "AccessDeniedException", "not allowed", 400, {"SecretId": ARN})
    with pytest.raises(Unavailable, match="could not be read; retry later") as raised:
        active(CREDENTIAL, from_env({"EXAMPLE_SECRET_ARN": ARN}), SecretStore(lambda service: client))
    assert raised.value.reason == "credential_unavailable"
