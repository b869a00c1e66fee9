"""A person's alert sensitivity (quiet / normal / eager) and mute date: in the config, on the
person page (admins, audited), in the detector and in the alerts; and the person page's
chart (time axis, tooltips, expected band). SQLite and PostgreSQL where a database is used.
"""

from __future__ import annotations

import logging
import random
import re
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlmodel import select

from monitor.core import db
from monitor.core.config_file import ConfigError, parse_watchlist
from monitor.core.models import (
    AuditEntry,
    Mention,
    MentionPerson,
    Person,
    Recipient,
    Source,
    Spike,
    SpikeAlert,
    SpikeState,
)
from monitor.core.storage import sync_watchlist
from monitor.core.storage.spikes import DEFAULT_LOOKBACK_HOURS, HOUR, update_spikes
from monitor.notify import alerts
from monitor.spikes import HOURLY_PARAMS, detect
from monitor.spikes.sensitivity import muted, params_for
from monitor.spikes.wording import WindowCounts, describe, usual
from tests.support.web import _db, csrf_from, post

START = datetime(2025, 3, 1, tzinfo=timezone.utc)
NAME = "Vladimir Vorontsov"
SVG = "{http://www.w3.org/2000/svg}"


def config(**person) -> dict:
    return {
        "person": [{"name": NAME, "aliases": ["Vorontsov"], **person}],
        "source": [{"url": "https://config.example/feed.xml"}],
    }


# --- the config keys ------------------------------------------------------------------


def test_the_config_takes_an_alert_sensitivity_and_a_mute_date():
    toml_date = parse_watchlist(config(alert="Quiet", mute_until=date(2026, 12, 31)), "monitor.toml")
    text_date = parse_watchlist(config(alert="eager", mute_until="2026-12-31"), "monitor.toml")

    assert (toml_date.people[0].alert, toml_date.people[0].mute_until) == ("quiet", date(2026, 12, 31))
    assert (text_date.people[0].alert, text_date.people[0].mute_until) == ("eager", date(2026, 12, 31))
    assert parse_watchlist(config(), "monitor.toml").people[0].alert is None


@pytest.mark.parametrize(
    "key, value, problem",
    [
        ("alert", "loud", "unknown alert sensitivity 'loud'; use 'quiet', 'normal', 'eager'"),
        ("mute_until", "31.12.2026", "31.12.2026 is not a date; write it as YYYY-MM-DD"),
        ("mute_until", "2026-02-30", "mute_until: "),
        ("mute_until", 5, "mute_until: "),
    ],
)
def test_a_bad_alert_key_stops_with_one_line_naming_file_entry_and_key(key, value, problem):
    with pytest.raises(ConfigError) as error:
        parse_watchlist(config(**{key: value}), "monitor.toml")

    message = str(error.value)
    assert message.startswith(f"monitor.toml: person[1] ({NAME}): {key}: ") and "\n" not in message
    assert problem in message


@given(st.text(max_size=12))
def test_any_alert_value_is_accepted_or_refused_in_one_line(value):
    try:
        parsed = parse_watchlist(config(alert=value), "monitor.toml").people[0].alert
    except ConfigError as error:
        assert "\n" not in str(error) and str(error).startswith("monitor.toml: person[1]")
    else:
        assert parsed in ("quiet", "normal", "eager")


def test_a_config_sync_owns_the_setting_while_the_file_names_it(settings):
    with db.session_scope(settings.database_url) as session:
        sync_watchlist(session, watchlist=parse_watchlist(config(alert="quiet", mute_until="2026-12-31"), "m"))
        person = session.exec(select(Person)).one()
        assert (person.alert, person.mute_until, person.alert_from_config) == ("quiet", date(2026, 12, 31), True)

        sync_watchlist(session, watchlist=parse_watchlist(config(), "m"))  # the keys are gone: lifted
        assert (person.alert, person.mute_until, person.alert_from_config) == ("normal", None, False)

        person.alert = "eager"  # as the web sets it
        sync_watchlist(session, watchlist=parse_watchlist(config(), "m"))
        assert person.alert == "eager"  # a file that names neither key leaves the web's setting


