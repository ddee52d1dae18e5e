"""webhook_events is a distribution of its own: it builds as a wheel with its version, holds nothing of
the receiver, and the example subscriber's package installs it as a pinned requirement."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import webhook_events

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_SOURCE = ROOT / "examples" / "post-subscriber" / "src"
LIBRARY = ROOT / "webhook-events"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(  # noqa: S603 - this interpreter's pip, on the repository's folder
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", str(out), str(LIBRARY)],
        check=True,
    )
    [built] = out.glob("*.whl")
    return built


def test_the_wheel_is_named_and_versioned_as_the_package_says(wheel: Path) -> None:
    assert wheel.name == f"webhook_events-{webhook_events.__version__}-py3-none-any.whl"
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        metadata = archive.read(f"webhook_events-{webhook_events.__version__}.dist-info/METADATA").decode()
    assert {name.split("/")[0] for name in names} == {
        "webhook_events",
        f"webhook_events-{webhook_events.__version__}.dist-info",
    }
    assert "webhook_events/py.typed" in names  # type hints ship with it
    assert re.search(r"^Requires-Dist: pydantic", metadata, re.M)
    assert not re.search(r"^Requires-Dist: (boto3|aws-lambda-powertools)(?!.*extra)", metadata, re.M)


def test_the_example_pins_the_version_this_repository_builds() -> None:
    requirements = (EXAMPLE_SOURCE / "requirements.txt").read_text(encoding="utf-8")
    assert f"webhook-events=={webhook_events.__version__}" in requirements.splitlines()
    assert "cp -R" not in (EXAMPLE_SOURCE / "Makefile").read_text(encoding="utf-8")


@pytest.mark.slow
def test_the_example_package_installs_it_for_lambda(tmp_path: Path) -> None:
    """What `sam build` runs for the example: webhook-events installed from its wheel, beside the
    arm64 / Python 3.13 wheels of its other requirements; no boto3 (the runtime has it)."""
    artifacts = tmp_path / "PostsFunction"
    artifacts.mkdir()
    subprocess.run(  # noqa: S603 - the example's own build target
        [
            shutil.which("make") or "make",
            "--silent",
            "build-PostsFunction",
            f"ARTIFACTS_DIR={artifacts}",
            f"PYTHON={sys.executable}",
        ],
        cwd=EXAMPLE_SOURCE,
        check=True,
        capture_output=True,
    )
    installed = {path.name for path in artifacts.iterdir()}
    assert f"webhook_events-{webhook_events.__version__}.dist-info" in installed
    assert (artifacts / "webhook_events" / "models.py").is_file() and (artifacts / "app.py").is_file()
    assert not {"boto3", "botocore", "handler"} & installed
    assert not (tmp_path / ".webhook-events-wheel").exists()  # the build's scratch wheel is removed
