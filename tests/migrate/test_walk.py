"""Which files a scan looks at: virtualenvs, build output and .gitignore'd paths are skipped."""

from __future__ import annotations

from pathlib import Path

import pytest

from fastapi_flaskcompat.migrate.walk import Ignore, python_files


def tree(root: Path, files: list[str], **texts: str) -> None:
    for f in files:
        p = root / f
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text("")
    for name, text in texts.items():
        p = root / name.replace("__", "/")
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)


def found(root: Path) -> list[str]:
    return [rel for _, rel in python_files(root)]


def test_skips_environments_vcs_and_build_directories(tmp_path: Path) -> None:
    tree(
        tmp_path,
        [
            "app/views.py",
            "app/notes.txt",
            "venv/lib/site.py",
            "weird-env-name/lib/x.py",
            "conda/conda-meta/x.py",
            ".git/hooks/x.py",
            "build/lib/app/views.py",
            "dist/x.py",
            "app/__pycache__/views.py",
            "app.egg-info/x.py",
            "node_modules/x/y.py",
            ".tox/py311/x.py",
            ".nox/x.py",
            "setup.py",
        ],
        venv__pyvenv_cfg="home = /usr\n",
    )
    (tmp_path / "venv/pyvenv.cfg").write_text("home = /usr\n")
    (tmp_path / "weird-env-name/pyvenv.cfg").write_text("home = /usr\n")
    assert found(tmp_path) == ["setup.py", "app/views.py"]


@pytest.mark.parametrize(
    ("pattern", "ignored", "kept"),
    [
        ("*.py", ["a.py", "d/b.py"], []),
        ("/a.py", ["a.py"], ["d/a.py"]),  # a leading / anchors to the .gitignore's directory
        ("d/a.py", ["d/a.py"], ["e/d/a.py"]),  # so does a / in the middle
        ("gen/", ["gen/x.py", "d/gen/y.py"], ["gen.py"]),  # directories only, at any depth
        ("gen", ["gen/x.py", "d/gen/y.py"], ["gen.py", "generated.py"]),
        ("gen.py", ["gen.py", "d/gen.py"], ["generated.py"]),
        ("**/migrations", ["migrations/x.py", "d/migrations/y.py"], ["d/x.py"]),
        ("d/**/x.py", ["d/x.py", "d/e/f/x.py"], ["x.py"]),
        ("d/**", ["d/x.py", "d/e/y.py"], ["x.py"]),
        ("*_pb2.py", ["a_pb2.py", "d/b_pb2.py"], ["a_pb3.py"]),
        ("x?.py", ["x1.py"], ["x10.py"]),
        ("x[0-9].py", ["x1.py"], ["xa.py"]),
        ("x[!0-9].py", ["xa.py"], ["x1.py"]),
        ("# a comment\n\n   \n", [], ["a.py"]),
        ("\\#hash.py", ["#hash.py"], ["hash.py"]),
    ],
)
def test_gitignore_patterns(
    tmp_path: Path, pattern: str, ignored: list[str], kept: list[str]
) -> None:
    tree(tmp_path, ignored + kept)
    (tmp_path / ".gitignore").write_text(pattern + "\n")
    assert sorted(found(tmp_path)) == sorted(kept)


def test_negation_last_match_wins(tmp_path: Path) -> None:
    tree(tmp_path, ["a_pb2.py", "keep_pb2.py", "logs/x.py"])
    (tmp_path / ".gitignore").write_text("*_pb2.py\n!keep_pb2.py\nlogs/\n!logs/x.py\n")
    # A file in an ignored directory cannot be re-included (git cannot either).
    assert found(tmp_path) == ["keep_pb2.py"]


def test_nested_gitignore_applies_below_its_directory(tmp_path: Path) -> None:
    tree(tmp_path, ["a/gen.py", "a/b/gen.py", "gen.py", "a/keep.py"])
    (tmp_path / "a/.gitignore").write_text("gen.py\n/keep.py\n")
    assert sorted(found(tmp_path)) == ["gen.py"]


def test_parent_gitignore_up_to_the_repository_root(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    tree(tmp_path, ["src/app/gen/x.py", "src/app/views.py", "src/app/local_settings.py"])
    (tmp_path / ".gitignore").write_text("src/app/gen/\nlocal_settings.py\n")
    assert found(tmp_path / "src" / "app") == ["views.py"]


def test_a_file_given_directly_is_scanned(tmp_path: Path) -> None:
    tree(tmp_path, ["gen.py"])
    (tmp_path / ".gitignore").write_text("gen.py\n")
    assert found(tmp_path / "gen.py") == ["gen.py"]


def test_ignore_match_says_nothing_without_a_rule() -> None:
    ignore = Ignore.parse("", "*.log\n")
    assert ignore.match("a.py", False) is None
    assert ignore.match("a.log", False) is True