def test_the_file_setting_changing_or_lifting_alerts_is_audited_as_the_file(settings):
    quiet = config(alert="quiet", mute_until="2026-12-31")
    with db.session_scope(settings.database_url) as session:
        for entries in (config(), quiet, quiet, config(), config()):  # defaults, set, same, lifted, same
            sync_watchlist(session, watchlist=parse_watchlist(entries, "m"))
        person = session.exec(select(Person)).one()
        audited = session.exec(
            select(AuditEntry).where(AuditEntry.target == f"person:{person.id}").order_by(AuditEntry.id)
        )
        trail = [(entry.user_id, entry.action, entry.before, entry.after) for entry in audited]

    defaults, set_ = {"alert": "normal", "mute_until": None}, {"alert": "quiet", "mute_until": "2026-12-31"}
    assert trail == [(None, "person_alerts_config", defaults, set_), (None, "person_alerts_config", set_, defaults)]


def test_a_new_person_the_file_makes_eager_is_audited_from_nothing(settings):
    with db.session_scope(settings.database_url) as session:
        sync_watchlist(session, watchlist=parse_watchlist(config(alert="eager"), "m"))
        entry = session.exec(select(AuditEntry)).one()

    assert (entry.user_id, entry.before, entry.after) == (None, None, {"alert": "eager", "mute_until": None})


# --- the detector and the alerts ------------------------------------------------------


def burst_series(size: int) -> list[int]:
    rng = random.Random(8)
    return [rng.choice((0, 1, 1, 2, 3)) for _ in range(24 * 20)] + [size]


def test_quiet_needs_a_bigger_burst_than_normal_and_eager_takes_a_smaller_one():
    def flagged(size, sensitivity):
        return [f.index for f in detect(burst_series(size), params=params_for(HOURLY_PARAMS, sensitivity))]

    sizes = range(2, 20)
    smallest = {s: min(n for n in sizes if flagged(n, s)) for s in ("quiet", "normal", "eager")}

    assert smallest["eager"] < smallest["normal"] < smallest["quiet"]
    assert smallest["eager"] >= 3  # the minimum evidence is never lowered


def test_a_mute_holds_through_its_day_in_utc():
    day = date(2026, 12, 31)
    assert muted(day, datetime(2026, 12, 31, 23, 59, tzinfo=timezone.utc))
    assert not muted(day, datetime(2027, 1, 1, 0, 0, tzinfo=timezone.utc))
    assert muted(day, datetime(2027, 1, 1, 0, 30, tzinfo=timezone(timedelta(hours=1))))  # 23:30 UTC
    assert not muted(None, datetime(2026, 1, 1, tzinfo=timezone.utc))


def add_burst(session, person: Person, source: Source, size: int) -> None:
    counts = [1 + h % 3 for h in range(24 * 5)] + [size]  # one to three an hour, then the burst
    for hour, count in enumerate(counts):
        for k in range(count):
            moment = START + timedelta(hours=hour, minutes=k)
            mention = Mention(
                source_id=source.id,
                guid=f"{hour}-{k}",
                title=f"story {hour}-{k}",
                published_at=moment,
                fetched_at=moment,
            )
            session.add(mention)
            session.flush()
            session.add(MentionPerson(mention_id=mention.id, person_id=person.id))


def people_with_burst(session, size: int, **settings_of) -> tuple[Person, datetime]:
    person, source = Person(name=NAME, **settings_of), Source(url="https://a.example/feed", name="A")
    session.add_all([person, source, Recipient(email="desk@example.org")])
    session.flush()
    add_burst(session, person, source, size)
    return person, START + timedelta(days=5, minutes=40)


def test_a_muted_persons_spike_is_shown_but_sends_no_alert_until_the_mute_ends(settings, smtp):
    with db.session_scope(settings.database_url) as session:
        person, now = people_with_burst(session, 30, mute_until=date(2099, 1, 1))
        ids = [s.id for s in update_spikes(session, now=now)]
    assert len(ids) == 1  # recorded, so the queue shows it

    assert alerts.send_spike_alerts(ids) == 0 and smtp.received == []
    with db.session_scope(settings.database_url) as session:
        assert session.exec(select(SpikeAlert)).all() == []
        session.get(Person, person.id).mute_until = date(2000, 1, 1)  # the mute has ended
    assert alerts.send_spike_alerts(ids) == 1 and len(smtp.received) == 1


