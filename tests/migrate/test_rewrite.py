"""``rewrite``: covered imports move to fastapi_flaskcompat, everything else stays as it was.

Goldens: see support.py (``FLASKCOMPAT_REGEN_GOLDEN=1 pytest tests/migrate``).
"""

from __future__ import annotations

import ast
import os
import typing as t
from pathlib import Path

import pytest

from fastapi_flaskcompat.migrate import rewrite as rw
from fastapi_flaskcompat.migrate.catalog import Coverage
from fastapi_flaskcompat.migrate.cli import main
from fastapi_flaskcompat.migrate.walk import python_files

from .support import CORPUS, GOLDEN, check_golden, copy_corpus, fixed_coverage, pinned_coverage

# How rewritten code looks is checked against a fixed coverage (see support.py).
LIVE = fixed_coverage()


def rewritten(source: str, coverage: Coverage = LIVE) -> str:
    result = rw.rewrite_source(source.encode(), coverage)
    assert result.outcome in (rw.REWRITTEN, rw.UNCHANGED), result.notes
    return result.new.decode() if result.new is not None else source


def test_splits_an_import_keeping_aliases_and_comments() -> None:
    src = "from flask import g as flask_g, Flask, request  # web\nx = 1\n"
    assert rewritten(src) == (
        "from fastapi_flaskcompat import g as flask_g, request\n"
        "from flask import Flask  # web\n"
        "x = 1\n"
    )


def test_parenthesized_multiline_import_keeps_its_shape() -> None:
    src = (
        "# the web framework\n"
        "from flask import (\n"
        "    Blueprint,  # routes\n"
        "    g,  # request state\n"
        "    render_template,\n"
        "    request\n"
        ")\n"
    )
    assert rewritten(src) == (
        "# the web framework\n"
        "from fastapi_flaskcompat import (\n"
        "    g,  # request state\n"
        "    request\n"
        ")\n"
        "from flask import (\n"
        "    Blueprint,  # routes\n"
        "    render_template,\n"
        ")\n"
    )


def test_all_covered_changes_only_the_module_name() -> None:
    src = "from flask import (g,\n    request)  # noqa\n"
    assert rewritten(src) == "from fastapi_flaskcompat import (g,\n    request)  # noqa\n"


def test_pragmas_stay_on_both_halves_and_semicolons_stay_on_one_line() -> None:
    src = (
        "from flask import g, Flask  # noqa: F401\n"
        "import os; from flask import abort, json; x = 1\n"
    )
    assert rewritten(src) == (
        "from fastapi_flaskcompat import g  # noqa: F401\n"
        "from flask import Flask  # noqa: F401\n"
        "import os; from fastapi_flaskcompat import abort; from flask import json; x = 1\n"
    )


def test_one_line_blocks() -> None:
    src = (
        "try: from flask import g, Flask\nexcept ImportError: pass\nif 1: from flask import abort\n"
    )
    assert rewritten(src) == (
        "try: from fastapi_flaskcompat import g; from flask import Flask\n"
        "except ImportError: pass\n"
        "if 1: from fastapi_flaskcompat import abort\n"
    )


def test_submodules_flask_reexports_and_nested_imports() -> None:
    src = (
        "from flask.globals import current_app, _cv_app\n"
        "def f():\n"
        "    try:\n"
        "        from flask.json import jsonify\n"
        "    except ImportError:\n"
        "        pass\n"
    )
    assert rewritten(src) == (
        "from fastapi_flaskcompat import current_app\n"
        "from flask.globals import _cv_app\n"
        "def f():\n"
        "    try:\n"
        "        from fastapi_flaskcompat import jsonify\n"
        "    except ImportError:\n"
        "        pass\n"
    )


def test_import_flask_gets_an_import_and_the_uses_rewritten() -> None:
    src = "import flask\n\n\ndef f():\n    return flask.g.user, flask.request.path\n"
    assert rewritten(src) == (
        "from fastapi_flaskcompat import g, request\n\n\n"
        "def f():\n    return g.user, request.path\n"
    )


def test_import_flask_stays_when_other_uses_remain_and_clashes_get_an_alias() -> None:
    src = "import flask  # web\ndef f(g):\n    return flask.g.x + g, flask.Flask\n"
    assert rewritten(src) == (
        "import flask  # web\n"
        "from fastapi_flaskcompat import g as flask_g\n"
        "def f(g):\n"
        "    return flask_g.x + g, flask.Flask\n"
    )


def test_import_flask_reuses_a_from_import_of_the_same_name() -> None:
    src = "import flask\nfrom flask import g\nx = flask.g.a, g.b, flask.Flask\n"
    assert rewritten(src) == (
        "import flask\nfrom fastapi_flaskcompat import g\nx = g.a, g.b, flask.Flask\n"
    )


