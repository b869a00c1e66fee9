"""``python -m monitor …`` for the tests, each command a process of its own, started warm.

A command run with ``subprocess`` spends one to two seconds importing SQLAlchemy, the models,
Alembic and the poller before it does anything, and the stack tests run a few hundred
commands. The standard library's forkserver (``multiprocessing``) keeps, per test process, one
server that has imported those modules once; every command is a child forked from it. The
child is still its own process with the environment, working directory, umask, stdin, stdout,
stderr and exit status the test gives it, as a subprocess has; ``runpy`` starts it exactly as
``python -m monitor`` does. What it does not have is a fresh interpreter, so a test of what a
command imports (the ``--help`` start-up) runs a real subprocess (``fresh=True``).

``subprocess`` alone cannot start a process from a warm image; pytest's own ``pytester`` runs
in-process, which would share caches (settings, engines) between the test and the command.
"""

from __future__ import annotations

import multiprocessing
import os
import runpy
import subprocess
import sys
import tempfile
from pathlib import Path

# Imported once by the server: what most commands import before their work starts.
PRELOAD = [
    "monitor.entry.cli",
    "monitor.entry.prepare",
    "monitor.entry.polling",
    "monitor.core.db",
    "monitor.core.models",
    "monitor.core.storage.config_sync",
    "monitor.ingest.poller",
    "monitor.ingest.sources_report",
    "alembic.command",
    "alembic.config",
    "httpx",
    "pydantic",
]

_context = None


def _forkserver():
    global _context
    if _context is None:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload([__name__, *PRELOAD])
        _context = context
    return _context


def monitor(
    *args: str,
    input: str | None = None,
    env: dict[str, str] | None = None,
    cwd: str | Path | None = None,
    timeout: float = 120,
    check: bool = False,
    fresh: bool = False,
) -> subprocess.CompletedProcess:
    """Run ``python -m monitor ARGS`` to completion, as ``subprocess.run(…, capture_output=True,
    text=True)`` would; ``env`` defaults to the test's environment, ``cwd`` to its folder."""
    command = [sys.executable, "-m", "monitor", *args]
    if fresh:
        return subprocess.run(
            command, input=input, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=check
        )
    env = dict(os.environ if env is None else env)
    cwd = str(cwd or os.getcwd())
    with tempfile.TemporaryDirectory(prefix="monitor-cli-") as folder:
        stdin, stdout, stderr = (Path(folder) / name for name in ("stdin", "stdout", "stderr"))
        stdin.write_text(input or "", encoding="utf-8")
        stdout.touch()
        stderr.touch()
        child = _forkserver().Process(
            target=_run, args=(list(args), env, cwd, _umask(), str(stdin), str(stdout), str(stderr)), daemon=False
        )
        child.start()
        child.join(timeout)
        if child.exitcode is None:
            child.kill()
            child.join()
            raise subprocess.TimeoutExpired(command, timeout)
        done = subprocess.CompletedProcess(
            command, child.exitcode, stdout.read_text(encoding="utf-8"), stderr.read_text(encoding="utf-8")
        )
    if check:
        done.check_returncode()
    return done


class Started:
    """A warm ``python -m monitor ARGS`` left running (``start``), in a session of its own: what
    the tests use of a ``subprocess.Popen`` (``pid``, ``poll``, ``wait``, ``send_signal``), its
    output in files until ``output`` reads them."""

    def __init__(self, child, command: list[str], folder: tempfile.TemporaryDirectory):
        self.child, self.command, self.folder = child, command, folder
        self.pid = child.pid

    def poll(self) -> int | None:
        return self.child.exitcode

    def wait(self, timeout: float | None = None) -> int:
        self.child.join(timeout)
        if self.child.exitcode is None:
            raise subprocess.TimeoutExpired(self.command, timeout)
        return self.child.exitcode

    def send_signal(self, signum: int) -> None:
        if self.child.exitcode is None:
            os.kill(self.pid, signum)

    def stderr(self) -> str:
        """What it has written to stderr so far."""
        return (Path(self.folder.name) / "stderr").read_text(encoding="utf-8", errors="replace")

    def output(self) -> subprocess.CompletedProcess:
        """Once it has exited: its status and output, as ``subprocess.run`` gives them; the files go."""
        files = Path(self.folder.name)
        done = subprocess.CompletedProcess(
            self.command, self.wait(0), *((files / name).read_text(encoding="utf-8") for name in ("stdout", "stderr"))
        )
        self.folder.cleanup()
        return done


def start(*args: str, env: dict[str, str] | None = None, cwd: str | Path | None = None) -> Started:
    """Start ``python -m monitor ARGS`` warm and leave it running (a server, a stream)."""
    folder = tempfile.TemporaryDirectory(prefix="monitor-cli-")
    stdin, stdout, stderr = (Path(folder.name) / name for name in ("stdin", "stdout", "stderr"))
    for path in (stdin, stdout, stderr):
        path.touch()
    env, cwd = dict(os.environ if env is None else env), str(cwd or os.getcwd())
    child = _forkserver().Process(
        target=_run_alone, args=(list(args), env, cwd, _umask(), str(stdin), str(stdout), str(stderr)), daemon=False
    )
    child.start()
    return Started(child, [sys.executable, "-m", "monitor", *args], folder)


def _run_alone(*args) -> None:
    os.setsid()  # its own process group, as Popen(start_new_session=True) gives
    _run(*args)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _run(args: list[str], env: dict[str, str], cwd: str, umask: int, stdin: str, stdout: str, stderr: str) -> None:
    """In the forked child: become the process ``python -m monitor`` would have started."""
    os.environ.clear()
    os.environ.update(env)
    os.chdir(cwd)
    os.umask(umask)
    for fd, path, flags in ((0, stdin, os.O_RDONLY), (1, stdout, os.O_WRONLY), (2, stderr, os.O_WRONLY)):
        opened = os.open(path, flags)
        os.dup2(opened, fd)
        os.close(opened)
    # The process's own streams, open until it exits (fds 0-2 stay open when these are collected).
    sys.stdin = open(0, encoding="utf-8", closefd=False)
    sys.stdout = open(1, "w", encoding="utf-8", closefd=False)
    sys.stderr = open(2, "w", encoding="utf-8", closefd=False)
    sys.argv = ["monitor", *args]
    runpy.run_module("monitor", run_name="__main__", alter_sys=True)
