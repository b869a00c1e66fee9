"""docker-compose.yml and the Dockerfile, checked without a Docker engine.

The compose file is validated against the Compose Specification schema, its structure is
checked (one beat, scalable workers, health checks, migrations before serving), and the
very commands its web, worker and beat services run are run here as subprocesses against
the local PostgreSQL and Redis, with only addresses, port and paths rewritten.
"""

from __future__ import annotations

import fnmatch
import re
import signal
import subprocess
import time
import tomllib
from pathlib import Path

import pytest
import sqlalchemy as sa

from monitor.core import db as monitor_db
from tests.support.compose import (
    APP_SERVICES,
    COMPOSE_FILE,
    CONTAINER_PORT,
    ROOT,
    VENV_BIN,
    command_of,
    healthz_ok,
    local_argv,
    local_env,
    wait_until,
)
from tests.support.stack import free_port


def healthcheck_argv(service: dict) -> list[str]:
    """The healthcheck ``test`` as an argv to run here: CMD runs as is, CMD-SHELL through sh."""
    test = service["healthcheck"]["test"]
    if isinstance(test, str):
        return ["sh", "-c", test]
    kind, *rest = test
    return rest if kind == "CMD" else ["sh", "-c", rest[0]]


# --- the file itself --------------------------------------------------------------------------


