"""How the code shows its dependencies: imports in the file header, and nothing names a work item.

The layers themselves are checked by import-linter (``.importlinter``, run by ``make lint``). An import
written inside a function hides a dependency from every file header, so one is allowed only with a
comment that says why: Django's app loading (``AppConfig.ready()``), or a heavy library loaded on first use.
"""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PRODUCT = ("assistants", "datasets", "helpdesk", "integrations", "knowledge", "mail", "tickets", "testing")
# "issue 12", "Issue #9", "issues 3-5": a reader of the code cannot see them.
WORK_ITEM = re.compile(r"\bissues?\s+#?\d+", re.IGNORECASE)


def _product_files(root: Path, suffixes: tuple[str, ...] = (".py",)) -> list[Path]:
    return sorted(
        path
        for app in PRODUCT
        for path in (root / app).rglob("*")
        if path.suffix in suffixes and "/migrations/" not in path.as_posix()
    )


def _in_function_imports_without_reason(root: Path) -> list[str]:
    found = []
    for path in _product_files(root):
        relative = path.relative_to(root).as_posix()
        if "/tests/" in relative:
            continue
        lines = path.read_text(encoding="utf-8").splitlines()
        for function in ast.walk(ast.parse("\n".join(lines))):
            if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(function):
                if not isinstance(node, ast.Import | ast.ImportFrom) or "#" in lines[node.lineno - 1]:
                    continue
                above = node.lineno - 2  # the run of imports this one belongs to must follow a comment
                while above >= 0 and re.match(r"\s*(from \S+ )?import ", lines[above]):
                    above -= 1
                if above < 0 or not lines[above].lstrip().startswith("#"):
                    found.append(f"{relative}:{node.lineno}: {lines[node.lineno - 1].strip()}")
    return sorted(set(found))


def test_imports_inside_functions_say_why():
    assert _in_function_imports_without_reason(ROOT) == []


def test_the_import_check_finds_an_unexplained_import(tmp_path):
    app = tmp_path / "tickets"
    app.mkdir()
    (app / "services.py").write_text(
        "def a():\n    from tickets.models import Ticket\n    return Ticket\n\n\n"
        "def b():\n    # heavy: loaded on first use\n    import torch\n    import numpy\n    return torch, numpy\n\n\n"
        "def c():\n    import json  # reason: a test of the inline form\n    return json\n"
    )
    assert _in_function_imports_without_reason(tmp_path) == ["tickets/services.py:2: from tickets.models import Ticket"]


def test_no_code_names_a_work_item():
    files = [
        *_product_files(ROOT, (".py", ".html", ".js", ".css", ".txt")),
        ROOT / "conftest.py",
        *sorted((ROOT / "tests").glob("*.py")),
        *sorted((ROOT / "static").rglob("*.*s")),
    ]
    offenders = [
        f"{path.relative_to(ROOT).as_posix()}:{number}: {line.strip()}"
        for path in files
        if path.name != Path(__file__).name
        for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), start=1)
        if WORK_ITEM.search(line)
    ]
    assert offenders == []


def test_every_app_is_linted_for_layers_type_checked_and_tested():
    """A new app missing from one of these lists is silently left out of `make test` (as mail once was)."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    apps = set(PRODUCT) - {"testing"}
    assert apps <= set(config["tool"]["pytest"]["ini_options"]["testpaths"])
    assert set(PRODUCT) <= set(config["tool"]["mypy"]["files"])
    root_packages = (ROOT / ".importlinter").read_text().split("root_packages =", 1)[1].split("\n\n", 1)[0]
    assert set(PRODUCT) <= set(root_packages.split())
