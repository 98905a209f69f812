"""The table of Flask extensions the bridge is proven with, produced from the tests.

Read, not run: every ``tests/bridge/test_flask_*.py`` module is parsed for its
scenario module (``from .apps import x_app``), the extensions that module imports
(``flask_*`` and the libraries they bring, e.g. SQLAlchemy), and its test functions
with the sides each runs on (``SIDES``, ``THREADED_SIDES``, or one side named in
the body). Versions are the installed ones (``importlib.metadata``): the ones the
suite just ran against. The floor is the lower bound of the ``test`` extra in
pyproject.toml, the oldest release the scenarios were run with (docs/bridge-survey.md).

    python -m tests.bridge.table           # print the table
    python -m tests.bridge.table --write   # put it into docs/bridge.md

``tests/test_docs_bridge_table.py`` fails when docs/bridge.md holds another table.
"""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BRIDGE = ROOT / "tests" / "bridge"
PAGE = ROOT / "docs" / "bridge.md"
BEGIN = "<!-- bridge-table: begin (python -m tests.bridge.table --write; do not edit) -->"
END = "<!-- bridge-table: end -->"

SIDE_NAMES = {
    "flask": "Flask",
    "fastapi-sync": "FastAPI `def`",
    "fastapi-async": "FastAPI `async def`",
}
#: The harness's side lists (tests/bridge/harness.py), by the names tests use.
SIDE_LISTS = {
    "SIDES": ("flask", "fastapi-sync", "fastapi-async"),
    "THREADED_SIDES": ("flask", "fastapi-sync"),
}
#: Import names that are not their distribution's name.
DISTRIBUTIONS = {"sqlalchemy": "SQLAlchemy", "wtforms": "WTForms"}


@dataclass(frozen=True)
class Test:
    name: str
    what: str
    sides: tuple[str, ...]
    cases: str


@dataclass(frozen=True)
class Extension:
    module: str  # the test module's file name
    distributions: tuple[str, ...]  # the extension first, then what its scenario also imports
    tests: tuple[Test, ...]


def _literal(node: ast.expr, constants: dict[str, ast.expr]) -> object:
    if isinstance(node, ast.Name) and node.id in constants:
        node = constants[node.id]
    try:
        return ast.literal_eval(node)
    except ValueError:
        return None


def _sides(func: ast.AsyncFunctionDef | ast.FunctionDef) -> tuple[str, ...]:
    for deco in func.decorator_list:
        if (
            isinstance(deco, ast.Call)
            and isinstance(deco.func, ast.Attribute)
            and deco.func.attr == "parametrize"
            and isinstance(deco.args[0], ast.Constant)
            and deco.args[0].value == "side"
            and isinstance(deco.args[1], ast.Name)
        ):
            return SIDE_LISTS[deco.args[1].id]
    # A test of one side names it in its call to the harness.
    named = {
        n.value
        for n in ast.walk(func)
        if isinstance(n, ast.Constant) and isinstance(n.value, str) and n.value in SIDE_NAMES
    }
    if not named:
        raise ValueError(f"{func.name}: no side found (parametrize 'side' or name one)")
    return tuple(side for side in SIDE_NAMES if side in named)


def _cases(func: ast.AsyncFunctionDef | ast.FunctionDef, constants: dict[str, ast.expr]) -> str:
    parts = []
    for deco in func.decorator_list:
        if (
            isinstance(deco, ast.Call)
            and isinstance(deco.func, ast.Attribute)
            and deco.func.attr == "parametrize"
            and isinstance(deco.args[0], ast.Constant)
            and deco.args[0].value != "side"
        ):
            values = _literal(deco.args[1], constants)
            if isinstance(values, list | tuple):
                parts.append(", ".join(str(v) for v in values))
    return "; ".join(reversed(parts))


def _what(func: ast.AsyncFunctionDef | ast.FunctionDef) -> str:
    return func.name.removeprefix("test_").replace("_", " ")


def _imports(path: Path) -> list[str]:
    """Top-level names of third-party modules ``path`` imports, in order."""
    found: list[str] = []
    for node in ast.parse(path.read_text()).body:
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        for name in names:
            top = name.split(".")[0]
            if top not in found:
                found.append(top)
    return found


def _distributions(scenario: Path) -> tuple[str, ...]:
    stdlib = sys.stdlib_module_names
    # Flask and the library's own runtime dependencies are in the line above the table.
    skip = {"flask", "__future__", "fastapi", "starlette", "anyio", "werkzeug"}
    tops = [m for m in _imports(scenario) if m not in stdlib and m not in skip]
    extension = [m for m in tops if m.startswith("flask_")]
    others = [m for m in tops if not m.startswith("flask_")]
    return tuple(DISTRIBUTIONS.get(m, m.replace("_", "-")) for m in extension + others)


def extensions() -> list[Extension]:
    found = []
    for path in sorted(BRIDGE.glob("test_flask_*.py")):
        tree = ast.parse(path.read_text())
        scenario = next(
            alias.name
            for node in tree.body
            if isinstance(node, ast.ImportFrom) and node.module == "apps" and node.level == 1
            for alias in node.names
        )
        constants = {
            target.id: node.value
            for node in tree.body
            if isinstance(node, ast.Assign)
            for target in node.targets
            if isinstance(target, ast.Name)
        }
        tests = tuple(
            Test(node.name, _what(node), _sides(node), _cases(node, constants))
            for node in tree.body
            if isinstance(node, ast.AsyncFunctionDef | ast.FunctionDef)
            and node.name.startswith("test_")
        )
        dists = _distributions(BRIDGE / "apps" / f"{scenario}.py")
        found.append(Extension(path.name, dists, tests))
    return found


def floors() -> dict[str, str]:
    """Lower bounds of the ``test`` extra, by normalized distribution name."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    bounds = {}
    for req in project["optional-dependencies"]["test"]:
        m = re.fullmatch(r"([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?>=([^,;\s]+)", req)
        if m:
            bounds[_normalize(m[1])] = m[2]
    return bounds


def _normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _version(dist: str) -> str:
    return importlib.metadata.version(dist)


def _name(dist: str) -> str:
    return str(importlib.metadata.metadata(dist)["Name"])


def table() -> str:
    bounds = floors()
    lines = [
        f"Run against Flask {_version('flask')} and Werkzeug {_version('werkzeug')}"
        f" (FastAPI {_version('fastapi')}, Starlette {_version('starlette')}).",
        "",
        "| extension (tested) | floor | scenario | cases | runs on |",
        "|---|---|---|---|---|",
    ]
    for ext in extensions():
        versions = " + ".join(f"{_name(d)} {_version(d)}" for d in ext.distributions)
        floor = " + ".join(bounds.get(_normalize(d), "—") for d in ext.distributions)
        for i, test in enumerate(ext.tests):
            sides = ", ".join(SIDE_NAMES[s] for s in test.sides)
            where = f"<br>`tests/bridge/{ext.module}`"
            first = (versions + where, floor) if i == 0 else ("", "")
            lines.append(f"| {first[0]} | {first[1]} | {test.what} | {test.cases} | {sides} |")
    return "\n".join(lines) + "\n"


def page_table(text: str) -> str:
    """The generated part of docs/bridge.md."""
    start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
    return text[start:end].strip("\n") + "\n"


def write() -> None:
    text = PAGE.read_text()
    start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
    PAGE.write_text(text[:start] + "\n" + table() + text[end:])


if __name__ == "__main__":
    if sys.argv[1:] == ["--write"]:
        write()
    else:
        sys.stdout.write(table())
