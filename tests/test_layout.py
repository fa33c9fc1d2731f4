"""The layout holds: arrows run one way, no import hides in a function, no module sprawls."""

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

PROJECT_PACKAGES = ("digitalesamt", "municipalities", "awards")
MAX_LINES = 600


def project_modules() -> list[Path]:
    root = Path(settings.BASE_DIR)
    return sorted(
        path
        for package in PROJECT_PACKAGES
        for path in (root / package).rglob("*.py")
        if "migrations" not in path.parts
    )


def imports_in_functions(tree: ast.Module) -> list[tuple[int, str]]:
    """Return (line, module) of every import of a project module inside a function.

    An AppConfig's ready() is where Django wants signal receivers imported; it may.
    """
    found = []
    for function in ast.walk(tree):
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        if function.name == "ready":
            continue
        for node in ast.walk(function):
            if isinstance(node, ast.ImportFrom):
                module = node.module or ""
                if node.level or module.split(".")[0] in PROJECT_PACKAGES:
                    found.append((node.lineno, "." * node.level + module))
            elif isinstance(node, ast.Import):
                found += [
                    (node.lineno, alias.name)
                    for alias in node.names
                    if alias.name.split(".")[0] in PROJECT_PACKAGES
                ]
    return found


def test_no_import_of_the_project_hides_inside_a_function():
    hidden = {
        str(path.relative_to(settings.BASE_DIR)): found
        for path in project_modules()
        if (found := imports_in_functions(ast.parse(path.read_text(encoding="utf-8"))))
    }

    assert hidden == {}


def test_no_module_of_the_project_is_over_600_lines():
    long = {
        str(path.relative_to(settings.BASE_DIR)): length
        for path in project_modules()
        if (length := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }

    assert long == {}


def test_the_arrows_run_one_way():
    """The import-linter contract in pyproject.toml: an import against the arrows fails."""
    lint_imports = Path(sys.executable).with_name("lint-imports")
    if not lint_imports.exists():
        lint_imports = shutil.which("lint-imports")
    if lint_imports is None:
        pytest.fail("import-linter is missing: it is a development dependency (uv sync)")

    done = subprocess.run(
        [str(lint_imports), "--no-cache"],
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
    )

    assert done.returncode == 0, done.stdout + done.stderr
