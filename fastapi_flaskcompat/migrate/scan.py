"""Find where a module leans on Flask's API, with the standard library's ``ast``.

What is found, per module:

* ``from flask import X`` (aliases too) and ``from flask.<sub> import X``;
  ``import flask`` then ``flask.X`` / ``flask.<sub>.X``;
* ``request.<attr>`` reads that carry a caveat or that this library's
  request lacks, ``current_app.<attr>``, and ``current_app.config["KEY"]`` /
  ``.config.get("KEY")`` keys;
* attributes of Flask apps and blueprints, hooks and error handlers
  included (``@bp.before_app_request``, ``app.teardown_appcontext(f)``,
  ``@app.errorhandler(404)``). An app or blueprint is a name bound to
  ``Flask(...)``/``Blueprint(...)``, or, in a module that imports Flask, a
  name conventionally used for one (``app``, ``application``, ``bp``,
  ``blueprint``, ``*_bp``, ``*_blueprint``) that the module does not bind to
  ``FastAPI()``/``APIRouter()``/``Starlette()``/``FlaskCompat()``;
* Flask's signals, Flask internals (``_app_ctx_stack``...), ``werkzeug.local``;
* Flask extensions (``flask_*`` modules, and the old ``flask.ext.*``).
"""

from __future__ import annotations

import ast
import multiprocessing
import os
import typing as t
import warnings
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from .catalog import (
    APP_API,
    BLUEPRINT_API,
    BLUEPRINT_ONLY,
    CAVEATS,
    FLASK_SUBMODULES,
    Coverage,
    Verdict,
    canonical_flask_name,
)
from .walk import python_files


@dataclass(frozen=True)
class Use:
    """One use of Flask's API: where, which name, and what this library offers."""

    line: int
    name: str
    status: str
    note: str


@dataclass
class FileReport:
    """A module's uses, or why it was skipped (``error``: it did not parse or read)."""

    path: str
    uses: list[Use] = field(default_factory=list)
    error: str | None = None


@dataclass
class ScanResult:
    root: str
    files: list[FileReport]
    coverage: Coverage

    @property
    def skipped(self) -> list[FileReport]:
        return [f for f in self.files if f.error is not None]


_APP_NAMES = frozenset({"app", "application"})
_BLUEPRINT_NAMES = frozenset({"bp", "blueprint"})
_NOT_FLASK = frozenset({"FastAPI", "APIRouter", "Starlette", "FlaskCompat", "Router"})
_HANDLER_METHODS = frozenset({"errorhandler", "register_error_handler", "app_errorhandler"})
_CONFIG_GETTERS = frozenset({"get", "setdefault", "pop"})