def test_compose_file_is_valid_against_the_compose_spec():
    checker = VENV_BIN / "check-jsonschema"
    result = subprocess.run(
        [str(checker), "--builtin-schema", "vendor.compose-spec", str(COMPOSE_FILE)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_it_runs_postgres_redis_web_worker_and_beat(compose):
    assert set(compose["services"]) == {"postgres", "redis", *APP_SERVICES}


def test_there_is_exactly_one_beat(compose):
    beats = [name for name, s in compose["services"].items() if "beat" in command_of(s)]
    assert beats == ["beat"]
    beat = compose["services"]["beat"]
    assert beat.get("deploy", {}).get("replicas", 1) == 1
    assert "scale" not in beat or beat["scale"] == 1


def test_workers_can_scale(compose):
    worker = compose["services"]["worker"]
    assert "container_name" not in worker
    assert "ports" not in worker


def test_every_service_is_healthchecked_or_waits_for_a_healthy_one(compose):
    services = compose["services"]
    for name, service in services.items():
        waits_for = [
            dep
            for dep, how in (service.get("depends_on") or {}).items()
            if how.get("condition") == "service_healthy" and "healthcheck" in services[dep]
        ]
        assert "healthcheck" in service or waits_for, name


def test_app_services_wait_for_healthy_postgres_and_redis(compose):
    for name in APP_SERVICES:
        depends_on = compose["services"][name]["depends_on"]
        for server in ("postgres", "redis"):
            assert depends_on[server]["condition"] == "service_healthy", (name, server)


def test_worker_and_beat_start_after_web_has_migrated(compose):
    for name in ("worker", "beat"):
        assert compose["services"][name]["depends_on"]["web"]["condition"] == "service_healthy"


def test_postgres_keeps_its_data_in_a_named_volume(compose):
    volumes = compose["services"]["postgres"]["volumes"]
    named = [v["source"] for v in volumes if isinstance(v, dict) and v.get("type") == "volume"]
    named += [v.split(":")[0] for v in volumes if isinstance(v, str) and not v.startswith((".", "/"))]
    targets = [v["target"] if isinstance(v, dict) else v.split(":")[1] for v in volumes]
    assert "/var/lib/postgresql/data" in targets
    assert named and all(source in compose["volumes"] for source in named)


def test_web_runs_the_migration_before_serving(compose):
    script = " ".join(command_of(compose["services"]["web"]))
    assert "monitor db upgrade &&" in script
    assert script.index("monitor db upgrade") < script.index("monitor web")
    assert f"--port {CONTAINER_PORT}" in script and "--host 0.0.0.0" in script


def test_worker_and_beat_run_the_contract_commands(compose):
    assert command_of(compose["services"]["worker"])[:4] == ["celery", "-A", "workers.app", "worker"]
    assert command_of(compose["services"]["beat"])[:4] == ["celery", "-A", "workers.app", "beat"]


def test_app_services_use_postgres_redis_and_the_mounted_config(compose):
    for name in APP_SERVICES:
        service = compose["services"][name]
        env = service["environment"]
        assert env["MONITOR_DATABASE_URL"] == "postgresql+psycopg://monitor:monitor@postgres:5432/monitor"
        assert env["MONITOR_BROKER_URL"] == "redis://redis:6379/0"
        assert env["MONITOR_CONFIG"] == "/config/monitor.toml"
        assert "MONITOR_SECRET_KEY" in env and "MONITOR_SMTP_URL" in env
        mounts = [v for v in service["volumes"] if isinstance(v, dict) and v["target"] == "/config/monitor.toml"]
        assert mounts == [
            {"type": "bind", "source": "./monitor.toml", "target": "/config/monitor.toml", "read_only": True}
        ]
        assert service["build"]["dockerfile"] == "Dockerfile"


# --- the image ----------------------------------------------------------------------------------


def test_the_image_installs_the_project_without_dev_extras_and_runs_unprivileged():
    lines = [line.strip() for line in (ROOT / "Dockerfile").read_text().splitlines()]
    assert lines[[line.startswith("FROM") for line in lines].index(True)] == "FROM python:3.11-slim"
    assert any(re.match(r"RUN pip install \.( |$)", line) for line in lines)
    assert not any("[dev]" in line for line in lines)
    users = [line.split()[1] for line in lines if line.startswith("USER ")]
    assert users and users[-1] not in ("root", "0")


def dockerignored(path: str) -> bool:
    """Docker's rule, simplified: the last pattern matching the path or a parent decides."""
    parts = path.split("/")
    candidates = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    excluded = False
    for raw in (ROOT / ".dockerignore").read_text().splitlines():
        pattern = raw.strip()
        if not pattern or pattern.startswith("#"):
            continue
        negated = pattern.startswith("!")
        pattern = pattern.lstrip("!").strip("/")
        if any(fnmatch.fnmatchcase(c, pattern) for c in candidates):
            excluded = not negated
    return excluded


def test_the_build_context_holds_what_pip_install_needs_and_no_secrets():
    for needed in ("pyproject.toml", "README.md", "monitor/entry/cli.py", "workers/app.py"):
        assert not dockerignored(needed), needed
    for kept_out in (".env", "monitor.toml", "data/secret_key", ".venv/bin/python", ".git/config", "tests/conftest.py"):
        assert dockerignored(kept_out), kept_out


# --- the documented configs ----------------------------------------------------------------------


def test_the_example_config_and_the_readme_config_are_valid():
    from monitor.core.config_file import load_watchlist, parse_watchlist

    example = load_watchlist(ROOT / "monitor.example.toml")
    assert example.people and example.sources and example.recipients
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```toml\n(.*?)```", readme, re.S).group(1)
    documented = parse_watchlist(tomllib.loads(block), "README.md")
    assert documented.people[0].exclude and documented.recipients[0].people


# --- the services' commands, run here -----------------------------------------------------------


def empty_database(url: str) -> None:
    """Drop every table so that the web command has to migrate from nothing."""
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        conn.exec_driver_sql("DROP SCHEMA public CASCADE")
        conn.exec_driver_sql("CREATE SCHEMA public")
    engine.dispose()


def schema_revision(url: str) -> str | None:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        revision = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
    engine.dispose()
    return revision


def head_revision(url: str) -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(monitor_db.alembic_config(url)).get_current_head()


def run_ok(argv: list[str], env: dict, cwd: Path, timeout: float = 60) -> bool:
    try:
        return subprocess.run(argv, env=env, cwd=cwd, capture_output=True, timeout=timeout).returncode == 0
    except subprocess.TimeoutExpired:
        return False


TEST_CONFIG = """\
# No sources: the worker must not fetch anything off this machine.
[[person]]
name = "Vladimir Vorontsov"
aliases = ["Владимир Воронцов"]

[[recipient]]
email = "desk@example.org"

[digest]
timezone = "UTC"
send_at = "08:00"
"""


@pytest.mark.slow
@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_the_services_commands_migrate_serve_work_and_schedule(compose, db_url, redis_url, processes, tmp_path):
    services = compose["services"]
    config = tmp_path / "config" / "monitor.toml"
    config.parent.mkdir()
    config.write_text(TEST_CONFIG, encoding="utf-8")
    workdir = tmp_path / "app"  # like the image's empty WORKDIR: data/ lands here
    workdir.mkdir()
    port = free_port()
    empty_database(db_url)

    def env_of(name: str) -> dict:
        return local_env(services[name], db_url=db_url, redis_url=redis_url, config=config, tmp=tmp_path)

    def argv_of(argv: list[str]) -> list[str]:
        return local_argv(argv, port=port, tmp=tmp_path)

    web = processes("web", argv_of(command_of(services["web"])), env=env_of("web"), cwd=workdir, log_dir=tmp_path)
    wait_until(lambda: healthz_ok(port), web, "GET /healthz did not answer 200")
    assert run_ok(argv_of(healthcheck_argv(services["web"])), env_of("web"), workdir), "web healthcheck failed"
    assert schema_revision(db_url) == head_revision(db_url)
    assert "database is at the current schema" in web.log()

    worker_env = env_of("worker")
    worker = processes("worker", argv_of(command_of(services["worker"])), env=worker_env, cwd=workdir, log_dir=tmp_path)
    ping = argv_of(healthcheck_argv(services["worker"]))
    wait_until(lambda: run_ok(ping, worker_env, workdir), worker, "the worker healthcheck (inspect ping) did not pass")
    assert "ready" in worker.log()
    # The worker works against the same broker and database: the scheduler's dispatch task runs.
    call = ["celery", "-A", "workers.app", "call", "workers.tasks.dispatch_due_sources"]
    assert run_ok(call, worker_env, workdir), "could not queue a task"
    task_done = re.compile(r"Task workers\.tasks\.dispatch_due_sources\[[^]]+\] succeeded")
    wait_until(lambda: task_done.search(worker.log()), worker, "the queued dispatch task did not succeed")

    beat = processes("beat", argv_of(command_of(services["beat"])), env=env_of("beat"), cwd=workdir, log_dir=tmp_path)
    wait_until(lambda: "beat: Starting" in beat.log(), beat, "beat did not start")
    time.sleep(5)
    beat.assert_alive()
    assert any(tmp_path.glob("celerybeat-schedule*")), "beat did not use the --schedule path"

    for process in (beat, worker, web):
        process.assert_alive()
        status = process.stop()
        assert status in (0, -signal.SIGTERM), f"{process.name} exited with {status}:\n{process.log()[-4000:]}"