@pytest.mark.parametrize(
    "size, sensitivity, expected", [(9, "quiet", 0), (9, "normal", 1), (7, "normal", 0), (7, "eager", 1)]
)
def test_the_live_detector_follows_the_persons_sensitivity(settings, size, sensitivity, expected):
    with db.session_scope(settings.database_url) as session:
        _, now = people_with_burst(session, size, alert=sensitivity)
        assert len(update_spikes(session, now=now)) == expected


# --- the person page ------------------------------------------------------------------


def make_person(**values) -> int:
    with _db() as session:
        person = Person(name=NAME, **values)
        session.add(person)
        session.flush()
        return person.id


def test_an_admin_sets_sensitivity_and_mute_on_the_person_page_audited(admin):
    person_id = make_person()
    page = admin.get(f"/people/{person_id}").text
    assert 'action="/people/%d/alerts"' % person_id in page and "Sensitivity: <strong>normal</strong>" in page

    response = post(
        admin, f"/people/{person_id}/alerts", page=f"/people/{person_id}", alert="quiet", mute_until="2026-12-31"
    )

    assert response.status_code == 303
    with _db() as session:
        person = session.get(Person, person_id)
        assert (person.alert, person.mute_until) == ("quiet", date(2026, 12, 31))
        [entry] = session.exec(select(AuditEntry).where(AuditEntry.action == "person_alerts")).all()
        assert (entry.target, entry.before, entry.after) == (
            f"person:{person_id}",
            {"alert": "normal", "mute_until": None},
            {"alert": "quiet", "mute_until": "2026-12-31"},
        )
    assert "Alerts muted through 2026-12-31" in admin.get(f"/people/{person_id}").text


def test_bad_values_and_config_owned_settings_are_refused(admin):
    person_id = make_person()
    assert post(admin, f"/people/{person_id}/alerts", page=f"/people/{person_id}", alert="loud").status_code == 422
    assert post(admin, f"/people/{person_id}/alerts", page=f"/people/{person_id}", mute_until="soon").status_code == 422
    with _db() as session:
        session.get(Person, person_id).alert_from_config = True
    assert post(admin, f"/people/{person_id}/alerts", page=f"/people/{person_id}", alert="eager").status_code == 409
    assert "Set in the config file" in admin.get(f"/people/{person_id}").text


def test_a_reviewer_sees_the_setting_but_cannot_change_it(reviewer_client):
    person_id = make_person(alert="eager")
    page = reviewer_client.get(f"/people/{person_id}").text

    assert "Sensitivity: <strong>eager</strong>" in page and 'action="/people/%d/alerts"' % person_id not in page
    assert post(reviewer_client, f"/people/{person_id}/alerts", page=f"/people/{person_id}").status_code == 403


def test_the_person_chart_has_a_time_axis_tooltips_and_the_expected_band(admin, settings):
    person_id, now = chart_person(settings)

    page = admin.get(f"/people/{person_id}").text

    assert page.count('class="x-tick"') == 5 and '<polygon class="expected-band"' in page
    today = now.date()
    assert f"<title>{today:%a %d %b}: " in page and " mention" in page.split(f"<title>{today:%a %d %b}: ")[1][:20]


def chart_person(settings, *, hours: int = 30) -> tuple[int, datetime]:
    """A person mentioned every seven hours over the last ``hours`` × 7 hours, spikes updated now."""
    with db.session_scope(settings.database_url) as session:
        person, source = Person(name=NAME), Source(url="https://a.example/feed", name="A")
        session.add_all([person, source])
        session.flush()
        now = datetime.now(timezone.utc)
        for k in range(hours):
            moment = now - timedelta(hours=k * 7)
            session.add(mention := Mention(source_id=source.id, guid=str(k), published_at=moment, fetched_at=moment))
            session.flush()
            session.add(MentionPerson(mention_id=mention.id, person_id=person.id))
        update_spikes(session, now=now)
        return person.id, now


def svg_of(page: str):
    from xml.etree import ElementTree

    return ElementTree.fromstring(page[page.index("<svg") : page.index("</svg>") + len("</svg>")])


