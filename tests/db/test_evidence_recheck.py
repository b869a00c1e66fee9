"""Re-checks of preserved mentions against a loopback site: captured, edited, deleted, unavailable."""

from __future__ import annotations

from datetime import timedelta

from typer.testing import CliRunner

from monitor.core import db
from monitor.core.blobs import blob_path
from monitor.core.models import User, utcnow
from monitor.core.models_evidence import Capture, Preservation
from monitor.entry.cli import app as cli
from monitor.entry.polling import poll_all_once
from monitor.evidence.recheck import run
from monitor.review import triage
from tests.fixtures import feeds
from tests.support.evidence import captures, mentions, preservations, rechecks, sync
from tests.support.feedserver import FeedServer, Route

HOUR = timedelta(hours=1)
TELEGRAM_GONE = (
    '<html><head><link rel="stylesheet" href="https://telegram.org/css/widget-frame.css"></head>'
    '<body class="tgme_widget"><div class="tgme_widget_message_error">Post not found</div></body></html>'
)


def page(text: str) -> Route:
    return Route(
        f"<html><body><article><p>{text}</p></article><script>x()</script></body></html>",
        content_type="text/html; charset=utf-8",
    )


def _polled(server, settings) -> dict[str, int]:
    """Poll the feed; the preserved mentions (Vorontsov's) by post key."""
    server.routes["/rss"] = Route(feeds.rss(server.url("")))
    server.routes["/news/a1"] = page("The court sentenced Vorontsov today. He denies the charges.")
    server.routes["/news/a2"] = page("Суд приговорил Воронцова. Он не признаёт вину.")
    sync(settings, [server.url("/rss")])
    poll_all_once()
    return {m.url.rsplit("/", 1)[1]: m.id for m in mentions() if m.id in {p.mention_id for p in preservations()}}


def _state(mention_id: int) -> Preservation:
    return next(p for p in preservations() if p.mention_id == mention_id)


def test_the_linked_page_is_captured_with_its_text_then_edits_and_deletions_are_found(settings):
    with FeedServer() as server:
        ids = _polled(server, settings)
        t0 = utcnow()
        assert set(ids) == {"a1", "a2"}
        assert run(now=t0).outcomes == {"captured": 2}
        [first] = captures(Capture.mention_id == ids["a1"], Capture.kind == "page")
        assert b"denies the charges" in blob_path(settings, first.text_sha256).read_bytes()
        assert b"x()" not in blob_path(settings, first.text_sha256).read_bytes()  # scripts are not text

        server.routes["/news/a1"] = Route(b"gone", status=404)
        server.routes["/news/a2"] = page("Суд приговорил Воронцова. Он признал вину.")
        assert run(now=t0 + HOUR + timedelta(seconds=1)).outcomes == {"suspected": 1, "edited": 1}
        assert run(now=t0 + HOUR + timedelta(minutes=30)).checked == 0  # not yet an hour later
        assert run(now=t0 + 2 * HOUR + timedelta(seconds=2)).outcomes == {"deleted": 1}

    deleted, edited = _state(ids["a1"]), _state(ids["a2"])
    assert (deleted.state, edited.state) == ("deleted", "edited") and deleted.deleted_at and edited.edited_at
    assert deleted.next_check_at is None and edited.next_check_at == edited.page_captured_at + timedelta(days=1)
    diff = next(r for r in rechecks() if r.outcome == "edited")
    assert "-Он не признаёт вину." in diff.detail and "+Он признал вину." in diff.detail
    assert captures(Capture.mention_id == ids["a2"], Capture.kind == "recheck")[0].id == diff.capture_id


def test_a_telegram_post_not_found_page_is_a_deletion_confirmed_at_once_by_recheck_now(settings):
    with FeedServer() as server:
        ids = _polled(server, settings)
        t0 = utcnow()
        run(now=t0)
        server.routes["/news/a1"] = Route(TELEGRAM_GONE, content_type="text/html")
        assert run(now=t0 + HOUR + timedelta(seconds=1)).outcomes["suspected"] == 1
        result = CliRunner().invoke(cli, ["evidence", "recheck", "--now"])

    assert result.exit_code == 0, result.output
    assert "1 deleted" in result.output
    assert _state(ids["a1"]).state == "deleted" and _state(ids["a2"]).state == "present"
    gone = captures(Capture.mention_id == ids["a1"], Capture.kind == "recheck")
    assert gone and b"Post not found" in blob_path(settings, gone[0].text_sha256).read_bytes()


def test_server_errors_are_unavailable_and_451_is_blocked_never_deleted(settings):
    with FeedServer() as server:
        ids = _polled(server, settings)
        t0 = utcnow()
        run(now=t0)
        server.routes["/news/a1"] = Route(b"down", status=503)
        server.routes["/news/a2"] = Route(b"not here", status=451)
        for hours in (1, 24):
            run(now=t0 + hours * HOUR + timedelta(seconds=1))
        run(everything=True)

    assert (_state(ids["a1"]).state, _state(ids["a2"]).state) == ("unavailable", "blocked")
    assert {r.outcome for r in rechecks()} == {"captured", "unavailable", "blocked"}


def test_a_mention_a_reviewer_confirms_is_preserved_too(settings):
    with FeedServer() as server:
        server.routes["/rss"] = Route(feeds.rss(server.url("")))
        sync(settings, [server.url("/rss")])
        poll_all_once()
    sokolova = next(m for m in mentions() if "Sokolova" in m.title)
    assert sokolova.id not in {p.mention_id for p in preservations()}
    with db.session_scope() as session:
        user = User(email="r@example.org", password_hash="x", role="reviewer")
        session.add(user)
        session.flush()
        triage.act(session, mention_ids=[sokolova.id], action="confirmed", value=None, user=user)
    assert next(p for p in preservations() if p.mention_id == sokolova.id).reason == "review"
