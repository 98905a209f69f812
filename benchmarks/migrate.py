"""How long the migration tool takes on a large codebase: ``python -m benchmarks.migrate``.

Generates a tree of Flask-style modules in a temporary directory (a mix of
helpers on ``g``/``request``/``current_app``, blueprints with views and hooks,
``import flask`` modules, extension set-up, and modules with no Flask at
all), then times ``scan`` (report rendered) and ``rewrite`` (every module that
needs it, written), as the command line runs them. Targets for 10,000 modules
on a 2-core machine: scan <= 10 s, rewrite <= 60 s.

    python -m benchmarks.migrate                 # 10,000 modules
    python -m benchmarks.migrate --modules 200   # a quick check
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from fastapi_flaskcompat.migrate import report
from fastapi_flaskcompat.migrate import rewrite as rw
from fastapi_flaskcompat.migrate.catalog import Coverage
from fastapi_flaskcompat.migrate.scan import default_jobs, scan
from fastapi_flaskcompat.migrate.walk import python_files

SCAN_TARGET_S = 10.0
REWRITE_TARGET_S = 60.0

HELPERS = '''"""Helpers for the {name} service."""
import logging
import sqlite3

from flask import abort, current_app, g, jsonify, request, session

log = logging.getLogger(__name__)


def get_{name}_db():
    if "{name}_db" not in g:
        g.{name}_db = sqlite3.connect(current_app.config["{upper}_DATABASE"])
    return g.{name}_db


def close_{name}_db(e=None):
    db = g.pop("{name}_db", None)
    if db is not None:
        db.close()


def current_{name}_user():
    user_id = session.get("user_id")
    if user_id is None:
        abort(401)
    return user_id


def {name}_page():
    page = request.args.get("page", 1, type=int)
    size = current_app.config.get("{upper}_PAGE_SIZE", 20)
    return page, size


def {name}_audit(event, **details):
    current_app.logger.info("%s %s", event, details)
    log.debug("audit %s", event)


def {name}_error(status, message):
    return jsonify(error=status, message=message), status
'''

VIEWS = """from flask import Blueprint, flash, g, redirect, render_template, request, url_for

from .helpers_{n} import current_{name}_user, get_{name}_db

bp_{name} = Blueprint("{name}", __name__, url_prefix="/{name}")


@bp_{name}.before_request
def load_{name}():
    g.{name}_user = current_{name}_user()


@bp_{name}.route("/")
def index():
    rows = get_{name}_db().execute("SELECT * FROM {name}").fetchall()
    return render_template("{name}/index.html", rows=rows)


@bp_{name}.route("/create", methods=("GET", "POST"))
def create():
    if request.method == "POST":
        title = request.form["title"]
        if not title:
            flash("Title is required.")
        else:
            db = get_{name}_db()
            db.execute("INSERT INTO {name} (title) VALUES (?)", (title,))
            db.commit()
            return redirect(url_for("{name}.index"))
    return render_template("{name}/create.html")


@bp_{name}.errorhandler(404)
def not_found(e):
    return render_template("404.html"), 404
"""

LEGACY = '''"""Old-style module that reads attributes of the flask module."""
import flask


def {name}_request_id():
    return flask.request.headers.get("X-Request-Id") or flask.g.get("request_id")


def {name}_json(payload, status=200):
    flask.current_app.logger.debug("json %s", status)
    return flask.make_response(flask.jsonify(payload), status)
'''

EXTENSIONS = """from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy

db_{name} = SQLAlchemy()
login_{name} = LoginManager()


def init_app(app):
    db_{name}.init_app(app)
    login_{name}.init_app(app)
    app.teardown_appcontext(lambda exc: None)