@pytest.mark.parametrize(
    ("source", "why"),
    [
        ("import flask\nfrom os import *\nx = flask.g\n", "star import"),
        ("import flask\nflask = None\nx = flask.g\n", "bound more than once"),
        ("import flask\nflask.g = object()\nx = flask.g\n", "assigns or deletes"),
    ],
)
def test_unsafe_import_flask_uses_are_left_and_reported(source: str, why: str) -> None:
    result = rw.rewrite_source(source.encode(), LIVE)
    assert result.outcome == rw.UNCHANGED
    assert any(why in note for note in result.notes), result.notes


def test_modules_without_covered_imports_stay_byte_identical(tmp_path: Path) -> None:
    sources = [
        b"from flask import Flask\nfrom flask.views import MethodView\n",
        b"import os\r\n",
        b"from flask import *\n",
        b"import flask\nx = flask.Flask\n",
        b"x = 'flask'\n",
    ]
    for i, src in enumerate(sources):
        (tmp_path / f"m{i}.py").write_bytes(src)
    assert main(["rewrite", str(tmp_path)]) == 0
    for i, src in enumerate(sources):
        assert (tmp_path / f"m{i}.py").read_bytes() == src


@pytest.mark.parametrize(
    "source",
    [
        b"from flask import (\r\n    g,\r\n    Flask,\r\n)\r\nx = 1\r\n",
        "\ufefffrom flask import g, Flask\nx = 1\n".encode(),
        "# -*- coding: latin-1 -*-\nfrom flask import g, Flask\nx = 'café'\n".encode("latin-1"),
    ],
    ids=["crlf", "bom", "latin-1"],
)
def test_encoding_bom_and_newlines_are_kept(source: bytes) -> None:
    result = rw.rewrite_source(source, LIVE)
    assert result.outcome == rw.REWRITTEN and result.new is not None
    crlf = b"\r\n" in source
    assert result.new.count(b"\r\n") == (result.new.count(b"\n") if crlf else 0)
    assert result.new.startswith(b"\xef\xbb\xbf") == source.startswith(b"\xef\xbb\xbf")
    assert source.splitlines()[-1] == result.new.splitlines()[-1]  # é in latin-1 too
    assert b"from fastapi_flaskcompat import " in result.new and b"from flask import " in result.new


def test_verify_rejects_changes_outside_the_imports() -> None:
    coverage = LIVE
    old = b"from flask import g\nx = g.a\n"
    p = rw.plan(ast.parse(old), coverage)

    def why(new: bytes) -> str:
        return rw.verify(old, new, coverage, p) or ""

    assert rw.verify(old, b"from fastapi_flaskcompat import g\nx = g.a\n", coverage, p) is None
    assert "differs" in why(b"from fastapi_flaskcompat import g\nx = g.b\n")
    assert "bind" in why(b"from fastapi_flaskcompat import request as g\nx = g.a\n")
    assert "bind" in why(b"from flask import g\nx = g.a\n")
    assert "parse" in why(b"from (\n")


def _buggy_split(codemod: t.Any) -> None:
    import libcst

    split = codemod._split

    def wrong_name(stmt: t.Any) -> t.Any:  # a bug: imports another name
        out = split(stmt)
        if out:
            first = out[0]
            alias = first.names[0].with_changes(name=libcst.Name("session"))
            out[0] = first.with_changes(names=[alias, *first.names[1:]])
        return out

    codemod._split = wrong_name


def _buggy_integers(codemod: t.Any) -> None:
    import libcst

    codemod.prune = False
    codemod.leave_Integer = lambda o, u: libcst.Integer("2")  # a bug: changes code


@pytest.mark.parametrize(
    ("source", "bug", "why"),
    [
        # Each import on its own lines: rewritten alone, spliced back.
        (b"from flask import g, Flask\nx = 1\n", _buggy_split, "do not bind the expected"),
        # Shares a line with other code: the whole module goes through the codemod.
        (b"import os; from flask import g\nx = 1\n", _buggy_integers, "differs outside"),
        (b"import os; from flask import g\nx = 1\n", _buggy_split, "do not bind the expected"),
    ],
)
def test_a_rewrite_that_does_not_verify_is_not_written(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    source: bytes,
    bug: t.Callable[[t.Any], None],
    why: str,
) -> None:
    path = tmp_path / "m.py"
    path.write_bytes(source)
    real = rw._transformer

    def broken(*args: t.Any) -> t.Any:
        codemod = real(*args)
        bug(codemod)
        return codemod

    monkeypatch.setattr(rw, "_transformer", broken)
    assert main(["rewrite", str(tmp_path)]) == 2
    assert path.read_bytes() == source
    assert why in capsys.readouterr().err


def test_check_and_diff_never_write(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "m.py"
    src = b"from flask import g, Flask\n"
    path.write_bytes(src)
    assert main(["rewrite", str(tmp_path), "--check"]) == 1
    assert path.read_bytes() == src
    assert "would rewrite m.py" in capsys.readouterr().err
    assert main(["rewrite", str(tmp_path), "--diff"]) == 0
    out = capsys.readouterr().out
    assert out == (
        "--- a/m.py\n+++ b/m.py\n@@ -1 +1,2 @@\n"
        "-from flask import g, Flask\n"
        "+from fastapi_flaskcompat import g\n"
        "+from flask import Flask\n"
    )
    assert path.read_bytes() == src
    assert main(["rewrite", str(tmp_path), "--check", "--diff"]) == 1
    assert capsys.readouterr().out == out
    assert main(["rewrite", str(tmp_path)]) == 0
    assert main(["rewrite", str(tmp_path), "--check"]) == 0  # done: nothing pending


def test_unparsable_modules_are_skipped_not_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "bad.py").write_bytes(b"from flask import g\nprint 'x'\n")
    assert main(["rewrite", str(tmp_path), "--check"]) == 0
    assert "bad.py: does not parse" in capsys.readouterr().err