def test_the_band_begins_on_the_day_the_detector_began_to_learn(admin, settings):
    """The detector learns from the last fortnight when a person is first counted; the chart shows
    a month. Before that fortnight it expected nothing, and a band there would say it had."""
    person_id, now = chart_person(settings)

    root = svg_of(admin.get(f"/people/{person_id}").text)
    [band] = root.findall(f"{SVG}polygon")
    # The first bucket it learns opens the lookback before the end of the current hour: in the
    # day's last hour that is the next day's midnight, a fortnight back.
    began = (now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1 - DEFAULT_LOOKBACK_HOURS)).date()
    bar = next(r for r in root.findall(f"{SVG}rect") if r.find(f"{SVG}title").text.startswith(f"{began:%a %d %b}:"))
    xs = [float(point.split(",")[0]) for point in band.get("points").split()]

    assert min(xs) == pytest.approx(float(bar.get("x")), abs=0.11)  # not the chart's first day
    assert float(bar.get("x")) > float(root.findall(f"{SVG}rect")[0].get("x")) + 100


DAMAGED_COUNTS = {
    "no day slots": lambda counts: {**counts, "day": []},
    "no dispersion": lambda counts: {key: value for key, value in counts.items() if key != "phi"},
    "text for a rate": lambda counts: {**counts, "day_sum": "many"},  # PostgreSQL's JSON holds no NaN
}


@pytest.mark.parametrize("damage", sorted(DAMAGED_COUNTS))
def test_a_damaged_stored_state_leaves_the_person_page_without_a_band_not_broken(admin, settings, damage, caplog):
    """One bad row (an old backup, a hand edit) must not break the person's page until the next
    refresh relearns it: the page shows the bars without a band and the log names the row."""
    person_id, _ = chart_person(settings)
    with db.session_scope(settings.database_url) as session:
        row = session.exec(select(SpikeState).where(SpikeState.person_id == person_id)).first()
        row.state = {**row.state, "counts": DAMAGED_COUNTS[damage](row.state["counts"])}
        session.add(row)

    with caplog.at_level(logging.ERROR, logger="monitor.core.storage.spike_state"):
        response = admin.get(f"/people/{person_id}")

    root = svg_of(response.text)
    assert response.status_code == 200 and len(root.findall(f"{SVG}rect")) == 30
    assert root.findall(f"{SVG}polygon") == [] and "unreadable" in caplog.text and NAME not in caplog.text


@given(st.lists(st.one_of(st.none(), st.tuples(st.floats(0, 1e4), st.floats(0, 1e4))), min_size=1, max_size=60))
def test_the_band_is_drawn_over_each_stretch_where_something_was_expected_and_nowhere_else(band):
    from monitor.web.charts import Frame, bar_chart

    band = [None if part is None else (min(part), max(part)) for part in band]
    frame = Frame()
    svg = svg_of(
        str(bar_chart([1] * len(band), start=datetime(2026, 3, 1, tzinfo=timezone.utc), bucket=HOUR, band=band))
    )
    step = (frame.width - frame.left - 4) / len(band)
    stretches = []  # (first, last) bucket of each stretch without a gap
    for i, part in enumerate(band):
        if part is not None:
            stretches = (
                stretches[:-1] + [(stretches[-1][0], i)]
                if stretches and stretches[-1][1] == i - 1
                else [*stretches, (i, i)]
            )
    polygons = svg.findall(f"{SVG}polygon")

    assert len(polygons) == len(stretches)
    for polygon, (first, last) in zip(polygons, stretches):
        xs = [float(point.split(",")[0]) for point in polygon.get("points").split()]
        assert min(xs) == pytest.approx(frame.left + first * step, abs=0.11)
        assert max(xs) == pytest.approx(frame.left + (last + 1) * step, abs=0.11)


