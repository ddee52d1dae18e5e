"""`sam deploy --guided` as a new user meets it: the pinned SAM CLI's own command and prompt code on
template.yaml and samconfig.toml (devkit/guided.py, run in the SAM CLI's virtualenv), answered as
docs/deploy.md says. Only what would reach AWS is replaced (the managed bucket, the upload, the change
set), so the prompts, their order, their defaults and what the deploy is handed are SAM's own, and the
page's transcript is checked against them.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import tomllib
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from devkit.template import load_yaml

ROOT = Path(__file__).resolve().parents[2]
SAM_VENV = ROOT / os.environ.get("SAM_VENV", ".venv-sam")
REGION = "eu-west-1"  # what the new user types; SAM offers us-east-1 on a machine with no region configured
NO_AUTH = "has no authentication. Is this okay?"
NUMBER_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")


@cache
def parameters() -> dict[str, dict[str, Any]]:
    """template.yaml's parameters, in the order the template lists them (and SAM asks them)."""
    return dict(load_yaml()["Parameters"])


def cloudformation_text(value: Any) -> str:
    """A default as CloudFormation reads it: YAML's true is the string "true"."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def defaults() -> dict[str, str]:
    return {name: cloudformation_text(spec.get("Default")) for name, spec in parameters().items()}


def api_events() -> list[str]:
    """Every API Gateway event of every function in template.yaml: SAM asks about each without Auth."""
    events = []
    for logical, resource in load_yaml()["Resources"].items():
        if not isinstance(resource, dict) or resource.get("Type") != "AWS::Serverless::Function":
            continue
        for name, event in (resource["Properties"].get("Events") or {}).items():
            if event["Type"] in ("Api", "HttpApi"):
                events.append(f"{logical}.{name}")
    return events


def answers(authentication: list[str]) -> list[str]:
    """A new user's answers, one a line: Enter is the empty answer, which takes the default shown."""
    before = ["", REGION, *[""] * len(parameters()), "Y", "Y", "N"]  # stack, region, parameters, 3 confirms
    if authentication == [""]:  # Enter on the first authentication question: SAM's default, N
        return [*before, ""]
    return [*before, *authentication, "Y", "", ""]  # save; the file; the environment


def pinned_sam_cli() -> str:
    [version] = re.findall(r"^SAM_CLI := aws-sam-cli==(\S+)$", (ROOT / "Makefile").read_text(), re.MULTILINE)
    return version


