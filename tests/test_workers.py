"""More than one worker process, for real: tests/workers_app.py served by
``uvicorn --workers 2`` and ``hypercorn --workers 2`` (trio) on 127.0.0.1.

Every request goes on a new connection, so the kernel hands it to whichever
worker accepts first; we keep asking until another process than the one that
logged the user in answers, and check it sees the session: with Flask's
signed cookie only the shared ``SECRET_KEY`` is needed; with
``RedisSessionInterface`` the session is in a real redis-server, and expires
there as configured."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
import typing as t
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis

from benchmarks.stress.servers import HOST, REPO, Server, free_port, wait_ready

TESTS = Path(__file__).resolve().parent
SECRET = "shared-by-every-worker"
#: Requests (each on a new connection) before giving up on meeting a second worker.
MAX_TRIES = 400


def command(kind: str, port: int) -> list[str]:
    py = sys.executable
    if kind == "uvicorn":
        cmd = [py, "-m", "uvicorn", "workers_app:create_app", "--factory"]
        cmd += ["--host", HOST, "--port", str(port), "--workers", "2"]
        return [*cmd, "--log-level", "warning", "--no-access-log"]
    cmd = [py, "-m", "hypercorn", "workers_app:create_app()", "-b", f"{HOST}:{port}"]
    return [*cmd, "--workers", "2", "-k", "trio", "--log-level", "warning"]


@contextlib.contextmanager
def serve(kind: str, env: dict[str, str]) -> Iterator[Server]:
    port = free_port()
    full_env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO), str(TESTS)]), **env)
    log = tempfile.NamedTemporaryFile(prefix=f"workers-{kind}-", suffix=".log", delete=False)  # noqa: SIM115
    proc = subprocess.Popen(
        command(kind, port),
        env=full_env,
        cwd=str(REPO),
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    log.close()
    server = Server(kind, "workers_app", port, proc, Path(log.name))
    try:
        wait_ready(server, 60)
        yield server
    finally:
        server.stop()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)  # no worker outlives the test
        os.unlink(log.name)


def parent_of(pid: int) -> int:
    stat = Path(f"/proc/{pid}/stat").read_text()
    return int(stat.rsplit(")", 1)[1].split()[1])


def ask(
    server: Server, method: str, path: str, cookie: str | None, **headers: str
) -> httpx.Response:
    """One request on a new connection (a new client each time)."""
    if cookie:
        headers["Cookie"] = f"session={cookie}"
    response = httpx.request(method, server.url + path, headers=headers, timeout=10)
    assert response.status_code == 200, (response.status_code, response.text, server.log_tail())
    return response


def served_elsewhere(server: Server, cookie: str, first_pid: int) -> tuple[dict[str, t.Any], int]:
    """The first answer to ``GET /whoami`` from another process than ``first_pid``,
    and how many requests it took."""
    for tries in range(1, MAX_TRIES + 1):
        answer = ask(server, "GET", "/whoami", cookie).json()
        if answer["pid"] != first_pid:
            return answer, tries
    raise AssertionError(f"{MAX_TRIES} requests, all served by {first_pid}:\n{server.log_tail()}")


KINDS = ["uvicorn", "hypercorn-trio"]


@pytest.mark.parametrize("kind", KINDS)
def test_cookie_session_needs_only_the_shared_secret_key(kind: str) -> None:
    with serve(kind, {"SECRET_KEY": SECRET, "SESSION_STORE": "cookie"}) as server:
        login = ask(server, "POST", "/login/ann", None)
        cookie, pid_a = login.cookies["session"], login.json()["pid"]
        answer, tries = served_elsewhere(server, cookie, pid_a)
        print(f"{kind} cookie: another worker answered after {tries} request(s)")
        pid_b = answer["pid"]
        assert answer["user"] == "ann"
        # Two worker processes of the one server, not a restarted one.
        assert parent_of(pid_a) == parent_of(pid_b)
        assert pid_a != server.proc.pid != pid_b
        # Forwarding headers: uvicorn trusts them from 127.0.0.1 by default
        # (--forwarded-allow-ips), hypercorn never without its ProxyFixMiddleware.
        forwarded = {"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"}
        client = ask(server, "GET", "/client", None, **forwarded).json()
        if kind == "uvicorn":
            assert client == {"remote_addr": "203.0.113.7", "scheme": "https"}
        else:
            assert client == {"remote_addr": "127.0.0.1", "scheme": "http"}


@pytest.mark.parametrize("kind", KINDS)
def test_redis_session_is_shared_and_expires(kind: str, redis_server: t.Any) -> None:
    lifetime = 2.0
    prefix = f"workers-{kind}:"
    store = redis.Redis.from_url(redis_server.url)
    env = {
        "SECRET_KEY": SECRET,
        "SESSION_STORE": "redis",
        "REDIS_URL": redis_server.url,
        "SESSION_LIFETIME": str(lifetime),
        "SESSION_PREFIX": prefix,
    }
    with serve(kind, env) as server:
        login = ask(server, "POST", "/login/ann", None)
        cookie, pid_a = login.cookies["session"], login.json()["pid"]
        (key,) = store.keys(prefix + "*")
        assert 0 < t.cast(int, store.pttl(key)) <= lifetime * 1000
        answer, tries = served_elsewhere(server, cookie, pid_a)
        print(f"{kind} redis: another worker answered after {tries} request(s)")
        assert answer["user"] == "ann"
        # A change made by one process is read by the other.
        changed = ask(server, "POST", "/visit", cookie).json()
        seen_by = {changed["pid"]: changed["visits"]}
        for _ in range(MAX_TRIES):
            answer = ask(server, "GET", "/whoami", cookie).json()
            seen_by[answer["pid"]] = answer["visits"]
            if len(seen_by) == 2:
                break
        assert list(seen_by.values()) == [1, 1], seen_by
        # Expiry: PERMANENT_SESSION_LIFETIME after the last request, gone from Redis.
        last = time.monotonic()
        ttl = t.cast(int, store.pttl(key))
        assert 0 < ttl <= lifetime * 1000
        time.sleep(lifetime + 0.3 - (time.monotonic() - last))
        assert store.exists(key) == 0
        answer = ask(server, "GET", "/whoami", cookie).json()
        assert answer["user"] is None
        print(f"{kind} redis: TTL {ttl} ms after the last request; gone after {lifetime + 0.3} s")