def _dotted(node: ast.expr) -> list[str] | None:
    """``a.b.c`` as ``["a", "b", "c"]``; None for anything but names and attributes."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    parts.reverse()
    return parts


def _nodes(tree: ast.AST) -> list[ast.AST]:
    """Every node, parents before their children; ``ast.walk`` minus its generator
    overhead and the ``Load``/``Store`` context nodes (a quarter of all nodes)."""
    out: list[ast.AST] = []
    stack: list[ast.AST] = [tree]
    pop, push, keep = stack.pop, stack.append, out.append
    while stack:
        node = pop()
        keep(node)
        for name in node._fields:
            value = getattr(node, name, None)
            if value.__class__ is list:
                for item in value:
                    if isinstance(item, ast.AST):
                        push(item)
            elif isinstance(value, ast.AST) and name != "ctx":
                push(value)
    return out


def _conventional_kind(name: str) -> str | None:
    if name in _APP_NAMES:
        return "app"
    if name in _BLUEPRINT_NAMES or name.endswith(("_bp", "_blueprint")) or name.startswith("bp_"):
        return "blueprint"
    return None


class ModuleScanner:
    """Collect the uses of one parsed module (``scan_tree``)."""

    claimed: set[int]

    def __init__(self, coverage: Coverage) -> None:
        self.coverage = coverage
        self.uses: dict[tuple[int, str], Use] = {}
        self.modules: dict[str, str] = {}  # local name -> "flask", "flask.json", "werkzeug"...
        self.origins: dict[str, str] = {}  # local name -> canonical "flask.X"
        self.receivers: dict[str, str] = {}  # local name -> "app" | "blueprint"
        self.not_flask: set[str] = set()
        self.uses_flask = False

    # -- one walk: the imports and assignments now, the uses once names are known --

    def scan(self, tree: ast.Module) -> None:
        assigned: list[tuple[list[ast.expr], ast.Call]] = []
        candidates: list[ast.AST] = []
        for node in _nodes(tree):
            kind = type(node)
            if kind is ast.Attribute or kind is ast.Subscript:
                candidates.append(node)
            elif kind is ast.Call:
                if type(node.func) is ast.Attribute:  # type: ignore[attr-defined]
                    candidates.append(node)
            elif kind is ast.Import:
                self._import(node)  # type: ignore[arg-type]
            elif kind is ast.ImportFrom:
                self._import_from(node)  # type: ignore[arg-type]
            elif kind is ast.Assign or kind is ast.AnnAssign:
                value = node.value  # type: ignore[attr-defined]
                if type(value) is ast.Call:
                    targets = node.targets if kind is ast.Assign else [node.target]  # type: ignore[attr-defined]
                    assigned.append((targets, value))
        for targets, call in assigned:
            made = self._constructed(call)
            for target in targets:
                if not isinstance(target, ast.Name):
                    continue
                if made in ("app", "blueprint"):
                    self.receivers[target.id] = made
                elif made == "not flask":
                    self.not_flask.add(target.id)
        if not (self.uses_flask or self.modules):
            return
        # Breadth-first: a parent is handled before its children, which it may claim.
        self.claimed: set[int] = set()
        for node in candidates:
            if id(node) in self.claimed:
                continue
            if isinstance(node, ast.Attribute):
                self._attribute(node)
            elif isinstance(node, ast.Subscript):
                self._subscript(node)
            else:
                self._call(t.cast(ast.Call, node))

    def _claim(self, node: ast.expr) -> None:
        while isinstance(node, ast.Attribute):
            self.claimed.add(id(node))
            node = node.value

    def _constructed(self, call: ast.Call) -> str | None:
        parts = _dotted(call.func)
        if parts is None:
            return None
        origin = self._resolve(parts)[0]
        if origin == "flask.Flask":
            return "app"
        if origin == "flask.Blueprint":
            return "blueprint"
        if parts[-1] in _NOT_FLASK:
            return "not flask"
        return None

    def _resolve(self, parts: list[str]) -> tuple[str | None, int]:
        """The canonical flask name a dotted expression starts with, if any, and
        how many of ``parts`` it took."""
        root = parts[0]
        module = self.modules.get(root)
        if module is None:
            return self.origins.get(root), 1
        prefix = module.split(".")
        if prefix[0] != "flask":
            return None, 0
        full = [*prefix, *parts[1:]]
        if len(full) >= 3 and full[1] in FLASK_SUBMODULES:
            canonical, taken = canonical_flask_name(f"flask.{full[1]}", full[2]), 3
        elif len(full) >= 2:
            canonical, taken = canonical_flask_name("flask", full[1]), 2
        else:
            return None, 0
        return canonical, taken - len(prefix) + 1

    def _import(self, node: ast.Import) -> None:
        for alias in node.names:
            top = alias.name.split(".")[0]
            if top.startswith("flask_"):
                self.uses_flask = True
                self.add(node.lineno, top, self.coverage.extension(top))
            elif alias.name.startswith("flask.ext."):
                self.uses_flask = True
                ext = "flask_" + alias.name.split(".")[2]
                self.add(node.lineno, ext, self.coverage.extension(ext))
            elif top in ("flask", "werkzeug"):
                if top == "flask":
                    self.uses_flask = True
                if alias.asname:
                    self.modules[alias.asname] = alias.name
                else:
                    self.modules[top] = top

    def _import_from(self, node: ast.ImportFrom) -> None:
        module = node.module or ""
        if node.level or not module:
            return
        top = module.split(".")[0]
        line = node.lineno
        if top.startswith("flask_") or module.startswith("flask.ext"):
            self.uses_flask = True
            if module == "flask.ext":
                for alias in node.names:
                    ext = "flask_" + alias.name
                    self.add(line, ext, self.coverage.extension(ext))
            else:
                ext = top if top != "flask" else "flask_" + module.split(".")[2]
                self.add(line, ext, self.coverage.extension(ext))
            return
        if top == "werkzeug":
            for alias in node.names:
                if module == "werkzeug.local":
                    self.add(line, f"werkzeug.local.{alias.name}", self._werkzeug(alias.name))
                elif module == "werkzeug" and alias.name == "local":
                    self.modules[alias.asname or "local"] = "werkzeug.local"
            return
        if top != "flask":
            return
        self.uses_flask = True
        for alias in node.names:
            if alias.name == "*":
                self.add(line, f"{module}.*", self.coverage.flask_name("flask.*"))
                continue
            local = alias.asname or alias.name
            if module == "flask" and alias.name in FLASK_SUBMODULES:
                self.modules[local] = f"flask.{alias.name}"
            canonical = canonical_flask_name(module, alias.name)
            self.origins[local] = canonical
            self.add(line, canonical, self.coverage.flask_name(canonical))

    def _werkzeug(self, name: str) -> Verdict:
        return self.coverage.werkzeug_local(name)

    # -- second pass: the uses -----------------------------------------------

    def receiver_kind(self, name: str) -> str | None:
        kind = self.receivers.get(name)
        if kind is None and self.uses_flask and name not in self.not_flask:
            kind = _conventional_kind(name)
        return kind

    def _subscript(self, node: ast.Subscript) -> None:
        key = node.slice
        if isinstance(key, ast.Constant) and isinstance(key.value, str):
            owner = self._config_owner(node.value)
            if owner is not None:
                self._config_key(node.lineno, owner, key.value)
                self._claim(node.value)

    def _call(self, node: ast.Call) -> None:
        func = t.cast(ast.Attribute, node.func)
        first = node.args[0] if node.args else None
        if (
            func.attr in _CONFIG_GETTERS
            and isinstance(first, ast.Constant)
            and isinstance(first.value, str)
        ):
            owner = self._config_owner(func.value)
            if owner is not None:
                self._config_key(node.lineno, owner, first.value)
                self._claim(func)
                return
        if func.attr in _HANDLER_METHODS and isinstance(func.value, ast.Name):
            kind = self.receiver_kind(func.value.id)
            if kind is not None:
                if func.attr in BLUEPRINT_ONLY:
                    kind = "blueprint"
                what = ast.unparse(first) if first is not None else ""
                if len(what) > 40:
                    what = "..."
                verdict = self.coverage.app_attribute(func.attr, kind)
                self.add(node.lineno, f"{kind}.{func.attr}({what})", verdict)
                self._claim(func)

    def _attribute(self, node: ast.Attribute) -> None:
        parts = _dotted(node)
        if parts is not None:
            self._claim(node)
            self._chain(node.lineno, parts)

    def _chain(self, line: int, parts: list[str]) -> None:
        root = parts[0]
        module = self.modules.get(root)
        if module is not None:
            if module.startswith("werkzeug"):
                full = [*module.split("."), *parts[1:]]
                if len(full) >= 3 and full[1] == "local":
                    self.add(line, "werkzeug.local." + full[2], self._werkzeug(full[2]))
                return
            canonical, taken = self._resolve(parts)
            if canonical is None:
                return
            self.add(line, canonical, self.coverage.flask_name(canonical))
            # flask.request.x / flask.current_app.x: the attribute too.
            if len(parts) > taken:
                self._proxy_attribute(line, canonical, parts[taken])
            return
        origin = self.origins.get(root)
        if origin is not None:
            if len(parts) >= 2:
                self._proxy_attribute(line, origin, parts[1])
            return
        if len(parts) >= 2:
            kind = self.receiver_kind(root)
            attr = parts[1]
            if kind is not None and (attr in APP_API or attr in BLUEPRINT_API):
                if attr in BLUEPRINT_ONLY:
                    kind = "blueprint"
                self.add(line, f"{kind}.{attr}", self.coverage.app_attribute(attr, kind))

    def _proxy_attribute(self, line: int, proxy: str, attr: str) -> None:
        if attr.startswith("_"):
            return
        if proxy == "flask.request":
            if f"request.{attr}" in CAVEATS or attr not in self.coverage.request_attrs:
                self.add(line, f"request.{attr}", self.coverage.request_attribute(attr))
        elif proxy == "flask.current_app":
            self.add(line, f"current_app.{attr}", self.coverage.app_attribute(attr, "app"))

    def _config_owner(self, node: ast.expr) -> str | None:
        """``current_app`` or ``app`` when ``node`` is its ``.config``."""
        parts = _dotted(node)
        if parts is None or len(parts) < 2 or parts[-1] != "config":
            return None
        head = parts[:-1]
        canonical, taken = self._resolve(head)
        if canonical == "flask.current_app" and taken == len(head):
            return "current_app"
        if len(head) == 1 and self.receiver_kind(head[0]) == "app":
            return "app"
        return None

    def _config_key(self, line: int, owner: str, key: str) -> None:
        self.add(line, f'{owner}.config["{key}"]', self.coverage.app_attribute("config", "app"))

    def add(self, line: int, name: str, verdict: Verdict) -> None:
        self.uses.setdefault((line, name), Use(line, name, verdict.status, verdict.note))


def scan_tree(tree: ast.Module, coverage: Coverage) -> list[Use]:
    """The uses of Flask's API in a parsed module, in source order."""
    scanner = ModuleScanner(coverage)
    scanner.scan(tree)
    return sorted(scanner.uses.values(), key=lambda u: (u.line, u.name))


