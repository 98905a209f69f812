"""Which files of a tree to look at: Python modules, minus what nobody wrote.

Skipped: virtualenvs (a directory holding ``pyvenv.cfg``) and conda
environments (``conda-meta/``), VCS and tool directories, build output, and
whatever the tree's ``.gitignore`` files ignore.

``.gitignore`` support covers what repositories commonly use: comments and
blank lines, ``!`` negation (last matching line wins), a trailing ``/`` for
directories only, patterns with a ``/`` anchored to the ``.gitignore``'s own
directory (a leading ``/`` too), ``*``, ``?``, ``[...]`` and ``**`` (leading
``**/``, trailing ``/**``, inner ``/**/``), backslash-escaped leading ``#``
and ``!``, and ``.gitignore`` files in subdirectories and in the parent
directories up to the repository root (a directory with ``.git``). Not
supported: ``.git/info/exclude``, the global ``core.excludesFile``, escaped
trailing spaces, and re-including a file inside an ignored directory (git
cannot either).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

#: Directories never walked into, by name.
SKIP_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        ".bzr",
        "__pycache__",
        "build",
        "dist",
        "node_modules",
        ".tox",
        ".nox",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        ".eggs",
    }
)


@dataclass(frozen=True)
class Rule:
    regex: re.Pattern[str]
    negate: bool
    dir_only: bool


class Ignore:
    """The ``.gitignore`` rules of one directory."""

    def __init__(self, base: str, rules: list[Rule]) -> None:
        self.base = base  # the directory, relative to the walk's root ("" for the root)
        self.rules = rules

    @classmethod
    def parse(cls, base: str, text: str) -> Ignore:
        rules = [r for r in (_rule(line) for line in text.splitlines()) if r is not None]
        return cls(base, rules)

    def match(self, rel: str, is_dir: bool) -> bool | None:
        """True (ignored), False (re-included) or None (no rule says) for ``rel``.

        ``rel`` is relative to :attr:`base`, with ``/`` separators.
        """
        verdict: bool | None = None
        for rule in self.rules:
            if rule.dir_only and not is_dir:
                continue
            if rule.regex.fullmatch(rel):
                verdict = not rule.negate
        return verdict


def _rule(line: str) -> Rule | None:
    line = line.rstrip(" \t\r")
    if not line or line.startswith("#"):
        return None
    negate = False
    if line.startswith("!"):
        negate, line = True, line[1:]
    elif line.startswith(("\\#", "\\!")):
        line = line[1:]
    dir_only = line.endswith("/")
    line = line.rstrip("/")
    if not line:
        return None
    anchored = "/" in line
    line = line.lstrip("/")
    body = _translate(line)
    regex = body if anchored else r"(?:.*/)?" + body
    return Rule(re.compile(regex, re.DOTALL), negate, dir_only)


def _translate(pattern: str) -> str:
    """A gitignore glob as a regex over ``/``-separated relative paths."""
    out: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        if pattern.startswith("**/", i) and (i == 0 or pattern[i - 1] == "/"):
            out.append(r"(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i) and i + 2 == n and (i == 0 or pattern[i - 1] == "/"):
            out.append(r".*")
            i += 2
        elif c == "*":
            out.append(r"[^/]*")
            i += 1
        elif c == "?":
            out.append(r"[^/]")
            i += 1
        elif c == "[":
            j = pattern.find("]", i + 2 if pattern[i + 1 : i + 2] in ("!", "]") else i + 1)
            if j == -1:
                out.append(re.escape(c))
                i += 1
                continue
            inner = pattern[i + 1 : j]
            if inner.startswith("!"):
                inner = "^" + inner[1:]
            out.append("[" + inner.replace("\\", "\\\\") + "]")
            i = j + 1
        elif c == "\\" and i + 1 < n:
            out.append(re.escape(pattern[i + 1]))
            i += 2
        else:
            out.append(re.escape(c))
            i += 1
    return "".join(out)


def _ignored(stack: list[Ignore], rel: str, is_dir: bool) -> bool:
    verdict = False
    for ignore in stack:
        if ignore.base and not rel.startswith(ignore.base + "/"):
            continue
        sub = rel[len(ignore.base) + 1 :] if ignore.base else rel
        v = ignore.match(sub, is_dir)
        if v is not None:
            verdict = v
    return verdict


def _read_ignore(directory: str, base: str) -> Ignore | None:
    try:
        with open(os.path.join(directory, ".gitignore"), encoding="utf-8", errors="replace") as f:
            return Ignore.parse(base, f.read())
    except OSError:
        return None


def _parent_ignores(root: Path) -> list[Ignore]:
    """The ``.gitignore`` rules of the directories above ``root`` in its repository.

    Re-based so they apply to paths relative to ``root``.
    """
    chain: list[Path] = []
    for parent in root.parents:
        chain.append(parent)
        if (parent / ".git").exists():
            break
    else:
        return []
    result: list[Ignore] = []
    for parent in reversed(chain):
        ignore = _read_ignore(str(parent), "")
        if ignore is None:
            continue
        prefix = root.relative_to(parent).as_posix()
        # A rule of the parent matches "prefix/rel": translate by prefixing every
        # path we ask about (an Ignore with a negative base, in effect).
        result.append(_Rebased(prefix, ignore.rules))
    return result


class _Rebased(Ignore):
    def __init__(self, prefix: str, rules: list[Rule]) -> None:
        super().__init__("", rules)
        self.prefix = prefix

    def match(self, rel: str, is_dir: bool) -> bool | None:
        return super().match(f"{self.prefix}/{rel}", is_dir)


def is_environment(directory: str) -> bool:
    """A virtualenv or a conda environment: code nobody on the team wrote."""
    return os.path.isfile(os.path.join(directory, "pyvenv.cfg")) or os.path.isdir(
        os.path.join(directory, "conda-meta")
    )


def python_files(path: str | os.PathLike[str]) -> Iterator[tuple[str, str]]:
    """``(absolute path, path relative to the root)`` of each module to look at, sorted.

    A file given directly is returned as it is, ignore rules or not.
    """
    root = Path(path).resolve()
    if root.is_file():
        yield str(root), root.name
        return
    yield from _walk(str(root), "", _parent_ignores(root))


def _walk(directory: str, rel: str, stack: list[Ignore]) -> Iterator[tuple[str, str]]:
    own = _read_ignore(directory, rel)
    if own is not None and own.rules:
        stack = [*stack, own]
    try:
        entries = sorted(os.scandir(directory), key=lambda e: e.name)
    except OSError:
        return
    dirs = []
    for entry in entries:
        child = f"{rel}/{entry.name}" if rel else entry.name
        try:
            is_dir = entry.is_dir(follow_symlinks=False)
        except OSError:
            continue
        if is_dir:
            name = entry.name
            if name in SKIP_DIRS or name.endswith(".egg-info") or is_environment(entry.path):
                continue
            if not _ignored(stack, child, True):
                dirs.append((entry.path, child))
        elif entry.name.endswith(".py") and entry.is_file() and not _ignored(stack, child, False):
            yield entry.path, child
    for full, child in dirs:
        yield from _walk(full, child, stack)
