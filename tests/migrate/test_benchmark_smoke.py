"""``python -m benchmarks.migrate`` runs end to end on a small tree (timings not checked)."""

from __future__ import annotations

import sys
from pathlib import Path

# benchmarks/ is not part of the wheel; it lives beside the package in the repo.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from benchmarks.migrate import main, run


def test_benchmark_scans_and_rewrites_a_generated_tree() -> None:
    figures = run(200, jobs=2)
    assert figures.modules > 200  # the modules and their packages' __init__.py
    assert figures.needing > 0
    # Every module with a covered import was rewritten, and only those
    # (run() also checks that a second rewrite finds nothing to do).
    assert figures.rewritten == figures.needing
    assert figures.uses > figures.needing


def test_benchmark_command_prints_files_per_second(capsys: object) -> None:
    assert main(["--modules", "60", "--jobs", "1"]) == 0
    out = capsys.readouterr().out  # type: ignore[attr-defined]
    assert "scan:" in out and "rewrite:" in out and "files/s" in out
