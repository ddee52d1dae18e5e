"""`sam deploy --guided` as a new user meets it: SAM CLI's own command and prompt code, offline.

Run with the SAM CLI's own virtualenv (`.venv-sam/bin/python -m devkit.guided`, after
`make .venv-sam/.installed`): the tests' virtualenv holds the SAM CLI without the dependencies its
command line needs. It reads a request on stdin, a JSON object:

    {"project": "<dir holding template.yaml and samconfig.toml>",
     "runs": [{"name": "...", "answers": ["", "eu-west-1", ...]}, ...]}

and, for each run, copies the project's template.yaml and samconfig.toml into a directory of its
own, runs `sam deploy --guided` there with the answers typed one a line, and prints one JSON object
on stdout: per run, the screen (ANSI colours removed), each question as asked (text, default,
hidden input or not, the answer), where the run ended and what it handed the deploy.

Nothing reaches AWS: only what would is replaced. The managed S3 bucket (`manage_stack`) is a fixed
name; the package and deploy steps (S3 upload, change set) record what they are given and do
nothing. No version check, no telemetry, and SAM's own settings go to a temporary directory.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import tempfile
import traceback
from pathlib import Path
from typing import Any

MANAGED_BUCKET = "aws-sam-cli-managed-default-samclisourcebucket-1a2b3c4d5e6f"
ACCOUNT = "123456789012"
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _recorder(calls: list[dict[str, Any]]) -> type:
    """A stand-in for PackageContext or DeployContext: appends its arguments to `calls`, does nothing."""

    class Recorder:
        def __init__(self, **kwargs: Any) -> None:
            calls.append(kwargs)

        def __enter__(self) -> Recorder:
            return self

        def __exit__(self, *exc: object) -> None:
            return None

        def run(self) -> None:
            return None

    return Recorder


def _plain(value: Any) -> Any:
    """JSON-able: tuples as lists, anything else unknown as its text."""
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def run_guided(project: Path, answers: list[str], workdir: Path) -> dict[str, Any]:
    """One `sam deploy --guided` in `workdir` (a copy of the project's template and samconfig.toml)."""
    from unittest import mock

    import click
    from click.testing import CliRunner
    from samcli.cli.main import cli
    from samcli.commands.deploy import guided_context
    from samcli.lib.bootstrap.companion_stack import companion_stack_manager

    for name in ("template.yaml", "samconfig.toml"):
        shutil.copy2(project / name, workdir / name)
    before = (workdir / "samconfig.toml").read_text(encoding="utf-8")

    prompts: list[dict[str, Any]] = []

    def recorded(kind: str, original: Any) -> Any:
        def ask(text: str, *args: Any, **kwargs: Any) -> Any:
            entry: dict[str, Any] = {
                "kind": kind,
                "text": ANSI.sub("", text).strip(),
                "default": _plain(kwargs.get("default")),
                "hide_input": bool(kwargs.get("hide_input", False)),
            }
            prompts.append(entry)
            answer = original(text, *args, **kwargs)
            entry["answer"] = _plain(answer)
            return answer

        return ask

    packaged: list[dict[str, Any]] = []
    deployed: list[dict[str, Any]] = []
    buckets: list[dict[str, Any]] = []

    def manage_stack(profile: str | None, region: str) -> str:
        buckets.append({"profile": profile, "region": region})
        return MANAGED_BUCKET

    class CompanionStacks(companion_stack_manager.CompanionStackManager):
        """SAM's image repository bookkeeping with no AWS client: a new account has no companion stack."""

        def __init__(self, stack_name: str, region: str, s3_bucket: str, s3_prefix: str) -> None:
            self._companion_stack = companion_stack_manager.CompanionStack(stack_name)
            self._builder = companion_stack_manager.CompanionStackBuilder(self._companion_stack)
            self._s3_bucket, self._s3_prefix = s3_bucket, s3_prefix
            self._account_id, self._region_name = ACCOUNT, region

        def does_companion_stack_exist(self) -> bool:
            return False

        def update_companion_stack(self) -> None:
            raise AssertionError("an image function needs an ECR repository: this driver creates none")

    contexts: list[Any] = []
    original_run = guided_context.GuidedContext.run

    def run(self: Any) -> None:
        contexts.append(self)
        original_run(self)

    patches = [
        mock.patch.object(guided_context, "prompt", recorded("prompt", click.prompt)),
        mock.patch.object(guided_context, "confirm", recorded("confirm", click.confirm)),
        mock.patch.object(guided_context, "manage_stack", manage_stack),
        mock.patch.object(guided_context, "CompanionStackManager", CompanionStacks),
        mock.patch.object(guided_context.GuidedContext, "run", run),
        mock.patch("samcli.commands.package.package_context.PackageContext", _recorder(packaged)),
        mock.patch("samcli.commands.deploy.deploy_context.DeployContext", _recorder(deployed)),
        mock.patch("samcli.lib.utils.version_checker._inform_newer_version", return_value=None),
    ]
    cwd = Path.cwd()
    os.chdir(workdir)
    try:
        for patch in patches:
            patch.start()
        result = CliRunner().invoke(cli, ["deploy", "--guided"], input="".join(f"{a}\n" for a in answers))
    finally:
        for patch in reversed(patches):
            patch.stop()
        os.chdir(cwd)

    guided = contexts[0] if contexts else None
    return {
        "screen": ANSI.sub("", result.output),
        "prompts": prompts,
        "exit_code": result.exit_code,
        "exception": None
        if result.exception is None or isinstance(result.exception, SystemExit)
        else "".join(traceback.format_exception(result.exception)),
        "managed_bucket_calls": buckets,
        "guided_parameter_overrides": _plain(guided.guided_parameter_overrides) if guided else None,
        "package": _plain(packaged),
        "deploy": _plain(deployed),
        "samconfig_before": before,
        "samconfig_after": (workdir / "samconfig.toml").read_text(encoding="utf-8"),
    }


def main() -> int:
    request = json.load(sys.stdin)
    project = Path(request["project"]).resolve()
    with tempfile.TemporaryDirectory(prefix="guided-") as scratch:
        # SAM's own settings (metadata.json, telemetry id) stay out of the user's ~/.aws-sam
        os.environ["__SAM_CLI_APP_DIR"] = str(Path(scratch) / "sam-app-dir")
        os.environ["SAM_CLI_TELEMETRY"] = "0"
        # A new user's machine: no region or profile configured, so SAM offers its own default region
        for name in [name for name in os.environ if name.startswith("AWS_")]:
            del os.environ[name]
        os.environ["AWS_CONFIG_FILE"] = str(Path(scratch) / "no-aws-config")
        os.environ["AWS_SHARED_CREDENTIALS_FILE"] = str(Path(scratch) / "no-aws-credentials")
        os.environ["AWS_EC2_METADATA_DISABLED"] = "true"  # nor a region from an instance's metadata
        runs = {}
        for index, run in enumerate(request["runs"]):
            workdir = Path(scratch) / f"project-{index}"
            workdir.mkdir()
            runs[run["name"]] = run_guided(project, list(run["answers"]), workdir)
    from samcli import __version__

    json.dump({"sam_cli": __version__, "runs": runs}, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
