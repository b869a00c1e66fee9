"""``monitor up`` restarts a crashed child with backoff and says so; Ctrl-C still stops them all."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import pytest

from monitor.entry.supervise import BACKOFF_MAX, BACKOFF_START, Child
from tests.support import stack
from tests.support.stack import _processes_in


def _pids_running(needle: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if needle in (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace"):
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


@pytest.mark.slow
def test_a_killed_web_process_comes_back_and_ctrl_c_still_stops_everything(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    port = stack.free_port()
    base = f"http://127.0.0.1:{port}"
    web_command = f"monitor web --port {port}"
    with open(tmp_path / "up.log", "wb") as log:
        process = subprocess.Popen(
            [stack.PYTHON, "-m", "monitor", "up", "--port", str(port)],
            cwd=tmp_path,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        stack.wait_for(lambda: stack.healthy(base), timeout=90, what="/healthz")
        [web] = _pids_running(web_command)
        os.kill(web, signal.SIGKILL)
        stack.wait_for(lambda: not stack.healthy(base), timeout=10, what="the web process to die")
        stack.wait_for(lambda: stack.healthy(base), timeout=60, what="the web process to come back")
        [again] = _pids_running(web_command)
        assert again != web and process.poll() is None
    finally:
        if process.poll() is None:
            os.kill(process.pid, signal.SIGINT)
        code = process.wait(timeout=60)
    text = (tmp_path / "up.log").read_text(errors="replace")
    assert code == 0, text[-3000:]
    assert "monitor up: web exited with status -9" in text and f"restarting it in {BACKOFF_START:g} s" in text
    assert f"monitor up: web restarted (pid {again})" in text
    stack.wait_for(lambda: not _processes_in(tmp_path), timeout=20, what="every child to exit")


def test_a_child_that_keeps_crashing_waits_twice_as_long_each_time_up_to_the_cap(capsys):
    child = Child(["/bin/sh", "-c", "exit 3"], dict(os.environ))
    child.process.wait()
    now, delays = child.started, []
    for _ in range(9):
        now += 1  # it crashed a second after starting
        child.check(now)
        delays.append(child.delay)
        now = child.restart_at
        child.check(now)  # restarted
        child.started = now
        child.process.wait()
    assert delays == [min(BACKOFF_START * 2**n, BACKOFF_MAX) for n in range(9)]
    assert capsys.readouterr().err.count("exited with status 3") == 9
    child.check(child.started + 120)  # ran long enough: the wait starts over
    assert child.delay == BACKOFF_START
