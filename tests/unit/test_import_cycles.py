"""No two modules of the project import each other, directly or round a longer loop.

Every import counts, at the top of a module or inside a function: a loop through a function-level
import is still two modules that cannot be understood (or moved) one without the other.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = {name: ROOT / "src" / name for name in ("handler", "archive_format", "drift", "topic_archive")}
PACKAGES |= {name: ROOT / name for name in ("devkit", "archive_replay", "webhooks_ops", "bench")}
PACKAGES["webhook_events"] = ROOT / "webhook-events" / "webhook_events"


def module_name(path: Path) -> str:
    for package, folder in PACKAGES.items():
        if path.is_relative_to(folder):
            parts = [package, *path.relative_to(folder).with_suffix("").parts]
            return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
    raise AssertionError(path)


def imports(path: Path, modules: set[str]) -> set[str]:
    """The project modules `path` imports (a package's `__init__` stands for the package)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
        found |= {name for name in names if name in modules}
    return found - {module_name(path)}


def graph() -> dict[str, set[str]]:
    files = [path for folder in PACKAGES.values() for path in folder.rglob("*.py")]
    modules = {module_name(path) for path in files}
    return {module_name(path): imports(path, modules) for path in files}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    found: list[list[str]] = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for target in sorted(edges.get(node, ())):
            if state.get(target) == 1:
                found.append([*path[path.index(target) :], target])
            elif target not in state:
                visit(target, [*path, target])
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node, [node])
    return found


def test_no_module_imports_another_that_imports_it_back() -> None:
    assert cycles(graph()) == []


def test_the_check_finds_a_loop() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c", "a"]]
    assert graph()["devkit.stack"] >= {"devkit.archive", "devkit.queues"}  # the graph is read, not empty
