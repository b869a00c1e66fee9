"""Shared by the tests (moved from test_compose.py)."""

from __future__ import annotations

import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from ruamel.yaml import YAML  # ships with check-jsonschema, a dev extra

from tests.support import paths

ROOT = paths.REPO


COMPOSE_FILE = ROOT / "docker-compose.yml"


VENV_BIN = Path(sys.executable).parent


CONTAINER_PORT = 8000


APP_SERVICES = ("web", "worker", "beat", "stream")


START_TIMEOUT = 90


STOP_TIMEOUT = 30


VARIABLE = re.compile(r"\$\$|\$\{(\w+)(?:(:?-)([^}]*)|(:?\?)([^}]*))?\}|\$(\w+)")


def interpolate(text: str) -> str:
    """Compose's interpolation as a host without any of the file's variables set sees it.

    ``$$`` is a literal ``$``; ``${VAR:-default}`` is the default; a required
    ``${VAR:?message}`` fails the test: `docker compose up` must start with no .env.
    """

    def replace(match: re.Match) -> str:
        if match.group(0) == "$$":
            return "$"
        if match.group(4):
            pytest.fail(f"docker-compose.yml requires ${{{match.group(1)}}}: {match.group(5)}")
        return match.group(3) or ""

    return VARIABLE.sub(replace, text)


def interpolated(node):
    if isinstance(node, dict):
        return {key: interpolated(value) for key, value in node.items()}
    if isinstance(node, list):
        return [interpolated(item) for item in node]
    return interpolate(node) if isinstance(node, str) else node


def load_compose() -> dict:
    """docker-compose.yml as `docker compose config` would resolve it on a host with no .env."""
    return interpolated(YAML(typ="safe", pure=True).load(COMPOSE_FILE.read_text(encoding="utf-8")))


@pytest.fixture(scope="module")
def compose() -> dict:
    return load_compose()


def command_of(service: dict) -> list[str]:
    """The service's command as an argv list (compose allows a list or a shell-split string)."""
    command = service.get("command", [])
    return list(command) if isinstance(command, list) else shlex.split(command)


class Process:
    """One service command as a subprocess in a session of its own, logging to a file."""

    def __init__(self, name: str, argv: list[str], *, env: dict, cwd: Path, log_dir: Path):
        self.name = name
        self.log_path = log_dir / f"{name}.log"
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                argv,
                env=env,
                cwd=cwd,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def alive(self) -> bool:
        return self.proc.poll() is None

    def assert_alive(self) -> None:
        assert self.alive(), f"{self.name} exited with {self.proc.returncode}:\n{self.log()[-4000:]}"

    def stop(self) -> int:
        """SIGTERM to the main process, as `docker stop` does; SIGKILL the group after a grace period."""
        if self.alive():
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                pass
        self.kill_group()
        return self.proc.wait()

    def kill_group(self) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)  # its own session: the group is ours alone
        except OSError:  # the group is already gone
            pass


@pytest.fixture
def processes():
    """Start service commands; every one and its children are killed at teardown, whatever happens."""
    started: list[Process] = []

    def start(name: str, argv: list[str], **kwargs) -> Process:
        started.append(Process(name, argv, **kwargs))
        return started[-1]

    yield start
    for process in reversed(started):
        try:
            process.stop()
        except Exception:  # keep going: the others must be stopped too
            process.kill_group()


def local_argv(argv: list[str], *, port: int, tmp: Path) -> list[str]:
    """The container's argv for this machine: loopback, a free port, /tmp under the test's folder."""
    local = []
    for arg in argv:
        arg = arg.replace("--host 0.0.0.0", "--host 127.0.0.1")
        arg = arg.replace(f"--port {CONTAINER_PORT}", f"--port {port}")
        arg = arg.replace(f"127.0.0.1:{CONTAINER_PORT}/", f"127.0.0.1:{port}/")
        arg = re.sub(r"(?<![\w/])/tmp/", f"{tmp}/", arg)
        local.append(arg)
    return local


def monitor_shim(tmp: Path) -> Path | None:
    """A `monitor` on PATH when the project is not installed in the venv (`make test` installs it)."""
    if (VENV_BIN / "monitor").exists():
        return None
    shim_dir = tmp / "bin"
    shim_dir.mkdir(exist_ok=True)
    shim = shim_dir / "monitor"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m monitor "$@"\n')
    shim.chmod(0o755)
    return shim_dir


def local_env(service: dict, *, db_url: str, redis_url: str, config: Path, tmp: Path) -> dict:
    """The service's environment with the servers and the config file rewritten to this machine's."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    env.update({key: str(value) for key, value in service["environment"].items()})
    env.update(MONITOR_DATABASE_URL=db_url, MONITOR_BROKER_URL=redis_url, MONITOR_CONFIG=str(config))
    path = [str(VENV_BIN)]
    shim_dir = monitor_shim(tmp)
    if shim_dir:
        path.insert(0, str(shim_dir))
    env["PATH"] = os.pathsep.join([*path, env.get("PATH", "")])
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env["HOSTNAME"] = socket.gethostname()  # as in a container, where $HOSTNAME is the node's name
    return env


def wait_until(check, process: Process, what: str, timeout: float = START_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        process.assert_alive()
        if check():
            return
        time.sleep(0.5)
    pytest.fail(f"{process.name}: {what} within {timeout}s:\n{process.log()[-4000:]}")


def healthz_ok(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=3) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False
