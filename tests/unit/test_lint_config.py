"""The pre-commit hook checks what `make lint` checks: the same mypy targets, on commits touching any."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def test_the_pre_commit_mypy_hook_runs_on_what_make_lint_type_checks() -> None:
    makefile = (ROOT / "Makefile").read_text()
    [lint_targets] = re.findall(r"\$\(BIN\)/mypy --strict ([^\n]+)", makefile)
    hooks = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text())["repos"][0]["hooks"]
    [mypy] = [hook for hook in hooks if hook["id"] == "mypy"]
    targets = lint_targets.split()
    assert mypy["entry"].split("--strict ", 1)[1].split() == targets
    touched = re.compile(mypy["files"])
    for target in targets:
        some_file = next((ROOT / target).rglob("*.py")).relative_to(ROOT).as_posix()
        assert touched.search(some_file), f"a commit touching {some_file} skips mypy"
