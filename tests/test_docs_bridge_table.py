"""docs/bridge.md's table of proven extensions is what tests/bridge/table.py makes
of the bridge scenarios and the installed versions."""

from __future__ import annotations

from bridge import table


def test_the_page_holds_the_generated_table() -> None:
    page = table.PAGE.read_text()
    assert table.page_table(page) == table.table(), (
        "docs/bridge.md is stale: run `python -m tests.bridge.table --write`"
    )


def test_every_scenario_test_is_in_the_table() -> None:
    found = {(ext.module, test.name) for ext in table.extensions() for test in ext.tests}
    defined = {
        (path.name, line.split("(")[0].split()[-1])
        for path in table.BRIDGE.glob("test_flask_*.py")
        for line in path.read_text().splitlines()
        if line.startswith(("def test_", "async def test_"))
    }
    assert found == defined
    assert len({module for module, _ in found}) >= 6
