"""Shared by the migration tool's tests: the corpus, the goldens, a pinned coverage.

Regenerate every golden file (the scan reports, the rewritten corpus and the
coverage snapshot they were made with) with one command:

    FLASKCOMPAT_REGEN_GOLDEN=1 pytest tests/migrate

The goldens are rendered with the coverage snapshot in ``golden/coverage.json``,
not with the installed library's, so they do not churn while other features
land. ``test_golden_coverage_is_the_library_s`` fails when the library's
coverage moved on: regenerate then, and review the diff of the goldens.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import typing as t
from pathlib import Path

from fastapi_flaskcompat.migrate.catalog import Coverage

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "corpus"
GOLDEN = HERE / "golden"
REGEN = os.environ.get("FLASKCOMPAT_REGEN_GOLDEN") == "1"


def coverage_to_json(coverage: Coverage) -> str:
    data = {
        k: (sorted(v) if isinstance(v, frozenset) else v)
        for k, v in dataclasses.asdict(coverage).items()
    }
    return json.dumps(data, indent=2, sort_keys=True) + "\n"


def coverage_from_json(text: str) -> Coverage:
    data = json.loads(text)
    kwargs: dict[str, t.Any] = {}
    for f in dataclasses.fields(Coverage):
        v = data[f.name]
        kwargs[f.name] = frozenset(v) if isinstance(v, list) else v
    return Coverage(**kwargs)


def pinned_coverage() -> Coverage:
    path = GOLDEN / "coverage.json"
    if REGEN:
        path.write_text(coverage_to_json(Coverage.from_library()))
    return coverage_from_json(path.read_text())


def check_golden(name: str, actual: bytes | str) -> None:
    """``actual`` must equal ``golden/<name>`` (rewritten when regenerating)."""
    data = actual.encode() if isinstance(actual, str) else actual
    path = GOLDEN / name
    if REGEN:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return
    assert path.exists(), f"no golden {name}: run FLASKCOMPAT_REGEN_GOLDEN=1 pytest tests/migrate"
    expected = path.read_bytes()
    assert data == expected, (
        f"golden/{name} differs; if the change is intended, regenerate with"
        " FLASKCOMPAT_REGEN_GOLDEN=1 pytest tests/migrate and review the diff"
    )


def copy_corpus(dest: Path) -> Path:
    target = dest / "corpus"
    shutil.copytree(CORPUS, target)
    return target


def fixed_coverage() -> Coverage:
    """A coverage that never changes, for tests of the tool's mechanics.

    Statuses of real names follow the library (``Coverage.from_library``); tests
    that check how a split import looks must not change the day ``Blueprint``
    or ``render_template`` land, so they use this one.
    """
    live = Coverage.from_library()
    return dataclasses.replace(
        live,
        exported=frozenset(
            {"g", "request", "current_app", "session", "abort", "jsonify", "url_for"}
            | {"make_response", "Response", "has_request_context", "FlaskCompat"}
        ),
        blueprint_attrs=None,
        signals=None,
        bridge=False,
    )
