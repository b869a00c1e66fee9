"""Each captured poll record linked to a mention is a "captured" event in the custody chain,
naming the mention's people, so their bundle's slice carries it (both databases)."""

from __future__ import annotations

import json

from sqlmodel import Session

from monitor.core import db
from monitor.core.models import MentionPerson, Person
from monitor.core.models_evidence import Capture
from monitor.core.storage.custody import NewEvent, append_event, append_events, chain_holds, people_key
from monitor.entry.polling import poll_all_once
from tests.fixtures import feeds
from tests.support.evidence import (
    bundle_lines,
    captures,
    custody_events,
    export_and_verify,
    rows,
    sync,
)
from tests.support.feedserver import FeedServer, Route


def test_a_polled_mention_has_a_captured_event_naming_its_people_and_the_chain_holds(settings):
    with FeedServer() as server:
        server.routes["/rss"] = Route(feeds.rss(server.url("")))
        server.routes["/nobody"] = Route(feeds.rss(server.url(""), posts=[feeds.POSTS[2]]))
        sync(settings, [server.url("/rss"), server.url("/nobody")])
        poll_all_once()

    linked = captures(Capture.mention_id != None)
    people = {}
    for link in rows(MentionPerson):
        people.setdefault(link.mention_id, []).append(link.person_id)
    events = {e.subject: e for e in custody_events() if e.kind == "captured"}
    assert len(linked) == 3 and len(events) == 3  # the unmatched response is no event: it is not evidence
    for capture in linked:
        event = events[f"capture:{capture.id}"]
        assert event.actor == "monitor" and event.people == people_key(people[capture.mention_id])
        assert json.loads(event.details) == {
            "mention": capture.mention_id,
            "sha256": capture.sha256,
            "item_sha256": capture.item_sha256,
        }
    with Session(db.get_engine(settings.database_url)) as session:
        chain_holds(session)


def test_the_bundle_of_a_polled_person_carries_the_captured_events_and_verifies(settings, tmp_path):
    with FeedServer() as server:
        server.routes["/rss"] = Route(feeds.rss(server.url("")))
        sync(settings, [server.url("/rss")])
        poll_all_once()

    [vorontsov] = rows(Person, Person.name == "Vladimir Vorontsov")
    his = {link.mention_id for link in rows(MentionPerson, MentionPerson.person_id == vorontsov.id)}
    root = export_and_verify("Vladimir Vorontsov", tmp_path)
    subjects = {e["subject"] for e in bundle_lines(root, "custody.jsonl") if e.get("kind") == "captured"}
    assert subjects == {f"capture:{c.id}" for c in captures(Capture.mention_id.in_(his))} and len(subjects) == 2
    for capture in captures(Capture.mention_id.in_(his)):  # the response record and its request record
        assert (root / "data" / "warc" / f"{capture.sha256}.warc.gz").is_file()
        assert (root / "data" / "warc" / f"{capture.request_sha256}.warc.gz").is_file()


def test_events_appended_at_once_extend_the_same_chain_as_those_appended_one_by_one(db_url):
    with Session(db.get_engine(db_url), expire_on_commit=False) as session:
        append_event(session, "viewed", "user:1", "mention:1", person_ids=[1])
        append_events(
            session,
            [
                NewEvent("captured", "monitor", "capture:1", (1, 2), {"sha256": "ab"}),
                NewEvent("captured", "monitor", "capture:2", (), {}),
            ],
        )
        last = append_event(session, "labelled", "user:1", "mention:1", person_ids=[2])
        session.commit()
        chain_holds(session)
    events = [e for e in rows_at(db_url)]
    assert [e.subject for e in events] == ["mention:1", "capture:1", "capture:2", "mention:1"]
    assert [e.prev_hash for e in events[1:]] == [e.hash for e in events[:-1]] and last.prev_hash == events[2].hash
    assert events[1].people == ",1,2,"


def test_an_unknown_event_kind_is_refused_before_anything_is_written(db_url):
    import pytest

    with Session(db.get_engine(db_url)) as session:
        with pytest.raises(ValueError, match="unknown event kind"):
            append_events(session, [NewEvent("captured", "monitor", "capture:1"), NewEvent("deleted", "x", "y")])
        session.rollback()
        assert rows_at(db_url) == []


def rows_at(url: str) -> list:
    from sqlmodel import select

    from monitor.core.models_custody import CustodyEvent

    with Session(db.get_engine(url)) as session:
        found = list(session.exec(select(CustodyEvent).order_by(CustodyEvent.id)))
        session.expunge_all()
        return found
