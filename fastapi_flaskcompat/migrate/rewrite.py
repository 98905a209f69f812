"""Rewrite imports of covered names from ``flask`` to ``fastapi_flaskcompat``.

A concrete-syntax-tree codemod (libcst, the ``migrate`` extra) so that
formatting, comments, aliases and parentheses stay as they were:

* ``from flask import g, request, Flask`` becomes ``from fastapi_flaskcompat
  import g, request`` then ``from flask import Flask`` (names not covered
  stay on flask); ``from flask.globals import g`` and other submodules that
  Flask re-exports from ``flask`` are rewritten the same way;
* ``import flask`` with ``flask.g`` uses gets ``from fastapi_flaskcompat
  import g`` added after it (``g as flask_g`` when ``g`` is a name the module
  already uses) and the uses become ``g``; ``import flask`` goes when nothing
  else uses it. Left alone, and reported: a module where ``flask`` is bound
  more than once or not at module level, one with a star import, and
  ``flask.X`` stores or deletes (monkeypatching flask).

Nothing is written unless the new module parses and its ``ast``, with the
imports of flask/fastapi_flaskcompat set aside and the rewritten uses mapped
back, is the old one's, and the names those imports bind are the expected
ones in the same scopes. Files without a covered import come back
byte-identical; encoding, BOM and newlines are kept.
"""

from __future__ import annotations

import ast
import contextlib
import difflib
import io
import os
import re
import tempfile
import tokenize
import typing as t
import warnings
from collections import Counter
from dataclasses import dataclass, field

from .catalog import FLASK_SUBMODULES, Coverage, canonical_flask_name
from .scan import map_files

if t.TYPE_CHECKING:
    import libcst as cst


def _libcst() -> t.Any:
    try:
        import libcst
    except ImportError:
        raise RuntimeError(
            "rewrite needs libcst: pip install 'fastapi-flaskcompat[migrate]'"
        ) from None
    return libcst


UNCHANGED = "unchanged"
REWRITTEN = "rewritten"
SKIPPED = "skipped"  # does not parse: reported, not an error
REFUSED = "refused"  # the result did not verify: nothing written, an error


@dataclass
class FileRewrite:
    path: str
    outcome: str = UNCHANGED
    new: bytes | None = None
    old: bytes | None = None
    encoding: str = "utf-8"
    changes: int = 0
    notes: list[str] = field(default_factory=list)

    def diff(self) -> str:
        if self.new is None or self.old is None:
            return ""
        old = self.old.decode(self.encoding, errors="replace").splitlines(keepends=True)
        new = self.new.decode(self.encoding, errors="replace").splitlines(keepends=True)
        lines = difflib.unified_diff(old, new, f"a/{self.path}", f"b/{self.path}")
        return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


# -- the plan, from the ast -------------------------------------------------------


@dataclass
class _Plan:
    """What the codemod changes, decided on the ``ast`` (cheap) before libcst runs."""

    from_imports: int = 0  # from-imports with a covered name
    alias: str | None = None  # the local name of a module-level ``import flask``
    renames: dict[str, str] = field(default_factory=dict)  # flask.N -> local name
    add: dict[str, str] = field(default_factory=dict)  # local name -> N, to import
    drop_import: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.from_imports and not self.renames


def _bound_names(tree: ast.Module) -> tuple[Counter[str], set[str], bool]:
    """How often each name is bound, every identifier used, and whether a star
    import exists."""
    bound: Counter[str] = Counter()
    idents: set[str] = set()
    star = False
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            idents.add(node.id)
            if not isinstance(node.ctx, ast.Load):
                bound[node.id] += 1
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            idents.add(node.name)
            bound[node.name] += 1
        elif isinstance(node, ast.arg):
            idents.add(node.arg)
            bound[node.arg] += 1
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for a in node.names:
                if a.name == "*":
                    star = True
                    continue
                local = a.asname or a.name.split(".")[0]
                idents.add(local)
                bound[local] += 1
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            idents.update(node.names)
        elif isinstance(node, (ast.ExceptHandler, ast.MatchAs, ast.MatchStar)) and node.name:
            idents.add(node.name)
            bound[node.name] += 1
        elif isinstance(node, ast.MatchMapping) and node.rest:
            idents.add(node.rest)
            bound[node.rest] += 1
    return bound, idents, star


