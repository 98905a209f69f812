"""The Flask versions the bridge supports: the oldest and the newest release.

The oldest is the lower bound of the ``flask`` extra in pyproject.toml (one
source of truth); the newest is what the package index serves today. Each is
installed on its own (``pip install --no-deps --target``) ahead of the venv's
packages on ``PYTHONPATH``, and the extension scenarios of tests/bridge run
against it in a subprocess: a real ``flask.Flask`` app and FastAPI + the
bridge, asserting the same answers, with that Flask on both sides.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT = 600


def oldest_supported() -> str:
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]
    (pin,) = [r for r in extras["flask"] if re.match(r"flask\b", r, re.I)]
    found = re.fullmatch(r"flask>=([\w.]+)", pin.replace(" ", ""), re.I)
    assert found, f"the flask extra's pin {pin!r} is not a lower bound"
    return found.group(1)


def install(spec: str, target: Path) -> str:
    """Install Flask alone into ``target``; the version pip chose."""
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target), spec],
        check=True,
        capture_output=True,
        timeout=TIMEOUT,
    )
    (dist,) = target.glob("flask-*.dist-info")
    return dist.name.removeprefix("flask-").removesuffix(".dist-info")


@pytest.mark.parametrize("which", ["oldest", "newest"])
def test_the_bridge_scenarios_pass_on_flask(which: str, tmp_path: Path) -> None:
    spec = f"flask=={oldest_supported()}" if which == "oldest" else "flask"
    version = install(spec, tmp_path)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)])}
    probe = "import flask, importlib.metadata as m; print(m.version('flask'), flask.__file__)"
    seen = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True
    ).stdout.split()
    assert seen[0] == version and seen[1].startswith(str(tmp_path)), seen
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "tests/bridge"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert done.returncode == 0, f"Flask {version}:\n{done.stdout[-4000:]}\n{done.stderr[-2000:]}"
    assert re.search(r"\d+ passed", done.stdout), done.stdout[-2000:]
