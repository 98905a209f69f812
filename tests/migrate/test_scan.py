"""``scan``: every use of Flask's API, file:line, with its status; the report formats; the CLI.

Goldens: see support.py (``FLASKCOMPAT_REGEN_GOLDEN=1 pytest tests/migrate``).
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from fastapi_flaskcompat.migrate import report
from fastapi_flaskcompat.migrate.catalog import BRIDGE, CAVEAT, COVERED, MISSING, Coverage
from fastapi_flaskcompat.migrate.cli import PROGRESS_MIN, Progress, main
from fastapi_flaskcompat.migrate.scan import scan, scan_source

from .support import CORPUS, check_golden, coverage_to_json, fixed_coverage, pinned_coverage

LIVE = Coverage.from_library()


def uses(source: str, coverage: Coverage = LIVE) -> list[tuple[int, str]]:
    result = scan_source(source, coverage)
    assert result.error is None, result.error
    return [(u.line, u.name) for u in result.uses]


def test_from_imports_aliases_and_submodules() -> None:
    src = (
        "from flask import g as flask_g, request\n"
        "from flask.globals import current_app\n"
        "from flask.json import jsonify, loads\n"
        "from flask import *\n"
        "from . import flask\n"  # relative: not Flask
        "from flaskr.db import get_db\n"  # a project named flaskr: not Flask
    )
    assert uses(src) == [
        (1, "flask.g"),
        (1, "flask.request"),
        (2, "flask.current_app"),
        (3, "flask.json.loads"),
        (3, "flask.jsonify"),
        (4, "flask.*"),
    ]


def test_import_flask_then_attribute_uses() -> None:
    src = (
        "import flask\n"
        "import flask as fl\n"
        "def f():\n"
        "    flask.g.user = fl.request.get_json()\n"
        "    return flask.json.dumps(flask.globals.request_ctx)\n"
    )
    assert uses(src) == [
        (4, "flask.g"),
        (4, "flask.request"),
        (4, "request.get_json"),
        (5, "flask.globals.request_ctx"),
        (5, "flask.json.dumps"),
    ]


def test_hooks_error_handlers_and_config_keys() -> None:
    src = (
        "from flask import Blueprint, Flask, current_app\n"
        "app = Flask(__name__)\n"
        "auth = Blueprint('auth', __name__)\n"
        "@auth.before_app_request\n"
        "def load(): current_app.config['DB'], current_app.config.get('PAGE', 10)\n"
        "@app.errorhandler(404)\n"
        "def nf(e): current_app.logger.info('x')\n"
        "app.register_error_handler(500, nf)\n"
        "def init_app(app):\n"
        "    app.teardown_appcontext(load)\n"
        "    app.config['X'] = 1\n"
    )
    assert uses(src) == [
        (1, "flask.Blueprint"),
        (1, "flask.Flask"),
        (1, "flask.current_app"),
        (4, "blueprint.before_app_request"),
        (5, 'current_app.config["DB"]'),
        (5, 'current_app.config["PAGE"]'),
        (6, "app.errorhandler(404)"),
        (7, "current_app.logger"),
        (8, "app.register_error_handler(500)"),
        (10, "app.teardown_appcontext"),
        (11, 'app.config["X"]'),
    ]


def test_fastapi_apps_and_modules_without_flask_are_not_flask_apps() -> None:
    src = "from fastapi import FastAPI\napp = FastAPI()\n@app.get('/')\ndef f(): ...\n"
    assert uses(src) == []
    src = "from flask import g\nfrom fastapi import FastAPI\napp = FastAPI()\napp.route\n"
    assert uses(src) == [(1, "flask.g")]


def test_internals_werkzeug_local_signals_and_extensions() -> None:
    src = (
        "from flask import _app_ctx_stack, request_started\n"
        "from werkzeug.local import LocalProxy, LocalStack\n"
        "import werkzeug.local\n"
        "import flask_sqlalchemy\n"
        "from flask_login import current_user\n"
        "from flask.ext.cache import Cache\n"
        "p = werkzeug.local.LocalProxy(lambda: 1)\n"
    )
    result = scan_source(src, LIVE)
    got = {(u.line, u.name): u.status for u in result.uses}
    assert got == {
        (1, "flask._app_ctx_stack"): MISSING,
        (1, "flask.request_started"): LIVE.flask_name("flask.request_started").status,
        (2, "werkzeug.local.LocalProxy"): CAVEAT,
        (2, "werkzeug.local.LocalStack"): MISSING,
        (4, "flask_sqlalchemy"): BRIDGE,
        (5, "flask_login"): BRIDGE,
        (6, "flask_cache"): BRIDGE,
        (7, "werkzeug.local.LocalProxy"): CAVEAT,
    }


def test_statuses_and_notes_come_from_the_coverage() -> None:
    src = "from flask import g, session, Flask, render_template\n"
    result = scan_source(src, fixed_coverage())
    by_name = {u.name: u for u in result.uses}
    assert by_name["flask.g"].status == COVERED and by_name["flask.g"].note == ""
    assert by_name["flask.session"].status == CAVEAT
    assert "SECRET_KEY" in by_name["flask.session"].note
    assert by_name["flask.Flask"].status == MISSING
    assert "FlaskCompat(app" in by_name["flask.Flask"].note
    assert by_name["flask.render_template"].status == BRIDGE


@pytest.mark.parametrize(
    "source",
    [
        b"print 'py2'\n",
        b"x = (\n",
        b"x = 1\x00\n",
        b"\xff\xfe not utf-8 = 1\n",
        b"# -*- coding: no-such-codec -*-\nx = 1\n",
    ],
)
def test_modules_that_do_not_parse_are_reported_not_raised(source: bytes) -> None:
    result = scan_source(source, LIVE, "bad.py")
    assert result.error is not None and result.error.startswith("does not parse")
    assert result.uses == []


def test_source_encoding_is_honoured() -> None:
    src = "# -*- coding: latin-1 -*-\nfrom flask import g\nname = 'café'\n".encode("latin-1")
    assert [u.name for u in scan_source(src, LIVE).uses] == ["flask.g"]


# -- the corpus: goldens in three formats ---------------------------------------------


@pytest.mark.parametrize(("fmt", "ext"), [("text", "txt"), ("json", "json"), ("markdown", "md")])
def test_corpus_scan_golden(fmt: str, ext: str) -> None:
    result = scan(CORPUS, coverage=pinned_coverage(), jobs=1, root_label="corpus")
    check_golden(f"scan.{ext}", report.render(result, fmt))


def test_golden_coverage_is_the_library_s() -> None:
    """When this fails the library's coverage moved on: regenerate the goldens."""
    assert coverage_to_json(LIVE) == coverage_to_json(pinned_coverage()), (
        "the library's coverage changed: FLASKCOMPAT_REGEN_GOLDEN=1 pytest tests/migrate"
    )


