"""Through a real server: uvicorn on 127.0.0.1, a bounded keep-alive load generator here."""

from __future__ import annotations

import asyncio
import os
import random
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .variants import Unavailable, _bare_async, _floor, _lib_hooks

HOST = "127.0.0.1"  # never anything but loopback
REPO = Path(__file__).resolve().parent.parent


def bare_app() -> Any:
    """uvicorn --factory entry point."""
    return _bare_async().asgi


def flaskcompat_app() -> Any:
    """uvicorn --factory entry point."""
    return _lib_hooks("", "none")().asgi


def floor_app() -> Any:
    """uvicorn --factory entry point."""
    return _floor().asgi


BARE_SERVER = "bare FastAPI"
# A second bare server shows how much two identical servers differ on this machine.
SERVERS = {
    BARE_SERVER: "bare_app",
    "bare FastAPI again (noise control)": "bare_app",
    "floor: pure ASGI, one ContextVar": "floor_app",
    "flaskcompat, no hooks": "flaskcompat_app",
}


@dataclass
class LoadRun:
    requests: int
    seconds: float
    latencies_ms: list[float]

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    def percentile(self, p: float) -> float:
        data = sorted(self.latencies_ms)
        return data[min(len(data) - 1, int(p / 100 * len(data)))]


@dataclass
class ServerResult:
    runs: dict[str, list[LoadRun]] = field(default_factory=dict)
    # server -> metric ("rps", "p50", "p99") -> its value ÷ bare's, one per round
    ratios: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)
    skipped: str | None = None


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def start_server(factory: str, port: int) -> subprocess.Popen[bytes]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), *sys.path[1:]])
    cmd = [sys.executable, "-m", "uvicorn", f"benchmarks.server:{factory}", "--factory"]
    cmd += [
        "--host",
        HOST,
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--no-access-log",
        "--loop",
        "asyncio",
    ]
    return subprocess.Popen(
        cmd, env=env, cwd=str(REPO), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )


async def wait_ready(port: int, proc: subprocess.Popen[bytes], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            err = proc.stderr.read().decode() if proc.stderr else ""
            raise RuntimeError(f"server exited early: {err[-2000:]}")
        try:
            _, writer = await asyncio.open_connection(HOST, port)
        except OSError:
            await asyncio.sleep(0.05)
            continue
        writer.close()
        await writer.wait_closed()
        return
    raise RuntimeError(f"server on port {port} not ready after {timeout} s")


async def _connection(
    port: int, budget: list[int], deadline: float, latencies: list[float]
) -> None:
    reader, writer = await asyncio.open_connection(HOST, port)
    try:
        while budget[0] > 0 and time.perf_counter() < deadline:
            budget[0] -= 1
            q = budget[0]
            writer.write(
                f"GET /item?q={q} HTTP/1.1\r\nHost: {HOST}\r\nX-Token: abc\r\n\r\n".encode()
            )
            t0 = time.perf_counter()
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            body = await reader.readexactly(length)
            latencies.append((time.perf_counter() - t0) * 1e3)
            if not head.startswith(b"HTTP/1.1 200") or body != f'{{"q":"{q}"}}'.encode():
                raise AssertionError(f"bad response {head[:40]!r} {body[:80]!r}")
    finally:
        writer.close()
        await writer.wait_closed()


async def load(port: int, *, connections: int, max_requests: int, max_seconds: float) -> LoadRun:
    """Keep-alive clients, bounded both by request count and by time."""
    budget = [max_requests]
    latencies: list[float] = []
    t0 = time.perf_counter()
    deadline = t0 + max_seconds
    await asyncio.gather(
        *(_connection(port, budget, deadline, latencies) for _ in range(connections))
    )
    return LoadRun(len(latencies), time.perf_counter() - t0, latencies)


async def run(
    *,
    rounds: int,
    connections: int,
    max_requests: int,
    max_seconds: float,
    only: tuple[str, ...] | None = None,
    seed: int = 3,
) -> ServerResult:
    result = ServerResult(
        settings={
            "rounds": rounds,
            "connections": connections,
            "max_requests": max_requests,
            "max_seconds": max_seconds,
        }
    )
    try:
        flaskcompat_app()
    except Unavailable as exc:
        result.skipped = str(exc)
        return result
    procs: dict[str, tuple[subprocess.Popen[bytes], int]] = {}
    try:
        for name, factory in SERVERS.items():
            if only is not None and name not in only and name != BARE_SERVER:
                continue
            port = free_port()
            procs[name] = (start_server(factory, port), port)
        for proc, port in procs.values():
            await wait_ready(port, proc)
        for _proc, port in procs.values():  # warm-up
            await load(
                port,
                connections=connections,
                max_requests=max(200, max_requests // 10),
                max_seconds=max_seconds / 4,
            )
        rng = random.Random(seed)
        names = list(procs)
        result.runs = {name: [] for name in names}
        for _ in range(rounds):
            rng.shuffle(names)
            this: dict[str, LoadRun] = {}
            for name in names:
                this[name] = await load(
                    procs[name][1],
                    connections=connections,
                    max_requests=max_requests,
                    max_seconds=max_seconds,
                )
                result.runs.setdefault(name, []).append(this[name])
            bare = this[BARE_SERVER]
            for name, run in this.items():
                if name == BARE_SERVER:
                    continue
                mine = result.ratios.setdefault(name, {"rps": [], "p50": [], "p99": []})
                mine["rps"].append(run.rps / bare.rps)
                mine["p50"].append(run.percentile(50) / bare.percentile(50))
                mine["p99"].append(run.percentile(99) / bare.percentile(99))
    finally:
        for proc, _port in procs.values():
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    return result


def summary(runs: list[LoadRun]) -> dict[str, float]:
    return {
        "rps": statistics.median(r.rps for r in runs),
        "p50": statistics.median(r.percentile(50) for r in runs),
        "p99": statistics.median(r.percentile(99) for r in runs),
        "requests": sum(r.requests for r in runs),
    }
