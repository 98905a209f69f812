"""The fault matrix, client disconnects and SIGTERM, through real servers.

* Faults: an exception (or ``abort``) at each stage. The status must be
  Flask's (a ``flask.Flask`` app doing the same under Werkzeug's server)
  where Flask has the stage, bare FastAPI's where only FastAPI has it;
  teardown runs once with Flask's argument; the next request on the same
  client gets a fresh ``g``.
* Disconnects: the client leaves mid-upload, mid-stream, and while a sync
  endpoint runs; teardown must still run once (after the endpoint ended).
* SIGTERM with sync requests in flight, with and without a graceful-shutdown
  timeout shorter than the requests: responses and teardowns counted.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import signal
import socket
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from . import wire
from .apps import FASTAPI_STAGES, FLASK_STAGES
from .journal import Journal
from .servers import HOST, serve
from .wire import request_bytes

OURS = "benchmarks.stress.apps:fault_app"
FLASK = "benchmarks.stress.apps:fault_flask_app"
BARE = "benchmarks.stress.apps:fault_bare_app"

# Where our status deliberately differs from Flask's (docs/decisions.md).
DEPARTURES = {"teardown": ("200", "teardown errors are logged, never mask the response")}


@dataclass(frozen=True)
class Case:
    stage: str
    path: str  # on our app
    reference: str  # "flask" or "fastapi"

    @property
    def reference_path(self) -> str:
        if self.reference == "fastapi":
            return "/fault/{rid}"
        return "/fault-stream/{rid}" if self.stage == "mid_stream" else "/fault-sync/{rid}"


def cases() -> list[Case]:
    out = []
    for stage in FLASK_STAGES:
        if stage == "mid_stream":
            out.append(Case(stage, "/fault-stream/{rid}", "flask"))
        elif stage == "endpoint_sync":
            out.append(Case(stage, "/fault-sync/{rid}", "flask"))
        else:
            out.append(Case(stage, "/fault-sync/{rid}", "flask"))
            out.append(Case(stage, "/fault/{rid}", "flask"))
    out += [Case(stage, "/fault/{rid}", "fastapi") for stage in FASTAPI_STAGES]
    return out


@dataclass
class FaultRow:
    case: Case
    expected: str
    got: str
    teardowns: int
    teardown_exc: str
    flask_teardown_exc: str | None
    next_request: str  # status of the next request on the same client
    fresh_g: bool
    same_connection: bool  # False where the server closed the connection after the fault

    @property
    def ok(self) -> bool:
        exc_ok = self.flask_teardown_exc is None or self.teardown_exc == self.flask_teardown_exc
        return (
            self.got == self.expected
            and self.teardowns == 1
            and exc_ok
            and self.next_request == "200"
            and self.fresh_g
        )


@dataclass
class DisconnectRow:
    case: str
    teardowns: int
    after_view: bool  # teardown came after the view finished (where there is a view)
    server_ok_after: bool

    @property
    def ok(self) -> bool:
        return self.teardowns == 1 and self.after_view and self.server_ok_after


@dataclass
class ShutdownRow:
    server: str
    graceful: float | None
    in_flight: int
    answered_200: int
    teardowns: int
    teardowns_after_view: int
    exit_seconds: float

    @property
    def ok(self) -> bool:
        return self.teardowns == self.teardowns_after_view == self.in_flight


@dataclass
class FaultResult:
    server: str
    rows: list[FaultRow] = field(default_factory=list)
    disconnects: list[DisconnectRow] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.rows) and all(d.ok for d in self.disconnects)


def _rid(prefix: str) -> str:
    return f"{prefix}{secrets.token_hex(4)}"


def _fault_request(path: str, rid: str, stage: str) -> bytes:
    return request_bytes("GET", path.format(rid=rid), {"X-Rid": rid, "X-Fault": stage})


@dataclass
class Reference:
    status: str
    teardown_excs: list[str]  # the argument of each teardown call, in order


async def references(workdir: Path) -> dict[tuple[str, str], Reference]:
    """``(stage, reference) -> outcome`` from Flask (Werkzeug) and bare FastAPI (uvicorn)."""
    out: dict[tuple[str, str], Reference] = {}
    log = Journal(workdir / "faults-flask.journal")
    ref_cases = {(c.stage, c.reference): c for c in cases()}
    with serve("flask", FLASK, env=log.env) as flask_server:
        for (stage, ref), case in ref_cases.items():
            if ref == "flask":
                rid = _rid("f")
                reply = await wire.one(
                    flask_server.port, _fault_request(case.reference_path, rid, stage)
                )
                await asyncio.to_thread(log.wait_for, "teardown", [rid], 5)
                await asyncio.sleep(0.05)  # Flask may tear down twice (stream_with_context)
                excs = [p[3] for p in log.events("teardown") if p[1] == rid and len(p) > 3]
                out[(stage, ref)] = Reference(reply.outcome, excs)
    with serve("uvicorn", BARE) as bare:
        for (stage, ref), case in ref_cases.items():
            if ref == "fastapi":
                reply = await wire.one(
                    bare.port, _fault_request(case.reference_path, _rid("b"), stage)
                )
                out[(stage, ref)] = Reference(reply.outcome, [])
    return out


async def _matrix(
    port: int, log: Journal, refs: dict[tuple[str, str], Reference]
) -> list[FaultRow]:
    rows = []
    for case in cases():
        ref = refs[(case.stage, case.reference)]
        expected = DEPARTURES[case.stage][0] if case.stage in DEPARTURES else ref.status
        flask_exc = ref.teardown_excs[-1] if ref.teardown_excs else None
        if case.stage in DEPARTURES:
            flask_exc = None
        rid, rid_next = _rid("x"), _rid("n")
        conn = await wire.Connection.open(port)
        try:
            reply = await conn.exchange(_fault_request(case.path, rid, case.stage))
            same_connection = reply.reusable
            if not same_connection:  # the server closed it (as after any 500): a new one
                conn.close()
                conn = await wire.Connection.open(port)
            after = await conn.exchange(_fault_request("/fault-sync/{rid}", rid_next, "none"))
            if after.status is None and same_connection:
                # Servers close the connection after an app raised, even once the
                # response looked keep-alive: retry on a new one, as HTTP clients do.
                same_connection = False
                conn = await wire.Connection.open(port)
                rid_next = _rid("n")
                after = await conn.exchange(_fault_request("/fault-sync/{rid}", rid_next, "none"))
        finally:
            conn.close()
        counts = await asyncio.to_thread(log.wait_for, "teardown", [rid, rid_next], 5)
        excs = [p[3] for p in log.events("teardown") if p[1] == rid and len(p) > 3]
        fresh = after.header("x-g-at-start") == b"" and not log.events("stale-g")
        rows.append(
            FaultRow(
                case,
                expected,
                reply.outcome,
                counts.get(rid, 0),
                ",".join(excs),
                flask_exc,
                after.outcome,
                fresh and counts.get(rid_next) == 1,
                same_connection,
            )
        )
    return rows


def _raw(port: int, head: bytes, body: bytes = b"") -> socket.socket:
    conn = socket.create_connection((HOST, port), timeout=5)
    conn.sendall(head + body)
    return conn


async def _disconnects(url: str, port: int, log: Journal) -> list[DisconnectRow]:
    rows = []

    async def healthy() -> bool:
        async with httpx.AsyncClient(base_url=url, timeout=5) as client:
            rid = _rid("h")
            r = await client.get(f"/fault-sync/{rid}", headers={"x-rid": rid})
            return r.status_code == 200

    def finish(case: str, rid: str) -> DisconnectRow:
        log.wait_for("teardown", [rid], timeout=5)
        time.sleep(0.1)  # a second teardown, if any, would land now
        return DisconnectRow(case, log.count("teardown").get(rid, 0), True, False)

    for case, mimetype in (
        ("mid-upload json", "application/json"),
        ("mid-upload octet", "application/octet-stream"),
    ):
        rid = _rid("u")
        head = (
            f"POST /upload/{rid} HTTP/1.1\r\nHost: t\r\nX-Rid: {rid}\r\n"
            f"Content-Type: {mimetype}\r\nContent-Length: 200000\r\n\r\n"
        ).encode()
        conn = _raw(port, head, b'{"a": "' + b"x" * 1000)
        await asyncio.sleep(0.3)
        conn.close()
        rows.append(await asyncio.to_thread(finish, case, rid))

    rid = _rid("s")
    conn = _raw(
        port, f"GET /slow-stream/{rid} HTTP/1.1\r\nHost: t\r\nX-Rid: {rid}\r\n\r\n".encode()
    )
    first = await asyncio.to_thread(conn.recv, 4096)
    conn.close()
    row = await asyncio.to_thread(finish, "mid-stream", rid)
    row.after_view = first.startswith(b"HTTP/1.1 200")
    rows.append(row)

    rid = _rid("v")
    conn = _raw(
        port, f"GET /sleep/{rid}?ms=300 HTTP/1.1\r\nHost: t\r\nX-Rid: {rid}\r\n\r\n".encode()
    )
    await asyncio.to_thread(log.wait_for, "view-start", [rid], 5)
    conn.close()
    row = await asyncio.to_thread(finish, "during sync endpoint", rid)
    order = [p[0] for p in log.lines() if p[1] == rid and p[0] in ("view-end", "teardown")]
    row.after_view = order == ["view-end", "teardown"]
    rows.append(row)

    ok = await healthy()
    for row in rows:
        row.server_ok_after = ok
    return rows


async def run_all(
    kinds: tuple[str, ...], workdir: Path, refs: dict[tuple[str, str], Reference]
) -> dict[str, FaultResult]:
    """:func:`run` for every server kind at once, each in its own thread and loop
    (they spend their time waiting on servers, not computing)."""
    results = await asyncio.gather(
        *(asyncio.to_thread(asyncio.run, run(kind, workdir, refs)) for kind in kinds)
    )
    return dict(zip(kinds, results, strict=True))


async def run(kind: str, workdir: Path, refs: dict[tuple[str, str], Reference]) -> FaultResult:
    result = FaultResult(kind)
    log = Journal(workdir / f"faults-{kind}.journal")
    with serve(kind, OURS, env=log.env) as server:
        result.rows = await _matrix(server.port, log, refs)
        result.disconnects = await _disconnects(server.url, server.port, log)
    return result


SHUTDOWN = "benchmarks.stress.apps:shutdown_app"


async def shutdown_all(
    kinds: tuple[str, ...], workdir: Path, graceful: tuple[float | None, ...] = (None, 1.0)
) -> dict[tuple[str, float | None], ShutdownRow]:
    """:func:`shutdown` for every kind and timeout at once, one thread each: the
    requests sleep, so the rows take the time of one, not of all."""
    keys = [(kind, g) for kind in kinds for g in graceful]
    rows = await asyncio.gather(
        *(asyncio.to_thread(shutdown, kind, workdir, g) for kind, g in keys)
    )
    return dict(zip(keys, rows, strict=True))


def shutdown(kind: str, workdir: Path, graceful: float | None, in_flight: int = 5) -> ShutdownRow:
    """SIGTERM with ``in_flight`` sync requests of 2.5 s running; count what completes."""
    log = Journal(workdir / f"shutdown-{kind}-{graceful}.journal")
    rids = [_rid("t") for _ in range(in_flight)]
    socks = []
    answered = 0
    with serve(kind, SHUTDOWN, env=log.env, graceful=graceful) as server:
        try:
            for rid in rids:
                socks.append(
                    _raw(
                        server.port,
                        f"GET /sleep?ms=2500&rid={rid} HTTP/1.1\r\nHost: t\r\n\r\n".encode(),
                    )
                )
            log.wait_for("view-start", rids, timeout=10)
            t0 = time.monotonic()
            server.signal(signal.SIGTERM)
            server.wait(timeout=30)
            seconds = time.monotonic() - t0
            for conn in socks:
                conn.settimeout(1)
                with contextlib.suppress(OSError):
                    answered += conn.recv(12).startswith(b"HTTP/1.1 200")
        finally:
            for conn in socks:
                conn.close()
    teardowns = [p for p in log.events("teardown") if p[1] in rids]
    after = sum(1 for p in teardowns if len(p) > 3 and p[3] == "after-view")
    return ShutdownRow(kind, graceful, in_flight, answered, len(teardowns), after, seconds)
