"""What a new user gets on a fresh machine, in fresh virtualenvs.

CI's machine has every extra installed, which once hid a crash of the
README's first command: these tests install from a copy of the checkout into
a new venv, so a missing dependency shows here. Traffic goes to 127.0.0.1
only (pip reaches the package index, as a user's does).
"""

from __future__ import annotations

import itertools
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[1]
INSTALL_TIMEOUT = 300


def readme_commands() -> list[str]:
    """The indented commands under the README's "Two commands" heading."""
    text = (ROOT / "README.md").read_text()
    section = text.split("## Two commands", 1)[1].split("\n## ", 1)[0]
    return [line.strip() for line in section.splitlines() if line.startswith("    ")]


@pytest.fixture(scope="module")
def checkout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the files git tracks, as a fresh clone has them."""
    dest = tmp_path_factory.mktemp("checkout")
    files = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.split(b"\0")
    for name in filter(None, files):
        source = ROOT / name.decode()
        if source.is_file():
            target = dest / name.decode()
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    return dest


def run(cmd: list[str], cwd: Path, timeout: float = INSTALL_TIMEOUT) -> str:
    done = subprocess.run(
        cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert done.returncode == 0, f"{shlex.join(cmd)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


BARE_CHECK = textwrap.dedent(
    """
    import asyncio, importlib.util, json
    from fastapi import FastAPI
    from fastapi_flaskcompat import FlaskCompat, g, request, session

    absent = [m for m in ("itsdangerous", "flask", "blinker", "jinja2", "libcst")
              if importlib.util.find_spec(m) is not None]
    app = FastAPI()
    compat = FlaskCompat(app, config={"SECRET_KEY": "k"})

    @compat.before_request
    def load() -> None:
        g.user = request.args.get("user")

    @app.get("/")
    async def index() -> dict:
        try:
            session["x"] = 1
            session_error = None
        except RuntimeError as e:
            session_error = str(e)
        return {"user": g.user, "session_error": session_error}

    async def serve_one() -> tuple[int, bytes]:
        sent = []
        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
                 "method": "GET", "scheme": "http", "path": "/", "raw_path": b"/",
                 "root_path": "", "query_string": b"user=ann", "headers": [(b"host", b"t")],
                 "client": ("127.0.0.1", 1), "server": ("t", 80)}
        async def receive():
            return {"type": "http.request", "body": b"", "more_body": False}
        async def send(message):
            sent.append(message)
        await app(scope, receive, send)
        body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
        return sent[0]["status"], body

    try:
        import fastapi_flaskcompat.signals
        signals_error = None
    except ImportError as e:
        signals_error = str(e)
    status, body = asyncio.run(serve_one())
    print(json.dumps({"absent_but_found": absent, "status": status,
                      "body": json.loads(body), "signals_error": signals_error}))
    """
)


def test_bare_install_serves_a_request(checkout: Path, tmp_path: Path) -> None:
    """``pip install fastapi-flaskcompat`` with no extra gives a working library,
    and each optional feature's absence names its extra."""
    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", str(venv)], tmp_path)
    python = str(venv / "bin" / "python")
    run([python, "-m", "pip", "install", "-q", str(checkout)], tmp_path)
    (tmp_path / "check.py").write_text(BARE_CHECK)
    import json

    out = json.loads(run([python, "check.py"], tmp_path, timeout=60).strip().splitlines()[-1])
    assert out["absent_but_found"] == [], "the bare venv is not bare: the check proves nothing"
    assert out["status"] == 200
    assert out["body"]["user"] == "ann"
    assert "fastapi-flaskcompat[sessions]" in out["body"]["session_error"]
    assert "fastapi-flaskcompat[signals]" in out["signals_error"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def first_command(checkout: Path) -> Iterator[subprocess.Popen[str]]:
    """The README's first command, run as written in the copy, on a free port."""
    command = readme_commands()[0]
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    env["PATH"] = os.pathsep.join(
        p for p in env.get("PATH", "").split(os.pathsep) if ".venv" not in p
    )
    env["PORT"] = str(free_port())
    env["PYTHONUNBUFFERED"] = "1"
    proc = subprocess.Popen(
        ["bash", "-c", command],
        cwd=checkout,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        yield proc
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


CURL = re.compile(r"curl -i (?P<args>.*)$")


def read_banner(proc: subprocess.Popen[str]) -> list[str]:
    """Lines printed up to the server's 'Uvicorn running' line (or the end)."""
    assert proc.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + INSTALL_TIMEOUT
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line.rstrip("\n"))
        if "Uvicorn running on" in line:
            return lines
    raise AssertionError("the server did not start:\n" + "\n".join(lines[-40:]))


def test_readme_first_command_serves_the_urls_it_prints(
    first_command: subprocess.Popen[str],
) -> None:
    lines = read_banner(first_command)
    calls = [m["args"] for line in lines if (m := CURL.search(line.strip()))]
    assert calls, "the example printed no URLs to try:\n" + "\n".join(lines)
    statuses = []
    with httpx.Client(timeout=10) as client:
        for args in calls:
            words = shlex.split(args)
            headers: dict[str, str] = {}
            data = None
            url = words[-1]
            for flag, value in itertools.pairwise(words):
                if flag == "-H":
                    name, _, header_value = value.partition(":")
                    headers[name.strip()] = header_value.strip()
                elif flag == "-d":
                    data = value
            assert url.startswith("http://127.0.0.1:"), url
            method = "POST" if data is not None else "GET"
            r = client.request(method, url, headers=headers, content=data)
            statuses.append((method, url, r.status_code))
    assert all(status < 500 for *_, status in statuses), statuses
    assert any(status == 200 for *_, status in statuses), statuses