def test_a_spike_on_the_person_page_is_said_in_the_readers_zone_with_its_stories(admin):
    """The explanation stored with a spike is English and in UTC; the person page says it again in
    the reader's language and zone, as the spike cards do, with the kinds of source that spiked
    inside it folded under it (one burst, one line)."""
    from tests.support.spikes import make_spike

    made = make_spike()
    with _db() as session:
        spike = session.get(Spike, made["main"])
        person_id, start = spike.person_id, spike.hour
    token = csrf_from(admin.get("/settings").text)
    admin.post("/settings/timezone", data={"timezone": "Asia/Tokyo", "csrf_token": token})

    page = admin.get(f"/people/{person_id}").text
    [line] = re.findall(r'<li class="spike">(.*?)</li>', page, re.S)  # the kinds' spikes folded under it
    said = line.split("</time>")[-1]

    tokyo = start.astimezone(ZoneInfo("Asia/Tokyo"))
    assert f"mentions between {tokyo:%H:%M} and " in said and " JST — " in said and " stories" in said, said
    assert "UTC" not in said  # the stored wording, in UTC, is not what it shows
    assert "Also spiking by source kind: rss, telegram" in said or "Also spiking by source kind: telegram, rss" in said


# --- the wording ----------------------------------------------------------------------


def test_the_explanation_reads_as_a_monitor_would_say_it():
    start = datetime(2026, 3, 10, 9, tzinfo=timezone.utc)

    assert describe(WindowCounts(41, 3, 29), start, start + timedelta(hours=1), usual_per_day=2.2) == (
        "41 mentions between 09:00 and 10:00 UTC — 3 stories, 38 copies, 29 authors; usually about 2 a day"
    )
    assert describe(WindowCounts(1, 1, 0), start, start + timedelta(days=2), usual_per_day=0.01) == (
        "1 mention between 10 Mar 09:00 and 12 Mar 09:00 UTC — 1 story; usually none"
    )


@given(
    st.integers(0, 10**6),
    st.integers(0, 10**6),
    st.integers(0, 10**6),
    st.floats(0, 1e7),
    st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1)),
    st.integers(1, 2000),
)
def test_any_explanation_is_one_line_without_statistics_jargon(mentions, stories, authors, per_day, start, minutes):
    start = start.replace(tzinfo=timezone.utc)
    text = describe(
        WindowCounts(mentions, min(stories, mentions), authors),
        start,
        start + timedelta(minutes=minutes),
        usual_per_day=per_day,
    )

    assert "\n" not in text and "p <" not in text and "expected" not in text and "last hour" not in text
    assert text.startswith(f"{mentions} mention") and text.endswith(usual(per_day))


@pytest.mark.parametrize(
    "per_day, english, russian",
    [
        (0.01, "usually none", "обычно ни одного"),
        (0.03, "usually about 1 a month", "обычно около 1 в месяц"),
        (0.05, "usually about 2 a month", "обычно около 2 в месяц"),  # a jailed activist's quiet months
        (0.1, "usually about 1 a week", "обычно около 1 в неделю"),
        (2.2, "usually about 2 a day", "обычно около 2 в день"),
        (140, "usually about 6 an hour", "обычно около 6 в час"),
    ],
)
def test_the_usual_rate_reads_per_month_week_day_or_hour_in_each_language(per_day, english, russian):
    from monitor.i18n import translations

    assert usual(per_day) == english
    assert usual(per_day, gettext=translations("ru").gettext) == russian


@given(
    st.lists(st.integers(0, 10**6), min_size=1, max_size=80),
    st.integers(1, 1440),
    st.lists(st.tuples(st.floats(0, 1e6), st.floats(0, 1e6)), max_size=80),
)
def test_any_chart_is_well_formed_svg_with_a_tooltip_per_bar(counts, minutes, band):
    from xml.etree import ElementTree

    from monitor.web.charts import bar_chart

    band = [(min(a, b), max(a, b)) for a, b in band[: len(counts)]] if len(band) >= len(counts) else None
    svg = bar_chart(
        counts,
        start=datetime(2026, 3, 1, tzinfo=timezone.utc),
        bucket=timedelta(minutes=minutes),
        inside={0},
        band=band,
        label="mentions <per> hour",
    )
    root = ElementTree.fromstring(str(svg))
    rects = root.findall("{http://www.w3.org/2000/svg}rect")

    assert len(rects) == len(counts) and all(r.find("{http://www.w3.org/2000/svg}title") is not None for r in rects)
    assert [r.find("{http://www.w3.org/2000/svg}title").text.rsplit(": ", 1)[1].split()[0] for r in rects] == [
        str(n) for n in counts
    ]
    assert all(0 <= float(r.get("y")) <= 130 and float(r.get("height")) >= 0 for r in rects)