def _flask_module(node: ast.ImportFrom) -> str | None:
    module = node.module or ""
    if node.level == 0 and (module == "flask" or module.startswith("flask.")):
        return module
    return None


def plan(tree: ast.Module, coverage: Coverage) -> _Plan:
    p = _Plan()
    covered_locals: dict[str, str] = {}  # local name -> N, bound by a rewritten from-import
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (module := _flask_module(node)):
            hit = False
            for a in node.names:
                if a.name != "*" and coverage.target(canonical_flask_name(module, a.name)):
                    hit = True
                    covered_locals[a.asname or a.name] = a.name
            p.from_imports += hit
    top_aliases = [
        a.asname or "flask"
        for stmt in tree.body
        if isinstance(stmt, ast.Import)
        for a in stmt.names
        if a.name == "flask"
    ]
    if len(top_aliases) != 1:
        return p
    alias = top_aliases[0]
    uses: dict[str, list[ast.Attribute]] = {}
    stored: set[str] = set()
    loads = 0
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            if node.value.id == alias:
                uses.setdefault(node.attr, []).append(node)
                if not isinstance(node.ctx, ast.Load):
                    stored.add(node.attr)
        elif isinstance(node, ast.Name) and node.id == alias:
            loads += 1
    wanted = {n for n in uses if n not in FLASK_SUBMODULES and coverage.target("flask." + n)}
    if not wanted:
        return p
    bound, idents, star = _bound_names(tree)
    if bound[alias] != 1:
        p.notes.append(f"left {alias}.X uses: the name {alias!r} is bound more than once")
        return p
    if star:
        p.notes.append(f"left {alias}.X uses: a star import could bind the same names")
        return p
    for n in sorted(stored & wanted):
        line = uses[n][0].lineno
        p.notes.append(f"line {line}: left {alias}.{n}: the module assigns or deletes it")
        wanted.discard(n)
    top_bindings = _top_level_import_bindings(tree)
    for n in sorted(wanted):
        if coverage.target("flask." + n) != "fastapi_flaskcompat":
            continue  # only the package's own names are imported this way
        local = n
        if n in idents:
            # Reuse a module-level ``from flask import n`` that becomes ours.
            if not (covered_locals.get(n) == n and bound[n] == 1 and top_bindings.get(n) == n):
                local = _fresh(f"flask_{n}", idents)
                idents.add(local)
                p.add[local] = n
        else:
            p.add[local] = n
        p.renames[n] = local
    p.alias = alias
    rewritten = sum(len(uses[n]) for n in p.renames)
    # Dropped only when replaced by the new import: its comments stay in place.
    p.drop_import = bool(p.add) and loads == rewritten and _single_import(tree, alias)
    return p


def _top_level_import_bindings(tree: ast.Module) -> dict[str, str]:
    found: dict[str, str] = {}
    for stmt in tree.body:
        if isinstance(stmt, ast.ImportFrom) and _flask_module(stmt):
            for a in stmt.names:
                found[a.asname or a.name] = a.name
    return found


def _single_import(tree: ast.Module, alias: str) -> bool:
    for stmt in tree.body:
        if isinstance(stmt, ast.Import) and any(a.name == "flask" for a in stmt.names):
            return len(stmt.names) == 1 and (stmt.names[0].asname or "flask") == alias
    return False


def _fresh(base: str, taken: set[str]) -> str:
    name, i = base, 2
    while name in taken:
        name, i = f"{base}_{i}", i + 1
    return name


# -- the codemod ----------------------------------------------------------------------


def _module_name(node: t.Any) -> str:
    if hasattr(node, "attr"):
        return f"{_module_name(node.value)}.{node.attr.value}"
    return str(node.value)


_PRAGMAS = ("noqa", "type:", "pylint:", "pragma")


