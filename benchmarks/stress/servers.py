"""Real servers as subprocesses on 127.0.0.1 free ports, always stopped.

``serve(kind, target)`` starts ``target`` (``"module:factory"``) under one
of :data:`KINDS` and yields a :class:`Server`; leaving the block stops it
(SIGTERM, then SIGKILL after a bound). Server logs go to a file, never to a
pipe nobody reads (a full pipe would block the server).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

HOST = "127.0.0.1"  # never anything but loopback
REPO = Path(__file__).resolve().parents[2]

#: Server kinds the driver runs; ``flask`` is Werkzeug's threaded server, the reference.
KINDS = ("uvicorn", "hypercorn-asyncio", "hypercorn-trio", "uvicorn-workers2")
#: Worker processes a kind runs, where more than one.
WORKERS = {"uvicorn-workers2": 2}


_handed_out: set[int] = set()
_ports_lock = threading.Lock()


def free_port() -> int:
    """A free port, never one handed out before in this process: servers started
    concurrently cannot be given the same one before either has bound it."""
    with _ports_lock:
        while True:
            with socket.socket() as s:
                s.bind((HOST, 0))
                port = int(s.getsockname()[1])
            if port not in _handed_out:
                _handed_out.add(port)
                return port


def command(kind: str, target: str, port: int, graceful: float | None = None) -> list[str]:
    """The command line serving ``target`` (``module:factory``) as ``kind``.

    ``graceful``: seconds the server waits for in-flight requests after SIGTERM
    before cancelling them; None is the server's "wait for them" (uvicorn's
    default; hypercorn's default is 3 s, so None gives it an hour).
    """
    py = sys.executable
    if kind in ("uvicorn", "uvicorn-workers2"):
        cmd = [py, "-m", "uvicorn", target, "--factory", "--host", HOST, "--port", str(port)]
        cmd += ["--log-level", "warning", "--no-access-log", "--loop", "asyncio"]
        if kind == "uvicorn-workers2":
            cmd += ["--workers", "2"]
        if graceful is not None:
            cmd += ["--timeout-graceful-shutdown", str(max(1, round(graceful)))]
        return cmd
    if kind in ("hypercorn-asyncio", "hypercorn-trio"):
        worker = kind.split("-", 1)[1]
        cmd = [py, "-m", "hypercorn", f"{target}()", "-b", f"{HOST}:{port}", "-k", worker]
        seconds = 3600 if graceful is None else max(1, round(graceful))
        cmd += ["--log-level", "warning", "--graceful-timeout", str(seconds)]
        return cmd
    if kind == "flask":
        return [py, "-m", "benchmarks.stress.flask_server", target, str(port)]
    raise ValueError(f"unknown server kind {kind!r}")


@dataclass
class Server:
    kind: str
    target: str
    port: int
    proc: subprocess.Popen[bytes]
    log_path: Path
    env: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def log_tail(self, n: int = 3000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-n:]
        except OSError:
            return ""

    def signal(self, sig: int = signal.SIGTERM) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)

    def wait(self, timeout: float) -> int | None:
        """The exit code, or None if still running after ``timeout`` seconds."""
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self, timeout: float = 10.0) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            if self.wait(timeout) is None:
                # Our own child's process group: its workers go with it.
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


def wait_ready(server: Server, timeout: float = 30.0) -> None:
    """Until the server answers HTTP (any status) on its port."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            raise RuntimeError(f"{server.kind} exited early:\n{server.log_tail()}")
        try:
            with socket.create_connection((HOST, server.port), timeout=2) as s:
                s.sendall(b"GET /__ready HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                if s.recv(12).startswith(b"HTTP/1."):
                    return
        except OSError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"{server.kind} on port {server.port} not ready:\n{server.log_tail()}")


@contextlib.contextmanager
def serve(
    kind: str,
    target: str,
    *,
    env: dict[str, str] | None = None,
    graceful: float | None = None,
    ready_timeout: float = 30.0,
) -> Iterator[Server]:
    """Run ``target`` under ``kind`` for the duration of the block."""
    port = free_port()
    full_env = dict(os.environ)
    full_env["PYTHONPATH"] = os.pathsep.join([str(REPO), full_env.get("PYTHONPATH", "")])
    full_env.update(env or {})
    log = tempfile.NamedTemporaryFile(  # noqa: SIM115  # closed below, read after exit
        prefix=f"stress-{kind}-", suffix=".log", delete=False
    )
    proc = subprocess.Popen(
        command(kind, target, port, graceful),
        env=full_env,
        cwd=str(REPO),
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    log.close()
    server = Server(kind, target, port, proc, Path(log.name), env or {})
    try:
        wait_ready(server, ready_timeout)
        yield server
    finally:
        server.stop()
        with contextlib.suppress(OSError):
            os.unlink(log.name)
