"""Everything platform-specific lives in its provider module: the rest of the package names none,
and each provider's route is the one template.yaml gives API Gateway."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from devkit.deployed import Deployment
from devkit.rehearsal import evaluated
from devkit.template import Template
from handler import platforms
from handler.config import from_env
from handler.providers import id_lifetime

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "handler"
PLATFORM_WORDS = re.compile(r"bettermode|tribe|\bcand\b|moim", re.IGNORECASE)
WHERE_PLATFORMS_BELONG = {PACKAGE / "platforms.py", *(PACKAGE / "providers").glob("*.py")} - {
    PACKAGE / "providers" / "__init__.py",
    PACKAGE / "providers" / "json_body.py",
}


@pytest.mark.parametrize(
    "path",
    sorted(set(PACKAGE.rglob("*.py")) - WHERE_PLATFORMS_BELONG),
    ids=lambda path: str(path.relative_to(PACKAGE)),
)
def test_no_module_but_the_providers_names_a_platform(path: Path) -> None:
    found = PLATFORM_WORDS.findall(path.read_text(encoding="utf-8"))
    assert found == [], f"{path.name} names {sorted(set(found))}: that belongs in a provider module"


def test_the_shared_modules_are_among_those_checked() -> None:
    checked = {path.name for path in set(PACKAGE.rglob("*.py")) - WHERE_PLATFORMS_BELONG}
    assert {"config.py", "credentials.py", "receiver.py", "pipeline.py", "app.py", "container.py"} <= checked


def test_each_provider_is_served_on_the_route_the_template_declares() -> None:
    template = Template.load()
    function = template.resources["WebhookFunction"]
    paths = {
        event["Properties"]["Path"]
        for event in function["Properties"]["Events"].values()
        if event["Type"] == "HttpApi" and event["Properties"].get("Method") == "POST"
    }
    for provider in platforms.PROVIDERS:
        served = [path for path in paths if re.fullmatch(provider.ROUTE, re.sub(r"\{\w+\}", "x" * 24, path))]
        assert len(served) == 1, (provider.SOURCE, paths)


def test_each_provider_has_its_own_source_and_credential_variables() -> None:
    sources = [provider.SOURCE for provider in platforms.PROVIDERS]
    variables = [v for provider in platforms.PROVIDERS for v in provider.CREDENTIAL[:2]]
    assert len(set(sources)) == len(sources)
    assert len(set(variables)) == len(variables)


def test_the_template_sets_each_providers_variables() -> None:
    """Deployed, each credential is a secret whose ARN the template sets; its local variable is empty."""
    environment = evaluated(Deployment()).environment("WebhookFunction")
    for provider in platforms.PROVIDERS:
        assert environment[provider.CREDENTIAL.secret_arn_variable].startswith("arn:aws:secretsmanager:")
        assert environment.get(provider.CREDENTIAL.local_variable, "") == ""
        if provider.ID_LIFETIME:
            assert provider.ID_LIFETIME.variable in environment


def test_id_lifetimes_default_to_the_dedupe_window_or_the_providers_own() -> None:
    settings = from_env({"DEDUPE_TTL_DAYS": "2", "CAND_DEDUPE_TTL_SECONDS": "120"})
    lifetimes = {provider.SOURCE: id_lifetime(provider, settings) for provider in platforms.PROVIDERS}
    assert lifetimes == {"bettermode": 2 * 86_400, "cand": 120}
    defaults = {provider.SOURCE: id_lifetime(provider, from_env({})) for provider in platforms.PROVIDERS}
    assert defaults == {"bettermode": 7 * 86_400, "cand": 900}