"""

PLAIN = '''"""Business rules for {name}: no Flask here."""
from dataclasses import dataclass, field
from decimal import Decimal


@dataclass
class {cls}:
    name: str
    price: Decimal = Decimal("0")
    tags: list[str] = field(default_factory=list)

    def total(self, quantity: int) -> Decimal:
        if quantity < 0:
            raise ValueError("quantity must be positive")
        return self.price * quantity

    def tagged(self, tag: str) -> bool:
        return tag in self.tags


def cheapest(items: list[{cls}]) -> {cls} | None:
    return min(items, key=lambda i: i.price, default=None)


def by_tag(items: list[{cls}]) -> dict[str, list[{cls}]]:
    out: dict[str, list[{cls}]] = {{}}
    for item in items:
        for tag in item.tags:
            out.setdefault(tag, []).append(item)
    return out
'''

# (template, weight): most of a real codebase is not Flask.
MIX = [(PLAIN, 40), (HELPERS, 25), (VIEWS, 20), (LEGACY, 10), (EXTENSIONS, 5)]
#: The templates with imports ``rewrite`` changes.
NEEDS_REWRITE = (HELPERS, VIEWS, LEGACY)


def generate(root: Path, modules: int, seed: int = 7) -> int:
    """Write the tree; return how many of its modules need a rewrite."""
    rnd = random.Random(seed)
    templates = [t for t, w in MIX for _ in range(w)]
    needing = 0
    per_package = 50
    for n in range(modules):
        package = root / f"pkg{n // per_package:03}"
        if n % per_package == 0:
            package.mkdir(parents=True)
            (package / "__init__.py").write_text("")
        name = f"m{n}"
        template = rnd.choice(templates)
        needing += template in NEEDS_REWRITE
        text = template.format(name=name, upper=name.upper(), n=n, cls=f"Item{n}")
        (package / f"{'helpers_' if template is HELPERS else 'mod_'}{n}.py").write_text(text)
    return needing


def cpu_seconds() -> float:
    """CPU time of this process and its finished workers: what load on the machine hides."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


@dataclass
class Figures:
    modules: int
    scan_s: float
    rewrite_s: float
    rewritten: int
    uses: int
    jobs: int
    needing: int = 0
    scan_cpu: float = 0.0
    rewrite_cpu: float = 0.0

    def lines(self) -> list[str]:
        return [
            f"modules: {self.modules} (jobs: {self.jobs})",
            f"scan:    {self.scan_s:6.2f} s  {self.modules / self.scan_s:8.0f} files/s"
            f"  cpu {self.scan_cpu:6.2f} s  ({self.uses} uses;"
            f" target <= {SCAN_TARGET_S:.0f} s for 10,000)",
            f"rewrite: {self.rewrite_s:6.2f} s  {self.modules / self.rewrite_s:8.0f} files/s"
            f"  cpu {self.rewrite_cpu:6.2f} s  ({self.rewritten} rewritten;"
            f" target <= {REWRITE_TARGET_S:.0f} s for 10,000)",
            f"load average before: {os.getloadavg()[0]:.1f} (on {os.cpu_count()} CPUs)",
        ]


def run(modules: int, jobs: int | None = None) -> Figures:
    jobs = jobs or default_jobs()
    coverage = Coverage.from_library()
    with tempfile.TemporaryDirectory(prefix="flaskcompat-migrate-bench-") as tmp:
        root = Path(tmp)
        needing = generate(root, modules)
        c0, t0 = cpu_seconds(), time.perf_counter()
        result = scan(root, coverage=coverage, jobs=jobs)
        report.render(result, "text")
        scan_s, scan_cpu = time.perf_counter() - t0, cpu_seconds() - c0
        c0, t0 = cpu_seconds(), time.perf_counter()
        items = list(python_files(root))
        rewritten = 0
        for (full, _), r in zip(items, rw.rewrite_files(items, coverage, jobs), strict=True):
            if r.outcome == rw.REFUSED:
                raise AssertionError(f"{r.path}: {r.notes}")
            if r.new is not None:
                rw.write(full, r.new)
                rewritten += 1
        rewrite_s, rewrite_cpu = time.perf_counter() - t0, cpu_seconds() - c0
        # Every module that had a covered import got rewritten, and the tree is done.
        again = rw.rewrite_files(list(python_files(root)), coverage, jobs)
        pending = [r.path for r in again if r.outcome == rw.REWRITTEN]
        if pending:
            raise AssertionError(f"not idempotent: {pending[:5]}")
    uses = sum(len(f.uses) for f in result.files)
    return Figures(
        modules=len(items),
        scan_s=scan_s,
        rewrite_s=rewrite_s,
        rewritten=rewritten,
        uses=uses,
        jobs=jobs,
        needing=needing,
        scan_cpu=scan_cpu,
        rewrite_cpu=rewrite_cpu,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.migrate")
    parser.add_argument("--modules", type=int, default=10_000)
    parser.add_argument("--jobs", type=int, default=None)
    args = parser.parse_args(argv)
    figures = run(args.modules, args.jobs)
    print("\n".join(figures.lines()))
    if args.modules >= 10_000:
        met = figures.scan_s <= SCAN_TARGET_S and figures.rewrite_s <= REWRITE_TARGET_S
        print("targets met" if met else "TARGETS MISSED")
    return 0


if __name__ == "__main__":
    sys.exit(main())
