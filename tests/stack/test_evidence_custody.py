"""The custody log: one hash chain, append-only in the database itself, sliced per person."""

from __future__ import annotations

import json
import threading
from datetime import UTC

import pytest
import sqlalchemy as sa
from hypothesis import assume, given
from hypothesis import strategies as st
from sqlmodel import Session, select

from monitor.core import db
from monitor.core.models_custody import CustodyEvent
from monitor.core.storage.custody import (
    GENESIS,
    ChainError,
    append_event,
    chain_holds,
    check_chain,
    event_record,
    person_slice,
    record_hash,
)
from tests.support import custody as helpers


def _session(url: str) -> Session:
    return Session(db.get_engine(url), expire_on_commit=False)


def test_events_form_one_chain_from_genesis(db_url):
    with _session(db_url) as session:
        first = append_event(session, "captured", "monitor", "capture:1", person_ids=[1], details={"sha256": "ab"})
        second = append_event(
            session, "labelled", "user:2", "mention:5", person_ids=[1, 3], details={"label": "threat"}
        )
        session.commit()
        assert first.prev_hash == GENESIS and second.prev_hash == first.hash
        assert second.people == ",1,3,"
        chain_holds(session)


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE custody_event SET actor = 'someone else'",
        "DELETE FROM custody_event",
    ],
)
def test_the_database_refuses_to_change_or_delete_an_event(db_url, statement):
    with _session(db_url) as session:
        append_event(session, "captured", "monitor", "capture:1")
        session.commit()
    with pytest.raises(sa.exc.DBAPIError, match="append-only"), db.get_engine(db_url).begin() as conn:
        conn.execute(sa.text(statement))
    with _session(db_url) as session:
        assert session.exec(select(CustodyEvent.actor)).all() == ["monitor"]


def test_a_second_event_after_the_same_predecessor_is_refused(db_url):
    with _session(db_url) as session:
        event = append_event(session, "captured", "monitor", "capture:1")
        session.commit()
        fork = CustodyEvent(
            at=event.at,
            kind="viewed",
            actor="x",
            subject="capture:1",
            people="",
            details="{}",
            prev_hash=GENESIS,
            hash="f" * 64,
        )
        session.add(fork)
        with pytest.raises(sa.exc.IntegrityError):
            session.commit()


def test_concurrent_appends_keep_one_chain(db_url):
    errors = []

    def writer(number: int) -> None:
        try:
            for index in range(5):
                with _session(db_url) as session:
                    append_event(session, "viewed", f"user:{number}", f"capture:{index}")
                    session.commit()
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with _session(db_url) as session:
        assert len(session.exec(select(CustodyEvent.id)).all()) == 30
        chain_holds(session)


def test_a_persons_slice_shows_others_only_as_hashes(db_url):
    with _session(db_url) as session:
        alice, bob = helpers.person(session, "Alice A"), helpers.person(session, "Bob B")
        append_event(session, "captured", "monitor", "capture:1", person_ids=[bob.id])
        append_event(session, "captured", "monitor", "capture:2", person_ids=[alice.id], details={"n": 1})
        append_event(session, "labelled", "user:9", "mention:77", person_ids=[bob.id], details={"label": "smear"})
        append_event(session, "timestamped", "monitor", "manifest:1")
        append_event(session, "viewed", "user:4", "capture:2", person_ids=[alice.id])
        session.commit()
        records = person_slice(session, alice.id)
    assert [r.get("kind") for r in records] == ["captured", None, "timestamped", "viewed"]
    assert set(records[1]) == {"hash", "prev_hash"}
    text = json.dumps(records)
    assert "mention:77" not in text and "smear" not in text and "user:9" not in text
    check_chain(records)


# -- the chain writer and checker, as pure functions --------------------------------------

_events = st.lists(
    st.tuples(
        st.sampled_from(["captured", "viewed", "labelled"]),
        st.text(max_size=20),
        st.dictionaries(st.text(max_size=8), st.text(max_size=20), max_size=3),
    ),
    min_size=1,
    max_size=12,
)


def _chain(events) -> list[dict]:
    from datetime import datetime

    records, previous = [], GENESIS
    for kind, actor, details in events:
        record = event_record(
            at=datetime(2026, 12, 1, tzinfo=UTC),
            kind=kind,
            actor=actor,
            subject="s",
            people="",
            details=json.dumps(details, sort_keys=True),
            prev_hash=previous,
        )
        record["hash"] = previous = record_hash(record)
        records.append(record)
    return records


@given(_events, st.data())
def test_any_redaction_still_verifies(events, data):
    records = _chain(events)
    hidden = data.draw(st.sets(st.integers(0, len(records) - 1)))
    check_chain([{"hash": r["hash"], "prev_hash": r["prev_hash"]} if i in hidden else r for i, r in enumerate(records)])


@given(_events, st.data())
def test_any_changed_field_breaks_the_chain(events, data):
    records = _chain(events)
    index = data.draw(st.integers(0, len(records) - 1))
    field = data.draw(st.sampled_from(["actor", "kind", "details", "at", "prev_hash"]))
    records[index] = {**records[index], field: records[index][field] + "x"}
    with pytest.raises(ChainError, match=f"custody event {index + 1}:"):
        check_chain(records)


@given(_events, st.data())
def test_a_removed_event_breaks_the_chain(events, data):
    records = _chain(events)
    assume(len(records) >= 3)
    index = data.draw(st.integers(1, len(records) - 2))
    with pytest.raises(ChainError):
        check_chain(records[:index] + records[index + 1 :])
