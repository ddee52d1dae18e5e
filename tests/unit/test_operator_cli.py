"""`webhooks-ops`, the operator command: installed as a console script, with the redrive and the replay."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path

import pytest

from webhooks_ops.cli import main


def test_it_is_installed_as_a_console_script() -> None:
    [script] = [e for e in entry_points(group="console_scripts") if e.name == "webhooks-ops"]
    assert script.value == "webhooks_ops.cli:main"
    installed = Path(sys.executable).parent / "webhooks-ops"
    result = subprocess.run([str(installed), "--help"], capture_output=True, text=True, check=False, cwd="/")  # noqa: S603
    assert result.returncode == 0
    assert "redrive" in result.stdout and "replay" in result.stdout


def test_replay_takes_the_archive_replays_own_options(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_code:
        main(["replay", "--help"])
    assert exit_code.value.code == 0
    assert "--allow-topic" in capsys.readouterr().out


def test_redrive_without_a_queue_says_what_to_pass(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("FAILURE_QUEUE_URL", raising=False)
    assert main(["redrive"]) == 2
    assert "--function" in capsys.readouterr().out


def test_the_developer_kit_has_no_redrive() -> None:
    from devkit.__main__ import main as devkit

    with pytest.raises(SystemExit) as exit_code:
        devkit(["redrive"])
    assert exit_code.value.code == 2  # argparse: not a devkit command
