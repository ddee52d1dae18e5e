"""Check a built function package: the handler is there, every wheel is for Lambda's arm64 / CPython 3.13,
and nothing the runtime already has (boto3, botocore) is bundled.

Usage: python -m devkit.package_check .aws-sam/build/WebhookFunction
"""

from __future__ import annotations

import sys
from pathlib import Path

TARGET_PLATFORM = "aarch64"
TARGET_ABI = ("cp313", "abi3", "none")
RUNTIME_PROVIDED = ("boto3", "botocore", "s3transfer")  # Lambda's Python runtime has them


def wheel_tags(package: Path) -> dict[str, list[str]]:
    """Each installed distribution's wheel tags, from its dist-info/WHEEL."""
    tags: dict[str, list[str]] = {}
    for wheel in sorted(package.glob("*.dist-info/WHEEL")):
        lines = wheel.read_text(encoding="utf-8").splitlines()
        tags[wheel.parent.name] = [line.split(":", 1)[1].strip() for line in lines if line.startswith("Tag:")]
    return tags


def problems(package: Path) -> list[str]:
    found: list[str] = []
    if not (package / "handler" / "app.py").is_file():
        found.append("handler/app.py is missing")
    if list(package.rglob("__pycache__")):
        found.append("__pycache__ folders were packaged")
    tags = wheel_tags(package)
    if not tags:
        found.append("no installed distributions (was requirements.txt installed?)")
    for dist, dist_tags in tags.items():
        for tag in dist_tags:
            _python, abi, platform = tag.split("-")
            if platform != "any" and (TARGET_PLATFORM not in platform or abi not in TARGET_ABI):
                found.append(f"{dist}: wheel tag {tag} is not for Lambda arm64 / cp313")
    for name in RUNTIME_PROVIDED:
        if (package / name).is_dir():
            found.append(f"{name} is bundled, but the Lambda runtime provides it (a dependency pulled it in)")
    for binary in package.rglob("*.so"):
        if "x86_64" in binary.name or "amd64" in binary.name:
            found.append(f"{binary.relative_to(package)} is an x86_64 binary")
    return found


def main(argv: list[str]) -> int:
    package = Path(argv[1] if len(argv) > 1 else ".aws-sam/build/WebhookFunction")
    found = problems(package)
    size = sum(path.stat().st_size for path in package.rglob("*") if path.is_file())
    for dist, tags in wheel_tags(package).items():
        print(f"  {dist}: {', '.join(tags)}")
    print(f"package {package}: {size / 1024:.0f} KiB unzipped")
    for problem in found:
        print(f"PROBLEM: {problem}")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
