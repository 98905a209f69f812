"""The scan report as text, JSON or Markdown (the migration plan)."""

from __future__ import annotations

import json
import typing as t
from collections import Counter

from .catalog import BRIDGE, CAVEAT, COVERED, MISSING, STATUSES, as_mapping
from .scan import FileReport, ScanResult, Use

FORMATS = ("text", "json", "markdown")


def render(result: ScanResult, fmt: str) -> str:
    if fmt == "text":
        return text(result)
    if fmt == "json":
        return json_report(result)
    if fmt == "markdown":
        return markdown(result)
    raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")


def _status_counts(uses: t.Iterable[Use]) -> Counter[str]:
    return Counter(u.status for u in uses)


def _names(result: ScanResult) -> dict[str, tuple[str, str, int]]:
    """name -> (status, note, count), by name."""
    names: dict[str, tuple[str, str, int]] = {}
    for f in result.files:
        for u in f.uses:
            _, _, count = names.get(u.name, (u.status, u.note, 0))
            names[u.name] = (u.status, u.note, count + 1)
    return dict(sorted(names.items()))


def _all_uses(result: ScanResult) -> list[Use]:
    return [u for f in result.files for u in f.uses]


def _summary(result: ScanResult) -> str:
    with_uses = sum(1 for f in result.files if f.uses)
    skipped = len(result.skipped)
    uses = sum(len(f.uses) for f in result.files)
    line = f"{uses} uses of Flask's API in {with_uses} of {len(result.files)} modules"
    if skipped:
        line += f" ({skipped} skipped: did not parse or read)"
    return line


def _module_counts(f: FileReport) -> str:
    counts = _status_counts(f.uses)
    return ", ".join(f"{s} {counts[s]}" for s in STATUSES if counts[s])


# -- text ------------------------------------------------------------------------


def text(result: ScanResult) -> str:
    out: list[str] = []
    for f in result.files:
        for u in f.uses:
            out.append(f"{f.path}:{u.line}: {u.name}: {u.status}")
    if result.skipped:
        out += ["", "Skipped modules:"]
        out += [f"  {f.path}: {f.error}" for f in result.skipped]
    counts = _status_counts(_all_uses(result))
    out += ["", "Per status:"]
    width = max(len(s) for s in STATUSES)
    out += [f"  {s:<{width}}  {counts[s]:>5}" for s in STATUSES]
    out += ["", "Per name:"]
    names = _names(result)
    if names:
        nw = max(len(n) for n in names)
        for name, (status, note, count) in names.items():
            out.append(f"  {name:<{nw}}  {count:>4}  {status}")
            if note:
                out.append(f"      {note}")
    out += ["", "Per module:"]
    modules = [f for f in result.files if f.uses]
    if modules:
        mw = max(len(f.path) for f in modules)
        out += [f"  {f.path:<{mw}}  {_module_counts(f)}" for f in modules]
    out += ["", _summary(result)]
    return "\n".join(out) + "\n"


# -- json ------------------------------------------------------------------------


def json_report(result: ScanResult) -> str:
    uses = [
        {"path": f.path, "line": u.line, "name": u.name, "status": u.status, "note": u.note}
        for f in result.files
        for u in f.uses
    ]
    counts = _status_counts(_all_uses(result))
    data = {
        "root": result.root,
        "coverage": as_mapping(result.coverage),
        "modules_scanned": len(result.files),
        "skipped": [{"path": f.path, "error": f.error} for f in result.skipped],
        "uses": uses,
        "totals": {
            "status": {s: counts[s] for s in STATUSES},
            "name": {
                name: {"status": status, "count": count, "note": note}
                for name, (status, note, count) in _names(result).items()
            },
            "module": {
                f.path: dict(sorted(_status_counts(f.uses).items())) for f in result.files if f.uses
            },
        },
    }
    return json.dumps(data, indent=2, sort_keys=False) + "\n"


