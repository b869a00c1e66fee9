"""The compose file's ``stream`` service: one, never scaled, after a migrated web; its command
run here against PostgreSQL consumes a loopback Jetstream and stops cleanly on SIGTERM."""

from __future__ import annotations

import signal

import pytest
import sqlalchemy as sa

from monitor.core import db as monitor_db
from tests.support.compose import command_of, local_env, wait_until
from tests.support.stream_standins import JetstreamStandIn, jetstream_post, now_us


def test_there_is_exactly_one_stream_service_started_after_the_web_migrated(compose):
    streams = [name for name, s in compose["services"].items() if command_of(s)[:2] == ["monitor", "stream"]]
    assert streams == ["stream"]
    service = compose["services"]["stream"]
    assert service.get("deploy", {}).get("replicas", 1) == 1 and "scale" not in service
    assert service["depends_on"]["web"]["condition"] == "service_healthy"
    assert service["environment"] == compose["services"]["worker"]["environment"]


@pytest.mark.slow
@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_the_stream_services_command_consumes_and_stops_on_sigterm(compose, db_url, redis_url, processes, tmp_path):
    server = JetstreamStandIn().start()
    try:
        server.add(jetstream_post(now_us() - 1_000_000, "Суд над Владимиром Воронцовым", rkey="named"))
        config = tmp_path / "monitor.toml"
        config.write_text(
            '[[person]]\nname = "Vladimir Vorontsov"\naliases = ["Владимир Воронцов"]\n\n'
            '[[source]]\nurl = "http://127.0.0.1:9/feed.xml"\n\n'
            f'[stream.bluesky]\nurl = "{server.url}"\n',
            encoding="utf-8",
        )
        monitor_db.upgrade(db_url)  # in compose, the web service has migrated before this starts
        env = local_env(compose["services"]["stream"], db_url=db_url, redis_url=redis_url, config=config, tmp=tmp_path)
        env["MONITOR_ALLOW_PRIVATE_NETWORKS"] = "true"  # the stand-in is on loopback
        stream = processes("stream", command_of(compose["services"]["stream"]), env=env, cwd=tmp_path, log_dir=tmp_path)
        wait_until(lambda: _mentions(db_url) == 1, stream, "the stream service stored no mention")
        assert stream.stop() in (0, -signal.SIGTERM), stream.log()[-3000:]
    finally:
        server.stop()
    assert "0 skipped, 1 new mentions" in stream.log()


def _mentions(url: str) -> int:
    with monitor_db.get_engine(url).connect() as conn:
        return conn.execute(sa.text("select count(*) from mention")).scalar_one()
