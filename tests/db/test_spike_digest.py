"""The digest's spikes: per-kind spikes are not listed twice, lone ones name their kind, expected
ones are marked. Over real SMTP (aiosmtpd) on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from monitor.core.models import Spike
from tests.support.digest import (
    DAY_START,
    add,
    bodies,
    make_mention,
    make_person,
    make_recipient,
    make_source,
    send,
)


def spike(person, hour, *, kind: str = "", count: int = 40, expected: bool = False, hours: int = 1) -> Spike:
    return add(
        Spike(
            person_id=person.id,
            hour=hour,
            count=count,
            expected=3.5,
            score=9.0,
            source_kind=kind,
            end_at=hour + timedelta(hours=hours - 1),
            expected_by_reviewer=expected,
        )
    )


def test_per_kind_spikes_fold_into_the_persons_spike_and_name_their_kinds(smtp):
    vorontsov = make_person("Vladimir Vorontsov")
    at = DAY_START + timedelta(hours=14)
    spike(vorontsov, at, count=41, hours=3)
    spike(vorontsov, at + timedelta(hours=1), kind="telegram", count=30)
    spike(vorontsov, at, kind="rss", count=12)
    make_mention(make_source(), [vorontsov], title="Crackdown")
    make_recipient()

    assert send() == ["desk@example.org 2026-11-22: sent 1 mention, 1 spike"]
    [(subject, text, html)] = bodies(smtp, "desk@example.org")
    assert subject.startswith("1 spike")
    [line] = [line for line in text.splitlines() if line.startswith("* Vladimir Vorontsov")]
    assert line.startswith("* Vladimir Vorontsov: 41 mentions at 14:00 (about 3.5 expected); in ")
    assert line.endswith(("in telegram, rss sources", "in rss, telegram sources"))
    assert html.count('class="spike"') == 1


def test_a_lone_per_kind_spike_is_listed_with_its_kind_and_an_expected_one_is_marked(smtp):
    vorontsov, petrova = make_person("Vladimir Vorontsov"), make_person("Anna Petrova")
    spike(vorontsov, DAY_START + timedelta(hours=3), kind="telegram", count=14)
    spike(petrova, DAY_START + timedelta(hours=9), count=50, expected=True)
    make_mention(make_source(), [vorontsov, petrova], title="Crackdown")
    make_recipient()

    assert send() == ["desk@example.org 2026-11-22: sent 1 mention, 2 spikes"]
    [(_, text, html)] = bodies(smtp, "desk@example.org")
    assert "* Vladimir Vorontsov: 14 mentions at 03:00 (about 3.5 expected); in telegram sources" in text.splitlines()
    assert "* Anna Petrova: 50 mentions at 09:00 (about 3.5 expected) [marked expected by a reviewer]" in text
    assert "(marked expected by a reviewer)" in html and html.count('class="spike"') == 2