def _transformer(coverage: Coverage, p: _Plan, source_module: cst.Module) -> t.Any:
    _libcst()
    import libcst as cst_

    def dotted(name: str) -> t.Any:
        head, *rest = name.split(".")
        node: t.Any = cst_.Name(head)
        for part in rest:
            node = cst_.Attribute(value=node, attr=cst_.Name(part))
        return node

    _descend = (
        cst_.Module,
        cst_.BaseCompoundStatement,
        cst_.BaseSuite,
        cst_.Else,
        cst_.Finally,
        cst_.ExceptHandler,
        cst_.ExceptStarHandler,
        cst_.MatchCase,
    )

    class Codemod(cst_.CSTTransformer):
        def __init__(self) -> None:
            super().__init__()
            self.depth = 0
            self.changes = 0
            # Without flask.X uses to rewrite, only statements can hold what changes:
            # not descending into expressions makes the visit several times cheaper.
            self.prune = not p.renames

        def on_visit(self, node: t.Any) -> bool:
            if self.prune and not isinstance(node, _descend):
                return False
            return bool(super().on_visit(node))

        def visit_IndentedBlock(self, node: t.Any) -> None:
            self.depth += 1

        def leave_IndentedBlock(self, original: t.Any, updated: t.Any) -> t.Any:
            self.depth -= 1
            return updated

        def visit_Import(self, node: t.Any) -> bool:
            return False

        def visit_ImportFrom(self, node: t.Any) -> bool:
            return False

        def leave_Attribute(self, original: t.Any, updated: t.Any) -> t.Any:
            if (
                p.alias is not None
                and isinstance(updated.value, cst_.Name)
                and updated.value.value == p.alias
                and updated.attr.value in p.renames
            ):
                self.changes += 1
                return cst_.Name(
                    p.renames[updated.attr.value], lpar=updated.lpar, rpar=updated.rpar
                )
            return updated

        def leave_SimpleStatementLine(self, original: t.Any, updated: t.Any) -> t.Any:
            body = list(updated.body)
            new_body: list[t.Any] = []
            extra_lines: list[t.Any] = []
            replaced = False
            for stmt in body:
                if isinstance(stmt, cst_.ImportFrom):
                    split = self._split(stmt)
                    if split is not None:
                        replaced = True
                        new_body.extend(split)
                        continue
                if (
                    self.depth == 0
                    and p.alias is not None
                    and p.renames
                    and isinstance(stmt, cst_.Import)
                    and any(_module_name(a.name) == "flask" for a in stmt.names)
                ):
                    replaced = True
                    added = self._added_import()
                    if p.drop_import:
                        self.changes += 1
                        if len(body) == 1:
                            return updated.with_changes(body=[added])
                        new_body.append(added)
                        continue
                    if added is not None:
                        extra_lines.append(added)
                new_body.append(stmt)
            if not replaced:
                return updated
            if len(body) == 1 and len(new_body) > 1:
                # One import became several: one line each, the comments above
                # on the first, the line's own comment on the last (and pragmas on all).
                lines = []
                pragma = _is_pragma(updated.trailing_whitespace)
                for i, stmt in enumerate(new_body):
                    last = i == len(new_body) - 1
                    lines.append(
                        updated.with_changes(
                            body=[stmt.with_changes(semicolon=cst_.MaybeSentinel.DEFAULT)],
                            leading_lines=updated.leading_lines if i == 0 else [],
                            trailing_whitespace=(
                                updated.trailing_whitespace
                                if last or pragma
                                else cst_.TrailingWhitespace()
                            ),
                        )
                    )
                return cst_.FlattenSentinel(lines + self._lines(extra_lines))
            line = updated.with_changes(body=self._semicolons(new_body, body))
            if extra_lines:
                return cst_.FlattenSentinel([line, *self._lines(extra_lines)])
            return line

        def leave_SimpleStatementSuite(self, original: t.Any, updated: t.Any) -> t.Any:
            # `if x: from flask import g`: the split stays on the line.
            body = list(updated.body)
            new_body: list[t.Any] = []
            changed = False
            for stmt in body:
                split = self._split(stmt) if isinstance(stmt, cst_.ImportFrom) else None
                changed = changed or split is not None
                new_body.extend(split if split is not None else [stmt])
            if not changed:
                return updated
            return updated.with_changes(body=self._semicolons(new_body, body))

        def _semicolons(self, new_body: list[t.Any], body: list[t.Any]) -> list[t.Any]:
            return [
                s.with_changes(
                    semicolon=cst_.Semicolon(whitespace_after=cst_.SimpleWhitespace(" "))
                )
                if i < len(new_body) - 1
                else s.with_changes(semicolon=body[-1].semicolon)
                for i, s in enumerate(new_body)
            ]

        def _lines(self, stmts: list[t.Any]) -> list[t.Any]:
            return [cst_.SimpleStatementLine(body=[s]) for s in stmts]

        def _added_import(self) -> t.Any:
            if not p.add:
                return None
            names = ", ".join(
                n if local == n else f"{n} as {local}"
                for local, n in sorted(p.add.items(), key=lambda kv: (kv[1], kv[0]))
            )
            stmt = cst_.parse_statement(
                f"from fastapi_flaskcompat import {names}\n",
                config=source_module.config_for_parsing,
            )
            assert isinstance(stmt, cst_.SimpleStatementLine)
            return stmt.body[0]

        def _split(self, stmt: t.Any) -> list[t.Any] | None:
            if stmt.relative or stmt.module is None or isinstance(stmt.names, cst_.ImportStar):
                return None
            module = _module_name(stmt.module)
            if module != "flask" and not module.startswith("flask."):
                return None
            groups: dict[str | None, list[t.Any]] = {}
            for a in stmt.names:
                target = coverage.target(canonical_flask_name(module, _module_name(a.name)))
                groups.setdefault(target, []).append(a)
            if set(groups) == {None}:
                return None
            self.changes += 1
            names = list(stmt.names)
            out = []
            order = sorted(k for k in groups if k is not None) + ([None] if None in groups else [])
            for target in order:
                aliases = groups[target]
                last, rpar = aliases[-1], stmt.rpar
                if last is not names[-1]:
                    last, rpar = self._close(last, stmt)
                new_module = stmt.module if target is None else dotted(target)
                out.append(
                    stmt.with_changes(module=new_module, names=[*aliases[:-1], last], rpar=rpar)
                )
            return out

        def _close(self, last: t.Any, stmt: t.Any) -> tuple[t.Any, t.Any]:
            """End an import on ``last``, a name that had a comma after it."""
            own = last.comma.whitespace_after
            if stmt.lpar is None or not isinstance(own, cst_.ParenthesizedWhitespace):
                return last.with_changes(comma=cst_.MaybeSentinel.DEFAULT), stmt.rpar
            # One name per line: keep its comma and comment, and close the
            # parenthesis where the original closed it.
            tail_comma = stmt.names[-1].comma
            rpar = stmt.rpar
            if isinstance(tail_comma, cst_.Comma):
                tail = tail_comma.whitespace_after
            else:
                tail = rpar.whitespace_before
                rpar = rpar.with_changes(whitespace_before=cst_.SimpleWhitespace(""))
            if isinstance(tail, cst_.ParenthesizedWhitespace):
                own = own.with_changes(indent=tail.indent, last_line=tail.last_line)
            else:
                own = own.with_changes(last_line=cst_.SimpleWhitespace(""))
            return last.with_changes(comma=last.comma.with_changes(whitespace_after=own)), rpar

    return Codemod()


