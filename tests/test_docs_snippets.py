"""Every ```python block of README.md and docs/*.md runs, one test per block
(ids ``file:line``), so the docs cannot rot. The conventions, for whoever
writes the pages:

- A block runs with the imports it shows, as module ``docs_snippet`` (so an
  ``if __name__ == "__main__":`` part never starts a server), in a temporary
  working directory.
- The python blocks of one page share one namespace, in page order: a block
  may continue the one before it (``compat`` defined above, then a hook).
- Every name a block uses must be defined once the block has run (by it, an
  earlier block of the page, or Python): a function body that would raise
  ``NameError`` when called fails here, although nothing calls it.
- A ```text block right after a python block (blank lines between are fine)
  is its expected output: what the block prints, compared exactly (trailing
  spaces aside). If its lines start with ``$ curl``, it is a transcript
  instead: each ``$ curl ...`` line is sent to the page's ``app`` in-process
  (``-X``, ``-H``, ``-d`` and a ``http://127.0.0.1:8000`` URL are
  understood), and the lines up to the next ``$`` are the response body.
- ``<!-- snippet: no-run -->`` on the line before a block (for code that
  cannot run here, say so in the text) only compiles it.
"""

from __future__ import annotations

import ast
import builtins
import contextlib
import io
import re
import shlex
import typing as t
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from starlette.testclient import TestClient

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})[ \t]*(?P<lang>[\w+-]*)")
DIRECTIVE = re.compile(r"^\s*<!--\s*snippet:\s*(?P<what>[\w-]+)\s*-->\s*$")


