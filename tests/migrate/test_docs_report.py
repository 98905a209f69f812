"""docs/migration-cli.md shows a real scan report: the CLI's output for a corpus
project, as it is now. Regenerate the page's copy with
``python -m tests.migrate.test_docs_report``."""

from __future__ import annotations

import contextlib
import io
import os
import re
import sys
from pathlib import Path

from fastapi_flaskcompat.migrate.cli import main

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "migration-cli.md"
MARKER = re.compile(
    r"<!-- scan-report: (?P<args>[^>]+?) -->\n\n?"
    r"    \$ python -m fastapi_flaskcompat scan (?P=args)\n\n"
    r"```text\n(?P<report>.*?)```\n",
    re.S,
)


def cli_report(args: str) -> str:
    out = io.StringIO()
    cwd = os.getcwd()
    os.chdir(ROOT)  # the report names paths as given, relative to the checkout
    try:
        with contextlib.redirect_stdout(out):
            assert main(["scan", *args.split(), "--no-progress"]) == 0
    finally:
        os.chdir(cwd)
    return out.getvalue()


def test_the_page_shows_the_clis_report() -> None:
    found = list(MARKER.finditer(PAGE.read_text()))
    assert found, "docs/migration-cli.md lost its scan-report block"
    for m in found:
        assert m["report"] == cli_report(m["args"]), (
            f"the report for {m['args']!r} is stale: run python -m tests.migrate.test_docs_report"
        )


def write() -> None:
    text = PAGE.read_text()

    def fresh(m: re.Match[str]) -> str:
        head = m.group(0)[: m.start("report") - m.start()]
        return head + cli_report(m["args"]) + "```\n"

    PAGE.write_text(MARKER.sub(fresh, text))


if __name__ == "__main__":
    write()
    sys.exit(0)
