"""The command line: ``fastapi-flaskcompat scan|rewrite PATH``.

Also ``python -m fastapi_flaskcompat scan|rewrite PATH``.

Exit codes: 0 when the command did its job (a scan with modules that do not
parse is still a scan: they are listed in the report); 1 for ``rewrite
--check`` when a rewrite is pending; 2 on errors (no such path, libcst
missing, a rewrite that did not verify, a file that could not be written).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import typing as t

from . import report as report_mod
from .catalog import Coverage
from .scan import default_jobs, scan
from .walk import python_files

#: A tree this large gets a progress bar (on a terminal).
PROGRESS_MIN = 200

EXIT_OK, EXIT_PENDING, EXIT_ERROR = 0, 1, 2


class Progress:
    """A one-line bar on stderr, drawn only on a terminal and for a large tree."""

    def __init__(self, label: str, stream: t.TextIO | None = None, allowed: bool = True) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.label = label
        isatty = getattr(self.stream, "isatty", None)
        self.allowed = allowed and bool(isatty and isatty())
        self.drawn = False
        self._last = 0.0

    def __call__(self, done: int, total: int) -> None:
        if not self.allowed or total < PROGRESS_MIN:
            return
        now = time.monotonic()
        if done < total and now - self._last < 0.1:
            return
        self._last = now
        width = 30
        filled = width * done // total
        bar = "#" * filled + "." * (width - filled)
        self.stream.write(f"\r{self.label} [{bar}] {done}/{total} files")
        self.stream.flush()
        self.drawn = True

    def close(self) -> None:
        if self.drawn:
            self.stream.write("\r\033[K")
            self.stream.flush()
            self.drawn = False


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fastapi-flaskcompat",
        description="Plan and carry out a move from Flask to FastAPI with fastapi_flaskcompat.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser(
        "scan",
        help="list every use of Flask's API and what fastapi_flaskcompat covers",
        description="List every use of Flask's API under PATH, file:line, with its status:"
        " covered, covered with caveat, through the bridge, or not covered.",
    )
    s.add_argument("path", metavar="PATH", help="a directory or a module")
    s.add_argument("--format", choices=report_mod.FORMATS, default="text")
    _common(s)
    r = sub.add_parser(
        "rewrite",
        help="import covered names from fastapi_flaskcompat instead of flask",
        description="Rewrite the imports of covered names from flask to fastapi_flaskcompat"
        " (needs the migrate extra: libcst).",
    )
    r.add_argument("path", metavar="PATH", help="a directory or a module")
    r.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 when a file would be rewritten",
    )
    r.add_argument("--diff", action="store_true", help="print a unified diff instead of writing")
    _common(r)
    return parser


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--jobs",
        type=int,
        default=None,
        metavar="N",
        help="worker processes for large trees (default: the usable CPUs)",
    )
    p.add_argument("--no-progress", action="store_true", help="never draw a progress bar")


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if not os.path.exists(args.path):
        print(f"fastapi-flaskcompat: {args.path}: no such file or directory", file=sys.stderr)
        return EXIT_ERROR
    jobs = args.jobs if args.jobs and args.jobs > 0 else default_jobs()
    if args.command == "scan":
        return _scan(args, jobs)
    return _rewrite(args, jobs)


def _scan(args: argparse.Namespace, jobs: int) -> int:
    bar = Progress("scanning", allowed=not args.no_progress)
    try:
        result = scan(args.path, jobs=jobs, progress=bar, root_label=args.path)
    finally:
        bar.close()
    sys.stdout.write(report_mod.render(result, args.format))
    return EXIT_OK


def _rewrite(args: argparse.Namespace, jobs: int) -> int:
    from . import rewrite as rw

    coverage = Coverage.from_library()
    items = list(python_files(args.path))
    bar = Progress("rewriting", allowed=not args.no_progress)
    dry = args.check or args.diff
    pending = errors = written = skipped = 0
    err = sys.stderr
    try:
        results = rw.rewrite_files(items, coverage, jobs, lambda done: bar(done, len(items)))
        for (full, _), result in zip(items, results, strict=True):
            for note in result.notes:
                print(f"{result.path}: {note}", file=err)
            if result.outcome == rw.SKIPPED:
                skipped += 1
            elif result.outcome == rw.REFUSED:
                errors += 1
                print(f"{result.path}: not rewritten (a bug: please report it)", file=err)
            elif result.outcome == rw.REWRITTEN:
                pending += 1
                if args.diff:
                    bar.close()
                    sys.stdout.write(result.diff())
                if dry:
                    if args.check:
                        print(f"would rewrite {result.path}", file=err)
                    continue
                assert result.new is not None
                try:
                    rw.write(full, result.new)
                except OSError as exc:
                    errors += 1
                    print(f"{result.path}: cannot write: {exc}", file=err)
                    continue
                written += 1
                print(f"rewrote {result.path}", file=err)
    except RuntimeError as exc:  # libcst missing
        bar.close()
        print(f"fastapi-flaskcompat: {exc}", file=err)
        return EXIT_ERROR
    finally:
        bar.close()
    verb = "would be rewritten" if dry else "rewritten"
    count = pending if dry else written
    summary = f"{count} of {len(items)} modules {verb}"
    if skipped:
        summary += f", {skipped} skipped (did not parse or read)"
    if errors:
        summary += f", {errors} errors"
    print(summary, file=err)
    if errors:
        return EXIT_ERROR
    if args.check and pending:
        return EXIT_PENDING
    return EXIT_OK