@dataclass
class Block:
    page: Path
    line: int  # of the opening fence, 1-based
    code: str
    expected: str | None = None
    run: bool = True
    index: int = 0

    @property
    def id(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"


@dataclass
class _Fenced:
    line: int
    lang: str
    text: str
    end: int  # index of the closing fence in the page's lines
    directive: str | None = None


def fenced_blocks(text: str) -> list[_Fenced]:
    lines = text.splitlines()
    blocks: list[_Fenced] = []
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        indent, fence, lang = m["indent"], m["fence"], m["lang"].lower()
        body: list[str] = []
        j = i + 1
        while j < len(lines):
            close = lines[j].strip()
            if close.startswith(fence[0] * len(fence)) and not close.strip(fence[0]):
                break
            body.append(lines[j][len(indent) :] if lines[j].startswith(indent) else lines[j])
            j += 1
        k = i - 1
        while k >= 0 and not lines[k].strip():
            k -= 1
        directive = DIRECTIVE.match(lines[k]) if k >= 0 else None
        blocks.append(
            _Fenced(
                i + 1, lang, "\n".join(body) + "\n", j, directive["what"] if directive else None
            )
        )
        i = j + 1
    return blocks


def page_blocks(page: Path) -> list[Block]:
    text = page.read_text()
    lines = text.splitlines()
    fenced = fenced_blocks(text)
    blocks: list[Block] = []
    for n, f in enumerate(fenced):
        if f.lang not in ("python", "py"):
            continue
        if f.directive not in (None, "no-run"):
            raise ValueError(f"{page}:{f.line}: unknown snippet directive {f.directive!r}")
        block = Block(page, f.line, f.text, run=f.directive != "no-run", index=len(blocks))
        nxt = fenced[n + 1] if n + 1 < len(fenced) else None
        if nxt is not None and nxt.lang == "text":
            between = lines[f.end + 1 : nxt.line - 1]
            if not any(s.strip() for s in between):
                block.expected = nxt.text
        blocks.append(block)
    return blocks


ALL = [block for page in PAGES for block in page_blocks(page)]


# -- running --------------------------------------------------------------------


@dataclass
class _PageState:
    done: int = 0  # blocks of the page run so far, in order
    namespace: dict[str, t.Any] = field(default_factory=dict)


_pages: dict[Path, _PageState] = {}


def _compile(block: Block) -> t.Any:
    # Padding keeps tracebacks on the page's own line numbers.
    return compile("\n" * block.line + block.code, str(block.page), "exec")


def _execute(block: Block, namespace: dict[str, t.Any]) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(_compile(block), namespace)
    return out.getvalue()


def namespace_before(block: Block) -> dict[str, t.Any]:
    """The page's namespace once the blocks before ``block`` ran (each test runs
    them again unless the previous test of the page left exactly that)."""
    state = _pages.get(block.page)
    if state is None or state.done != block.index:
        state = _pages[block.page] = _PageState(namespace={"__name__": "docs_snippet"})
        for earlier in page_blocks(block.page)[: block.index]:
            if earlier.run:
                _execute(earlier, state.namespace)
            state.done += 1
    return state.namespace


def undefined_names(code: str, namespace: dict[str, t.Any]) -> list[str]:
    """Names read somewhere in ``code`` that nothing defines (a coarse, scope-blind
    check: a name bound anywhere in the block counts as defined)."""
    tree = ast.parse(code)
    bound: set[str] = set(namespace) | set(dir(builtins))
    read: dict[str, int] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            if isinstance(node.ctx, ast.Load):
                read.setdefault(node.id, node.lineno)
            else:
                bound.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            bound.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            bound.add(node.name)
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            bound.update(node.names)
    return sorted(name for name in read if name not in bound)


def curl(app: t.Any, command: str) -> str:
    """The body ``curl`` prints for ``command``, answered by ``app`` in-process."""
    args = shlex.split(command)
    assert args[0] == "curl", command
    method, headers, data, url = None, {}, None, None
    it = iter(args[1:])
    for arg in it:
        if arg == "-X":
            method = next(it)
        elif arg == "-H":
            name, value = next(it).split(":", 1)
            headers[name.strip()] = value.strip()
        elif arg in ("-d", "--data"):
            data = next(it)
        elif arg in ("-s", "--silent"):
            continue
        elif arg.startswith("http://127.0.0.1:8000"):
            url = arg.removeprefix("http://127.0.0.1:8000") or "/"
        else:
            raise AssertionError(f"the snippet test does not understand curl's {arg!r}")
    assert url is not None, f"no http://127.0.0.1:8000 URL in {command!r}"
    if data is not None:
        headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
    method = method or ("POST" if data is not None else "GET")
    client = TestClient(app, base_url="http://127.0.0.1:8000", raise_server_exceptions=False)
    return client.request(method, url, headers=headers, content=data).text


def transcript(expected: str) -> list[tuple[str, str]]:
    steps: list[tuple[str, str]] = []
    for line in expected.splitlines():
        if line.startswith("$ "):
            steps.append((line[2:], ""))
        elif steps:
            command, output = steps[-1]
            steps[-1] = (command, output + line + "\n")
    return steps


def _same(got: str, expected: str) -> bool:
    def norm(s: str) -> list[str]:
        return [line.rstrip() for line in s.strip("\n").splitlines()]

    return norm(got) == norm(expected)


@pytest.mark.parametrize("block", ALL, ids=[b.id for b in ALL])
def test_docs_snippet(block: Block, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if not block.run:
        _compile(block)  # at least valid Python
        return
    monkeypatch.chdir(tmp_path)
    namespace = namespace_before(block)
    printed = _execute(block, namespace)
    _pages[block.page].done = block.index + 1
    missing = undefined_names(block.code, namespace)
    assert not missing, f"{block.id} uses names nothing defines: {missing}"
    if block.expected is None:
        return
    if block.expected.lstrip().startswith("$ curl"):
        assert "app" in namespace, f"{block.id}: a curl transcript needs an `app`"
        for command, output in transcript(block.expected):
            body = curl(namespace["app"], command)
            assert _same(body, output), f"{block.id}: {command}\n got: {body!r}"
    else:
        assert _same(printed, block.expected), f"{block.id} printed:\n{printed}"


def test_the_conventions_are_what_this_test_reads(tmp_path: Path) -> None:
    """The parser on a page written with every convention."""
    page = tmp_path / "page.md"
    page.write_text(
        "intro\n\n```python\nx = 1\nprint(x + 1)\n```\n\n```text\n2\n```\n\n"
        "<!-- snippet: no-run -->\n```python\nimport not_installed\n```\n"
        "```python\nprint(x)\n```\nprose\n```text\nnot its output\n```\n"
    )
    blocks = page_blocks(page)
    assert [(b.line, b.run, b.expected) for b in blocks] == [
        (3, True, "2\n"),
        (13, False, None),
        (16, True, None),
    ]
    assert undefined_names("def f():\n    return time.time() + y\n", {"y": 1}) == ["time"]
    assert transcript("$ curl a\n{}\n$ curl b\nx\ny\n") == [
        ("curl a", "{}\n"),
        ("curl b", "x\ny\n"),
    ]