def scan_source(source: bytes | str, coverage: Coverage, path: str = "<string>") -> FileReport:
    """Scan one module's source; a module that does not parse gets ``error`` set."""
    report = FileReport(path)
    try:
        tree = ast.parse(source, filename=path)
    except SyntaxError as exc:
        where = f"line {exc.lineno}: " if exc.lineno else ""
        report.error = f"does not parse: {where}{exc.msg}"
        return report
    except (ValueError, RecursionError, MemoryError) as exc:
        report.error = f"does not parse: {exc}"
        return report
    # Parsed all the same: a module that does not parse is worth reporting.
    if isinstance(source, str) or b"flask" in source or b"werkzeug" in source:
        report.uses = scan_tree(tree, coverage)
    return report


def scan_file(full: str, rel: str, coverage: Coverage) -> FileReport:
    try:
        with open(full, "rb") as f:
            source = f.read()
    except OSError as exc:
        return FileReport(rel, error=f"cannot read: {exc.strerror or exc}")
    return scan_source(source, coverage, rel)


# -- many files: a pool of processes --------------------------------------------

#: Below this many files one process is faster than starting workers.
PARALLEL_MIN = 300

_worker_coverage: Coverage | None = None


def _init_worker(coverage: Coverage) -> None:
    global _worker_coverage
    _worker_coverage = coverage
    warnings.simplefilter("ignore", SyntaxWarning)