def _is_pragma(trailing: t.Any) -> bool:
    comment = getattr(trailing, "comment", None)
    return comment is not None and any(p in comment.value for p in _PRAGMAS)


# -- verification -----------------------------------------------------------------------


def _is_flask_import(node: ast.stmt) -> bool:
    def ours(module: str) -> bool:
        return module.split(".")[0] in ("flask", "fastapi_flaskcompat")

    if isinstance(node, ast.Import):
        return any(ours(a.name) for a in node.names)
    if isinstance(node, ast.ImportFrom):
        return node.level == 0 and ours(node.module or "")
    return False


class _Normalize(ast.NodeTransformer):
    """Set aside flask/fastapi_flaskcompat imports; map rewritten uses to their names."""

    def __init__(self, alias: str | None, renames: dict[str, str]) -> None:
        self.alias = alias
        self.renames = renames
        self.bindings: list[tuple[str, str, str]] = []
        self.scope: list[str] = []

    def _scoped(self, node: t.Any) -> t.Any:
        self.scope.append(node.name)
        self.generic_visit(node)
        self.scope.pop()
        return node

    visit_FunctionDef = visit_AsyncFunctionDef = visit_ClassDef = _scoped

    def visit_Import(self, node: ast.Import) -> t.Any:
        if not _is_flask_import(node):
            return node
        for a in node.names:
            self.bindings.append((".".join(self.scope), a.asname or a.name, a.name))
        return None

    def visit_ImportFrom(self, node: ast.ImportFrom) -> t.Any:
        if not _is_flask_import(node):
            return node
        for a in node.names:
            origin = f"{node.module}.{a.name}"
            self.bindings.append((".".join(self.scope), a.asname or a.name, origin))
        return None

    def visit_Attribute(self, node: ast.Attribute) -> t.Any:
        if (
            self.alias is not None
            and isinstance(node.value, ast.Name)
            and node.value.id == self.alias
            and node.attr in self.renames
        ):
            return ast.copy_location(ast.Name(self.renames[node.attr], node.ctx), node)
        return self.generic_visit(node)


