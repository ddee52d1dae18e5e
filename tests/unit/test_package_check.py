"""The package check catches what a wrong build would ship."""

from __future__ import annotations

from pathlib import Path

from devkit.package_check import problems


def package(tmp_path: Path, wheels: dict[str, str], extra_dirs: tuple[str, ...] = ()) -> Path:
    (tmp_path / "handler").mkdir()
    (tmp_path / "handler" / "app.py").write_text("")
    for dist, tag in wheels.items():
        (tmp_path / f"{dist}.dist-info").mkdir()
        (tmp_path / f"{dist}.dist-info" / "WHEEL").write_text(f"Wheel-Version: 1.0\nTag: {tag}\n")
    for name in extra_dirs:
        (tmp_path / name).mkdir()
    return tmp_path


def test_a_right_package_has_no_problem(tmp_path: Path) -> None:
    wheels = {"aws_lambda_powertools-3.37.0": "py3-none-any", "wrapt-1.17.3": "cp313-cp313-manylinux2014_aarch64"}
    assert problems(package(tmp_path, wheels)) == []


def test_a_bundled_botocore_is_a_problem(tmp_path: Path) -> None:
    found = problems(package(tmp_path, {"botocore-1.40.0": "py3-none-any"}, ("botocore",)))
    assert found == ["botocore is bundled, but the Lambda runtime provides it (a dependency pulled it in)"]


def test_an_x86_or_other_python_wheel_is_a_problem(tmp_path: Path) -> None:
    found = problems(package(tmp_path, {"wrapt-1.17.3": "cp311-cp311-manylinux2014_x86_64"}))
    assert found == [
        "wrapt-1.17.3.dist-info: wheel tag cp311-cp311-manylinux2014_x86_64 is not for Lambda arm64 / cp313"
    ]