def _scan_one(item: tuple[str, str]) -> FileReport:
    assert _worker_coverage is not None
    return scan_file(item[0], item[1], _worker_coverage)


def pool_context() -> multiprocessing.context.BaseContext:
    # fork: workers start in milliseconds with the parent's imports.
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else None)


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


R = t.TypeVar("R")


def map_files(
    work: Callable[[tuple[str, str]], R],
    init: Callable[..., None],
    init_args: tuple[object, ...],
    items: list[tuple[str, str]],
    jobs: int,
    progress: Callable[[int], None] | None = None,
) -> Iterator[R]:
    """``work`` on each item, in a pool when it pays; results in the items' order."""
    if jobs <= 1 or len(items) < PARALLEL_MIN:
        init(*init_args)
        for i, item in enumerate(items, 1):
            yield work(item)
            if progress is not None:
                progress(i)
        return
    chunk = max(8, min(256, len(items) // (jobs * 8)))
    with pool_context().Pool(jobs, initializer=init, initargs=init_args) as pool:
        for i, result in enumerate(pool.imap(work, items, chunksize=chunk), 1):
            yield result
            if progress is not None:
                progress(i)


def scan(
    path: str | os.PathLike[str],
    *,
    coverage: Coverage | None = None,
    jobs: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    root_label: str | None = None,
) -> ScanResult:
    """Scan every module under ``path`` (see :mod:`.walk` for what is skipped)."""
    coverage = coverage or Coverage.from_library()
    items = list(python_files(path))
    total = len(items)
    tick = (lambda done: progress(done, total)) if progress is not None else None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SyntaxWarning)
        files = list(
            map_files(_scan_one, _init_worker, (coverage,), items, jobs or default_jobs(), tick)
        )
    files.sort(key=lambda f: f.path)
    return ScanResult(root_label if root_label is not None else str(path), files, coverage)


def iter_uses(result: ScanResult) -> Iterable[tuple[str, Use]]:
    for f in result.files:
        for use in f.uses:
            yield f.path, use
