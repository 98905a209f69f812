"""``python -m benchmarks.stress`` runs, reports and writes JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks.stress.__main__ import main


def test_driver_reports_a_section_and_exits_by_its_checks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "report.json"
    code = main(["--only", "shutdown", "--servers", "uvicorn", "--json", str(out)])
    report = capsys.readouterr().out
    data = json.loads(out.read_text())
    rows = {(r["graceful"], r["teardowns"]) for r in data["shutdown"]}
    # Without a timeout every in-flight request finishes; the timed row is defect 5.
    assert (None, 5) in rows and len(rows) == 2
    assert code == 0 and data["ok"] is True
    assert "| uvicorn | none (wait) | 5/5 | 5 | 5 |" in report


def test_driver_rejects_unknown_sections() -> None:
    with pytest.raises(SystemExit):
        main(["--only", "everything"])