def verify(old: bytes | ast.Module, new_source: bytes, coverage: Coverage, p: _Plan) -> str | None:
    """None when ``new_source`` is ``old`` with exactly the planned changes, else why not.

    A parsed ``old`` is used up (normalized in place).
    """
    try:
        new = ast.parse(new_source)
    except (SyntaxError, ValueError) as exc:
        return f"the rewritten module does not parse ({exc})"
    before = _Normalize(p.alias, p.renames)
    old_body = ast.dump(before.visit(ast.parse(old) if isinstance(old, bytes) else old))
    after = _Normalize(None, {})
    new_body = ast.dump(after.visit(new))
    if old_body != new_body:
        return "the rewritten module differs outside the imports and the rewritten uses"
    expected = []
    for scope, local, origin in before.bindings:
        if p.drop_import and scope == "" and local == p.alias and origin == "flask":
            continue
        module, _, name = origin.rpartition(".")
        if module.startswith("flask"):
            target = coverage.target(canonical_flask_name(module, name))
            if target is not None:
                origin = f"{target}.{name}"
        expected.append((scope, local, origin))
    expected += [("", local, f"fastapi_flaskcompat.{n}") for local, n in p.add.items()]
    if sorted(expected) != sorted(after.bindings):
        return "the rewritten imports do not bind the expected names"
    return None


# -- one file, many files -------------------------------------------------------------


def rewrite_source(source: bytes, coverage: Coverage, path: str = "<string>") -> FileRewrite:
    """The rewrite of one module's source (nothing is written here)."""
    result = FileRewrite(path)
    if b"flask" not in source:
        return result
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SyntaxWarning)
        try:
            tree = ast.parse(source)
        except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
            result.outcome = SKIPPED
            result.notes.append(f"does not parse: {exc}")
            return result
        p = plan(tree, coverage)
        result.notes += p.notes
        if p.empty:
            return result
        spliced = _splice(source, tree, coverage, p)
        if spliced is not None:
            new, encoding, changes, why = spliced
        else:
            libcst = _libcst()
            try:
                module = libcst.parse_module(source)
            except libcst.ParserSyntaxError as exc:
                result.outcome = SKIPPED
                result.notes.append(f"libcst cannot parse it: {exc.message}")
                return result
            codemod = _transformer(coverage, p, module)
            new = module.visit(codemod).bytes
            encoding, changes = module.encoding, codemod.changes
            why = None if new == source else verify(tree, new, coverage, p)
    if why is not None:
        result.outcome = REFUSED
        result.notes.append(why)
        return result
    if new == source:
        return result
    result.outcome = REWRITTEN
    result.old, result.new = source, new
    result.encoding = encoding
    result.changes = changes
    return result