def test_missing_libcst_names_the_extra(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "libcst", None)  # import libcst raises ImportError
    (tmp_path / "m.py").write_bytes(b"from flask import g\n")
    assert main(["rewrite", str(tmp_path)]) == 2
    assert "fastapi-flaskcompat[migrate]" in capsys.readouterr().err


# -- the corpus ---------------------------------------------------------------------


def rewrite_tree(root: Path, coverage: Coverage) -> list[rw.FileRewrite]:
    results = list(rw.rewrite_files(list(python_files(root)), coverage, jobs=1))
    for (full, _), result in zip(python_files(root), results, strict=True):
        if result.new is not None:
            rw.write(full, result.new)
    return results


def test_corpus_rewrite_golden(tmp_path: Path) -> None:
    coverage = pinned_coverage()
    root = copy_corpus(tmp_path)
    results = rewrite_tree(root, coverage)
    assert all(r.outcome != rw.REFUSED for r in results)
    changed = sorted(r.path for r in results if r.outcome == rw.REWRITTEN)
    check_golden("rewrite/CHANGED", "".join(p + "\n" for p in changed))
    for rel in changed:
        check_golden(f"rewrite/{rel}", (root / rel).read_bytes())
    for dirpath, _, files in os.walk(CORPUS):
        for name in files:
            original = Path(dirpath) / name
            rel = original.relative_to(CORPUS).as_posix()
            if rel not in changed:  # untouched, to the byte
                assert (root / rel).read_bytes() == original.read_bytes(), rel
    # Idempotent: a second run changes nothing.
    again = rewrite_tree(root, coverage)
    assert [r.path for r in again if r.outcome == rw.REWRITTEN] == []


def test_golden_rewrite_tree_has_no_stale_files() -> None:
    listed = set((GOLDEN / "rewrite" / "CHANGED").read_text().split())
    present = {
        p.relative_to(GOLDEN / "rewrite").as_posix() for p in (GOLDEN / "rewrite").rglob("*.py")
    }
    assert present == listed


def test_parallel_rewrite_of_a_large_tree(tmp_path: Path) -> None:
    from fastapi_flaskcompat.migrate.scan import PARALLEL_MIN

    for i in range(PARALLEL_MIN + 20):
        (tmp_path / f"m{i}.py").write_text(f"from flask import g, Flask\nx{i} = g.get('a')\n")
    assert main(["rewrite", str(tmp_path), "--jobs", "2"]) == 0
    for i in range(PARALLEL_MIN + 20):
        assert (tmp_path / f"m{i}.py").read_text() == (
            f"from fastapi_flaskcompat import g\nfrom flask import Flask\nx{i} = g.get('a')\n"
        )
    assert main(["rewrite", str(tmp_path), "--check", "--jobs", "2"]) == 0


def test_imports_on_their_own_lines_are_rewritten_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fast path: libcst sees only the import's lines, the rest stays as bytes."""
    seen: list[str] = []
    real = rw._transformer

    def recording(coverage: Coverage, p: t.Any, module: t.Any) -> t.Any:
        seen.append(module.code)
        return real(coverage, p, module)

    monkeypatch.setattr(rw, "_transformer", recording)
    src = (
        "x = 1\nfrom flask import g, Flask  # c\n"
        "def f():\n    from flask import (\n        request,\n    )\n"
    )
    assert rewritten(src) == (
        "x = 1\nfrom fastapi_flaskcompat import g\nfrom flask import Flask  # c\n"
        "def f():\n    from fastapi_flaskcompat import (\n        request,\n    )\n"
    )
    assert seen == [
        "from flask import g, Flask  # c\n",
        "if 1:\n    from flask import (\n        request,\n    )\n",
    ]
    seen.clear()
    src = "import flask\n\n\ndef f(x):\n    return flask.g.user, flask.request.args[x]\n"
    assert rewritten(src) == (
        "from fastapi_flaskcompat import g, request\n\n\n"
        "def f(x):\n    return g.user, request.args[x]\n"
    )
    assert seen == []  # no libcst at all


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (
            "import flask\nx = f'{flask.g.user}'\n",
            "from fastapi_flaskcompat import g\nx = f'{g.user}'\n",
        ),
        (
            "import flask\nx = (flask\n     .g)\ny = flask . request\n",
            "from fastapi_flaskcompat import g, request\nx = (g)\ny = request\n",
        ),
    ],
)
def test_import_flask_uses_in_odd_places(source: str, expected: str) -> None:
    assert rewritten(source) == expected
