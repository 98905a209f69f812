"""A per-run event log shared by every server process: one line per event.

Server apps append ``event rid pid`` lines to the file named by the
``STRESS_JOURNAL`` environment variable (one ``O_APPEND`` write per line, so
lines from two workers never interleave); the driver reads it back to count
teardowns and mismatches per request, whichever worker served it.
"""

from __future__ import annotations

import collections
import os
import time
from collections.abc import Iterable
from pathlib import Path

ENV = "STRESS_JOURNAL"

_fd: int | None = None


def write(event: str, rid: object = "-", detail: object = "") -> None:
    """Append one event (no-op when the server was started without a journal)."""
    global _fd
    if _fd is None:
        path = os.environ.get(ENV)
        if not path:
            return
        _fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    detail = str(detail).replace("\n", " ")
    os.write(_fd, f"{event} {rid} {os.getpid()} {detail}".rstrip().encode() + b"\n")


class Journal:
    """The reading side: the driver's view of one journal file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.touch()

    @property
    def env(self) -> dict[str, str]:
        return {ENV: str(self.path)}

    def lines(self) -> list[list[str]]:
        text = self.path.read_text(errors="replace")
        return [line.split(" ", 3) for line in text.splitlines() if line]

    def events(self, event: str) -> list[list[str]]:
        return [parts for parts in self.lines() if parts[0] == event]

    def count(self, event: str) -> collections.Counter[str]:
        """How many times ``event`` was written, per request id."""
        return collections.Counter(parts[1] for parts in self.events(event))

    def pids(self, event: str) -> set[str]:
        return {parts[2] for parts in self.events(event) if len(parts) > 2}

    def wait_for(self, event: str, rids: Iterable[str], timeout: float) -> collections.Counter[str]:
        """Poll until every rid has ``event`` at least once (or ``timeout``); the counts."""
        wanted = set(rids)
        deadline = time.monotonic() + timeout
        while True:
            counts = self.count(event)
            if wanted <= set(counts) or time.monotonic() > deadline:
                return counts
            time.sleep(0.02)