# -- the fast path: each import on its own lines ----------------------------------------

_AFTER = re.compile(r"[ \t]*(#[^\r\n]*)?(\r\n|\r|\n)?")
_HEADER = "if 1:"


def _splice(
    source: bytes, tree: ast.Module, coverage: Coverage, p: _Plan
) -> tuple[bytes, str, int, str | None] | None:
    """Rewrite each flask from-import alone, with libcst on its own lines, and put the
    result back in place; the rest of the file is not re-generated.

    None when an import shares a line with other code (or the encoding does
    not round-trip): the caller then runs the codemod on the whole module.
    """
    encoding = tokenize.detect_encoding(io.BytesIO(source).readline)[0]
    try:
        text = source.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None
    if text.encode(encoding) != source:
        return None
    lines = io.StringIO(text, newline="").readlines()
    nodes = sorted(
        (
            n
            for n in ast.walk(tree)
            if isinstance(n, ast.ImportFrom)
            and (module := _flask_module(n))
            and any(
                a.name != "*" and coverage.target(canonical_flask_name(module, a.name))
                for a in n.names
            )
        ),
        key=lambda n: n.lineno,
    )
    libcst = _libcst()
    edits: list[tuple[int, int, str]] = []
    for node in nodes:
        first, last = node.lineno - 1, (node.end_lineno or node.lineno) - 1
        head, tail = lines[first], lines[last]
        before = head.encode("utf-8")[: node.col_offset]
        after = tail.encode("utf-8")[node.end_col_offset or 0 :].decode("utf-8", "replace")
        if before.strip(b" \t") or not _AFTER.fullmatch(after):
            return None
        snippet = "".join(lines[first : last + 1])
        newline = _line_end(tail) or _line_end(lines[0]) or "\n"
        added_newline = not _line_end(tail)
        if added_newline:
            snippet += newline
        prefix = _HEADER + newline if before else ""
        try:
            module = libcst.parse_module(prefix + snippet)
        except libcst.ParserSyntaxError:
            return None
        out = module.visit(_transformer(coverage, p, module)).code
        if not out.startswith(prefix):
            return None
        out = out[len(prefix) :]
        if added_newline and out.endswith(newline):
            out = out[: -len(newline)]
        why = _verify_import(prefix, snippet, out, coverage)
        if why is not None:
            return source, encoding, 0, why
        edits.append((first, last, out))
    inline: dict[int, list[tuple[int, int, str]]] = {}
    if p.renames and not _splice_uses(lines, tree, p, edits, inline):
        return None
    for index, spans in inline.items():
        line = lines[index].encode("utf-8")
        for start, end, name in sorted(spans, reverse=True):
            line = line[:start] + name.encode("utf-8") + line[end:]
        lines[index] = line.decode("utf-8")
    for first, last, out in sorted(edits, reverse=True):
        lines[first : last + 1] = [out]
    new = "".join(lines).encode(encoding)
    changes = len(edits) + sum(map(len, inline.values()))
    if p.renames:
        return new, encoding, changes, verify(tree, new, coverage, p)
    try:
        ast.parse(new)
    except (SyntaxError, ValueError) as exc:
        return new, encoding, changes, f"the rewritten module does not parse ({exc})"
    return new, encoding, changes, None