@pytest.fixture(scope="module")
def guided() -> dict[str, Any]:
    python = SAM_VENV / "bin" / "python"
    if not python.exists():
        pytest.fail(f"{python} is missing: run `make .venv-sam/.installed` (make test does it first)")
    request = {
        "project": str(ROOT),
        "runs": [
            {"name": "new user", "answers": answers(["y"] * len(api_events()))},
            {"name": "default to no authentication", "answers": answers([""])},
        ],
    }
    done = subprocess.run(  # noqa: S603 - our own module, in the SAM CLI's virtualenv
        [str(python), "-m", "devkit.guided"],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


@pytest.fixture(scope="module")
def new_user(guided: dict[str, Any]) -> dict[str, Any]:
    run: dict[str, Any] = guided["runs"]["new user"]
    assert run["exception"] is None, run["exception"]
    assert run["exit_code"] == 0, run["screen"]
    return run


def screen_lines(screen: str, first: str, last: str) -> list[str]:
    """The screen's lines from the one starting `first` to the one starting `last`, trimmed, no blanks."""
    lines = [line.strip() for line in screen.splitlines() if line.strip()]
    start = next(i for i, line in enumerate(lines) if line.startswith(first))
    end = next(i for i, line in enumerate(lines) if i >= start and line.startswith(last))
    return lines[start : end + 1]


def test_the_prompts_are_the_pinned_sam_clis(guided: dict[str, Any]) -> None:
    assert guided["sam_cli"] == pinned_sam_cli()


def test_every_parameter_is_asked_in_the_open_with_its_template_default(new_user: dict[str, Any]) -> None:
    """No NoEcho parameter: SAM asks one with hidden input and no default, and asks again on Enter."""
    assert [name for name, spec in parameters().items() if spec.get("NoEcho")] == []
    asked = [p for p in new_user["prompts"] if p["text"].startswith("Parameter ")]
    assert [p["text"].removeprefix("Parameter ") for p in asked] == list(parameters())
    assert [p for p in new_user["prompts"] if p["hide_input"]] == []
    assert {p["text"].removeprefix("Parameter "): p["default"] for p in asked} == defaults()
    assert {p["text"].removeprefix("Parameter "): p["answer"] for p in asked} == defaults()


def test_pressing_enter_deploys_every_template_default(new_user: dict[str, Any]) -> None:
    """The deploy parameter step completes: SAM found its bucket and hands the deploy every default."""
    assert "Looking for resources needed for deployment:" in new_user["screen"]
    assert new_user["managed_bucket_calls"] == [{"profile": None, "region": REGION}]
    overrides = new_user["guided_parameter_overrides"]
    assert {name: value["Value"] for name, value in overrides.items()} == defaults()
    assert not any(value["Hidden"] for value in overrides.values())
    [package] = new_user["package"]
    [deploy] = new_user["deploy"]
    assert package["parameter_overrides"] == deploy["parameter_overrides"] == defaults()
    samconfig = tomllib.loads(new_user["samconfig_before"])["default"]
    assert deploy["stack_name"] == samconfig["global"]["parameters"]["stack_name"] == "community-webhooks"
    assert deploy["region"] == package["region"] == REGION
    # the AWS::LanguageExtensions transform needs CAPABILITY_AUTO_EXPAND: "Allow SAM CLI IAM role
    # creation: Y" keeps samconfig.toml's capabilities, and saving writes them back
    assert " ".join(deploy["capabilities"]) == samconfig["deploy"]["parameters"]["capabilities"]
    assert "CAPABILITY_AUTO_EXPAND" in deploy["capabilities"]
    assert deploy["language_extensions"] is True  # samconfig.toml's [default.global.parameters]
    assert (deploy["confirm_changeset"], deploy["disable_rollback"]) == (True, False)


def test_sam_asks_once_per_api_event_whether_no_authentication_is_okay(new_user: dict[str, Any]) -> None:
    questions = [p for p in new_user["prompts"] if p["text"].endswith(NO_AUTH)]
    assert len(questions) == len(api_events())
    assert all(p["kind"] == "confirm" and p["default"] is False and p["answer"] is True for p in questions)
    assert {p["text"] for p in questions} == {f"WebhookFunction {NO_AUTH}"}


def test_the_default_answer_to_no_authentication_aborts_the_deploy(guided: dict[str, Any]) -> None:
    run = guided["runs"]["default to no authentication"]
    assert run["exit_code"] != 0
    assert "Error: Security Constraints Not Satisfied!" in run["screen"]
    assert [p["answer"] for p in run["prompts"] if p["text"].endswith(NO_AUTH)] == [False]
    assert run["managed_bucket_calls"] == run["package"] == run["deploy"] == []
    assert run["samconfig_after"] == run["samconfig_before"]


def parameter_overrides(text: str) -> dict[str, str]:
    """samconfig.toml's `parameter_overrides`, as SAM reads it (K=V or K="V", space-separated)."""
    return dict(item.split("=", 1) for item in shlex.split(text))


def test_saving_writes_the_region_and_every_parameter_into_the_default_section(new_user: dict[str, Any]) -> None:
    before, after = tomllib.loads(new_user["samconfig_before"]), tomllib.loads(new_user["samconfig_after"])
    assert {env: after[env] for env in after if env not in ("default", "version")} == {
        env: before[env] for env in before if env not in ("default", "version")
    }
    default_before, default_after = before["default"], after["default"]
    assert default_after["global"]["parameters"] == {**default_before["global"]["parameters"], "region": REGION}
    deploy = default_after["deploy"]["parameters"]
    assert parameter_overrides(deploy.pop("parameter_overrides")) == defaults()
    assert deploy == {
        **default_before["deploy"]["parameters"],
        "region": REGION,
        "s3_prefix": "community-webhooks",
        "image_repositories": [],
    }
    assert {command: default_after[command] for command in default_after if command not in ("global", "deploy")} == {
        command: default_before[command] for command in default_before if command not in ("global", "deploy")
    }
    comments = [line for line in new_user["samconfig_before"].splitlines() if line.startswith("#")]
    assert [line for line in new_user["samconfig_after"].splitlines() if line.startswith("#")] == comments


def test_the_deploy_page_shows_the_prompts_as_sam_asks_them(new_user: dict[str, Any]) -> None:
    """docs/deploy.md's transcript is the screen, from SAM's first line to its last question."""
    page = (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
    blocks = re.findall(r"^```text\n(.*?)^```$", page, re.MULTILINE | re.DOTALL)
    [block] = [block for block in blocks if "Setting default arguments for 'sam deploy'" in block]
    shown = [line.strip() for line in block.splitlines() if line.strip()]
    asked = screen_lines(new_user["screen"], "Configuring SAM deploy", "Looking for resources needed for deployment")
    assert shown == asked
    assert f"({pinned_sam_cli()})" in page  # the version the transcript is from


@pytest.mark.parametrize("page", ["README.md", "docs/deploy.md"])
def test_the_pages_count_the_authentication_questions(page: str) -> None:
    """Each paragraph or list item (outside code blocks) that tells of the question says how many."""
    text = re.sub(r"^```.*?^```$", "", (ROOT / page).read_text(encoding="utf-8"), flags=re.MULTILINE | re.DOTALL)
    chunks = [" ".join(chunk.split()) for chunk in re.split(r"\n\s*\n|\n\s*(?:-|\d+\.) ", text)]
    telling = [chunk for chunk in chunks if NO_AUTH in chunk]
    assert telling, f"{page} does not tell of SAM's question '{NO_AUTH}'"
    for chunk in telling:
        assert f" {NUMBER_WORDS[len(api_events())]} " in chunk, chunk


def test_the_environments_override_only_template_parameters() -> None:
    samconfig = tomllib.loads((ROOT / "samconfig.toml").read_text(encoding="utf-8"))
    for env, commands in samconfig.items():
        if env == "version":
            continue
        given = commands.get("deploy", {}).get("parameters", {}).get("parameter_overrides", "")
        assert set(parameter_overrides(given)) <= set(parameters()), env
        assert commands["global"]["parameters"]["language_extensions"] is True, env
        assert "CAPABILITY_AUTO_EXPAND" in commands["deploy"]["parameters"]["capabilities"], env
