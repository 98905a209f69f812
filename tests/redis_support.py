"""A real ``redis-server`` (Debian's package) on a free 127.0.0.1 port, in a
temporary directory, without persistence; started and stopped by the tests."""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

HOST = "127.0.0.1"


@dataclass
class RedisServer:
    port: int
    proc: subprocess.Popen[bytes]
    dir: Path

    @property
    def url(self) -> str:
        return f"redis://{HOST}:{self.port}/0"

    def log(self) -> str:
        try:
            return (self.dir / "redis.log").read_text(errors="replace")[-2000:]
        except OSError:
            return ""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def _ping(port: int) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=0.5) as s:
            s.sendall(b"PING\r\n")
            return s.recv(7) == b"+PONG\r\n"
    except OSError:
        return False


@contextlib.contextmanager
def redis_server(timeout: float = 10.0) -> Iterator[RedisServer]:
    """Run ``redis-server`` for the duration of the block."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError(
            "redis-server is not installed: apt-get install -y redis-server (.ci/run does)"
        )
    with tempfile.TemporaryDirectory(prefix="flaskcompat-redis-") as tmp:
        for _attempt in range(3):  # the port may be taken between choosing and binding
            port = _free_port()
            cmd = [binary, "--bind", HOST, "--port", str(port), "--dir", tmp]
            cmd += ["--save", "", "--appendonly", "no", "--daemonize", "no"]
            cmd += ["--logfile", str(Path(tmp) / "redis.log"), "--protected-mode", "yes"]
            proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, start_new_session=True)
            server = RedisServer(port, proc, Path(tmp))
            deadline = time.monotonic() + timeout
            while proc.poll() is None and time.monotonic() < deadline and not _ping(port):
                time.sleep(0.02)
            if proc.poll() is None and _ping(port):
                break
            _stop(proc)
        else:
            raise RuntimeError(f"redis-server did not start:\n{server.log()}")
        try:
            yield server
        finally:
            _stop(proc)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