def _splice_uses(
    lines: list[str],
    tree: ast.Module,
    p: _Plan,
    edits: list[tuple[int, int, str]],
    inline: dict[int, list[tuple[int, int, str]]],
) -> bool:
    """The ``import flask`` edit and the ``flask.X`` spans to replace; False when some
    use is not plainly ``flask.X`` on one line (the codemod then does the module)."""
    imp = next(
        s
        for s in tree.body
        if isinstance(s, ast.Import) and any(a.name == "flask" for a in s.names)
    )
    first, last = imp.lineno - 1, (imp.end_lineno or imp.lineno) - 1
    head, tail = lines[first].encode("utf-8"), lines[last]
    after = tail.encode("utf-8")[imp.end_col_offset or 0 :].decode("utf-8", "replace")
    if head[: imp.col_offset].strip(b" \t") or not _AFTER.fullmatch(after):
        return False
    names = ", ".join(
        n if local == n else f"{n} as {local}"
        for local, n in sorted(p.add.items(), key=lambda kv: (kv[1], kv[0]))
    )
    added = f"from fastapi_flaskcompat import {names}" if names else ""
    if p.drop_import:
        if first != last:
            return False
        end = imp.end_col_offset or 0
        replaced = head[: imp.col_offset] + added.encode("utf-8") + head[end:]
        edits.append((first, last, replaced.decode("utf-8")))
    elif added:
        newline = _line_end(tail)
        if not newline:
            return False
        edits.append((first, last, "".join(lines[first : last + 1]) + added + newline))
    expected = {n: f"{p.alias}.{n}".encode() for n in p.renames}
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id == p.alias
            and node.attr in p.renames
        ):
            end = node.end_col_offset or 0
            index = node.lineno - 1
            if node.end_lineno != node.lineno:
                return False
            if lines[index].encode("utf-8")[node.col_offset : end] != expected[node.attr]:
                return False
            inline.setdefault(index, []).append((node.col_offset, end, p.renames[node.attr]))
    edited = {i for f, la, _ in edits for i in range(f, la + 1)}
    return not (edited & inline.keys())


def _line_end(line: str) -> str:
    for end in ("\r\n", "\n", "\r"):
        if line.endswith(end):
            return end
    return ""


def _verify_import(prefix: str, old: str, new: str, coverage: Coverage) -> str | None:
    """The replacement of one import statement binds the names the original did,
    from the expected modules, and is nothing but imports."""

    def bindings(code: str) -> list[tuple[str, str]] | None:
        body = ast.parse(prefix + code).body
        if prefix:
            body = t.cast(ast.If, body[0]).body
        out = []
        for stmt in body:
            if not isinstance(stmt, ast.ImportFrom) or stmt.level:
                return None
            out += [(a.asname or a.name, f"{stmt.module}.{a.name}") for a in stmt.names]
        return sorted(out)

    try:
        got = bindings(new)
    except SyntaxError as exc:
        return f"a rewritten import does not parse ({exc})"
    expected = []
    for local, origin in bindings(old) or []:
        module, _, name = origin.rpartition(".")
        target = coverage.target(canonical_flask_name(module, name))
        expected.append((local, f"{target}.{name}" if target else origin))
    if got != sorted(expected):
        return "the rewritten imports do not bind the expected names"
    return None


def rewrite_file(full: str, rel: str, coverage: Coverage) -> FileRewrite:
    try:
        with open(full, "rb") as f:
            source = f.read()
    except OSError as exc:
        result = FileRewrite(rel, outcome=SKIPPED)
        result.notes.append(f"cannot read: {exc.strerror or exc}")
        return result
    return rewrite_source(source, coverage, rel)


def write(full: str, data: bytes) -> None:
    """Replace ``full`` with ``data`` atomically, keeping its permissions."""
    directory = os.path.dirname(full) or "."
    mode = os.stat(full).st_mode
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".flaskcompat-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, mode & 0o7777)
        os.replace(tmp, full)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


_worker_coverage: Coverage | None = None


def _init_worker(coverage: Coverage) -> None:
    global _worker_coverage
    _worker_coverage = coverage
    _libcst()  # fail early, in the parent too, when the extra is missing


def _rewrite_one(item: tuple[str, str]) -> FileRewrite:
    assert _worker_coverage is not None
    return rewrite_file(item[0], item[1], _worker_coverage)


def rewrite_files(
    items: list[tuple[str, str]],
    coverage: Coverage,
    jobs: int,
    progress: t.Callable[[int], None] | None = None,
) -> t.Iterator[FileRewrite]:
    """Each ``(absolute, relative)`` path's rewrite, in order; nothing is written."""
    _libcst()
    return map_files(_rewrite_one, _init_worker, (coverage,), items, jobs, progress)