# -- markdown: the migration plan ---------------------------------------------------

_VERDICT = {
    MISSING: "blocked",
    BRIDGE: "needs the bridge",
    CAVEAT: "ready, with caveats to check",
    COVERED: "ready",
}


def _module_verdict(f: FileReport) -> str:
    statuses = {u.status for u in f.uses}
    for status in (MISSING, BRIDGE, CAVEAT, COVERED):
        if status in statuses:
            return _VERDICT[status]
    return _VERDICT[COVERED]


def _cell(s: str) -> str:
    return s.replace("|", "\\|")


def _grouped(uses: list[Use]) -> list[tuple[str, list[int], str]]:
    """(name, lines, note) in first-line order: one bullet per name."""
    seen: dict[str, tuple[list[int], str]] = {}
    for u in uses:
        lines, _ = seen.setdefault(u.name, ([], u.note))
        lines.append(u.line)
    return [(name, lines, note) for name, (lines, note) in seen.items()]


def _bullets(uses: list[Use], with_note: bool) -> list[str]:
    out = []
    for name, lines, note in _grouped(uses):
        where = ", ".join(str(n) for n in lines)
        label = "line" if len(lines) == 1 else "lines"
        bullet = f"- `{name}` ({label} {where})"
        if with_note and note:
            bullet += f": {note}"
        out.append(bullet)
    return out


def markdown(result: ScanResult) -> str:
    cov = result.coverage
    out = [f"# Migration plan: `{result.root}`", "", _summary(result) + ".", ""]
    have = [
        f"Blueprint: {'yes' if cov.blueprint_attrs is not None else 'no'}",
        f"signals: {'yes' if cov.signals is not None else 'no'}",
        f"bridge_flask: {'yes' if cov.bridge else 'no'}",
    ]
    out += [
        "Coverage as read from the installed fastapi_flaskcompat (" + ", ".join(have) + ").",
        "",
        "| status | uses |",
        "|---|---:|",
    ]
    counts = _status_counts(_all_uses(result))
    out += [f"| {s} | {counts[s]} |" for s in STATUSES]
    verdicts = Counter(_module_verdict(f) for f in result.files if f.uses)
    out += ["", "| module verdict | modules |", "|---|---:|"]
    out += [f"| {v} | {verdicts[v]} |" for v in _VERDICT.values() if verdicts[v]]
    out += ["", "## Modules", ""]
    for f in result.files:
        if not f.uses:
            continue
        by_status = {s: [u for u in f.uses if u.status == s] for s in STATUSES}
        out += [f"### `{f.path}`: {_module_verdict(f)}", ""]
        if by_status[COVERED] or by_status[CAVEAT]:
            out.append(
                "What changes: import these from `fastapi_flaskcompat` (`python -m"
                " fastapi_flaskcompat rewrite` does the imports) and register the hooks on"
                " the `FlaskCompat`:"
            )
            changes = sorted(by_status[COVERED] + by_status[CAVEAT], key=lambda u: u.line)
            out += ["", *_bullets(changes, False), ""]
        if by_status[CAVEAT]:
            out += ["Caveats to check:", "", *_bullets(by_status[CAVEAT], True), ""]
        if by_status[BRIDGE]:
            out += ["Through the bridge:", "", *_bullets(by_status[BRIDGE], True), ""]
        if by_status[MISSING]:
            out += ["What blocks, and what to do instead:", ""]
            out += [*_bullets(by_status[MISSING], True), ""]
    if result.skipped:
        out += ["## Skipped modules", ""]
        out += [f"- `{f.path}`: {f.error}" for f in result.skipped]
        out.append("")
    out += ["## Names", "", "| name | status | uses | note |", "|---|---|---:|---|"]
    for name, (status, note, count) in _names(result).items():
        out.append(f"| `{_cell(name)}` | {status} | {count} | {_cell(note)} |")
    return "\n".join(out) + "\n"