def test_corpus_finds_the_same_uses_whatever_the_coverage() -> None:
    # Robust to coverage changes: where and what, not the status.
    golden = json.loads((CORPUS.parent / "golden" / "scan.json").read_text())
    live = json.loads(report.render(scan(CORPUS, jobs=1, root_label="corpus"), "json"))
    assert [(u["path"], u["line"], u["name"]) for u in live["uses"]] == [
        (u["path"], u["line"], u["name"]) for u in golden["uses"]
    ]
    skipped = [s["path"] for s in live["skipped"]]
    assert skipped == ["broken_py2.py"]
    scanned = {u["path"] for u in live["uses"]}
    assert not any(p.startswith(("env/", "build/")) for p in scanned)
    # The tutorial's shape is all there.
    names = {(u["path"], u["name"]) for u in live["uses"]}
    assert {
        ("flaskr/db.py", "flask.g"),
        ("flaskr/db.py", "app.teardown_appcontext"),
        ("flaskr/db.py", 'current_app.config["DATABASE"]'),
        ("flaskr/auth.py", "blueprint.before_app_request"),
        ("api/hooks.py", "current_app.logger"),
        ("api/tenancy.py", "flask._app_ctx_stack"),
        ("api/tenancy.py", "werkzeug.local.LocalProxy"),
        ("shop/extensions.py", "flask_sqlalchemy"),
        ("api/legacy.py", "flask.g"),
        ("api/signals.py", "flask.request_started"),
    } <= names


def test_json_report_totals_add_up() -> None:
    data = json.loads(report.render(scan(CORPUS, jobs=1), "json"))
    n = len(data["uses"])
    assert sum(data["totals"]["status"].values()) == n
    assert sum(v["count"] for v in data["totals"]["name"].values()) == n
    assert sum(sum(m.values()) for m in data["totals"]["module"].values()) == n


def test_parallel_scan_gives_the_sequential_result(tmp_path: Path) -> None:
    for i in range(PROGRESS_MIN * 2):
        (tmp_path / f"m{i:03}.py").write_text(f"from flask import g, Flask\nx{i} = g.get('a')\n")
    one = report.render(scan(tmp_path, jobs=1, root_label="t"), "json")
    two = report.render(scan(tmp_path, jobs=2, root_label="t"), "json")
    assert one == two
    assert json.loads(two)["modules_scanned"] == PROGRESS_MIN * 2


# -- the command line ---------------------------------------------------------------


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "fastapi_flaskcompat", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_cli_prints_only_the_report_and_exits_0_with_unparsable_modules() -> None:
    proc = run_cli("scan", str(CORPUS), "--format", "json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)  # nothing but the report on stdout
    assert data["skipped"] == [{"path": "broken_py2.py", "error": data["skipped"][0]["error"]}]
    assert proc.stderr == ""


def test_cli_errors_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scan", str(tmp_path / "missing")]) == 2
    assert "no such file" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main(["scan", str(tmp_path), "--format", "yaml"])
    assert exc.value.code == 2


def test_cli_formats(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scan", str(CORPUS / "flaskr"), "--format", "markdown"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("# Migration plan: `")
    assert "### `db.py`: blocked" in out  # app.cli and open_resource block it
    assert main(["scan", str(CORPUS / "flaskr" / "db.py")]) == 0
    out = capsys.readouterr().out
    assert "db.py:5: flask.g: covered\n" in out


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_only_on_a_terminal_and_for_large_trees() -> None:
    tty, pipe = Terminal(), io.StringIO()
    for stream in (tty, pipe):
        bar = Progress("scanning", stream)
        for done in range(1, PROGRESS_MIN + 1):
            bar(done, PROGRESS_MIN)
        bar.close()
    assert pipe.getvalue() == ""
    assert f"{PROGRESS_MIN}/{PROGRESS_MIN} files" in tty.getvalue()
    small = Terminal()
    bar = Progress("scanning", small)
    bar(1, PROGRESS_MIN - 1)
    assert small.getvalue() == ""
