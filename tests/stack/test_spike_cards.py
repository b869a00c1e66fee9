"""Spike cards on the review queue: chart, explanation, the mentions inside the window, and
"mark as expected" (audited, stops alerts), through the app and in headless Chromium."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlmodel import select

from monitor.core.models import (
    AuditEntry,
    Mention,
    MentionPerson,
    Spike,
    SpikeAlert,
    User,
    utcnow,
)
from monitor.core.storage.spikes import floor_hour
from monitor.notify import alerts
from tests.support.browser import _log_in, _wait_for, _watch
from tests.support.spikes import make_spike
from tests.support.web import EMAIL, _db, csrf_from


def card_html(page: str, spike_id: int) -> str:
    found = re.search(rf'<article class="spike-card[^"]*" id="spike-{spike_id}".*?</article>', page, re.S)
    assert found, f"no card for spike {spike_id}"
    return found.group(0)


def test_a_spike_card_shows_the_explanation_chart_kinds_and_the_mentions_inside_the_window(reviewer_client):
    made = make_spike()

    page = reviewer_client.get("/review").text

    card = card_html(page, made["main"])
    assert page.count('class="spike-card') == 1  # the per-kind spikes fold into the person's card
    hour = floor_hour(utcnow()) - timedelta(hours=1)
    # Said as a monitor would: the window's clock times, stories and copies, the usual rate;
    # no p-value, no "expected 0.0", no "in the last hour" about a window that has ended.
    summary = re.search(r'<p class="spike-explanation">([^<]*)</p>', card).group(1)
    assert re.fullmatch(
        rf"16 mentions between {hour:%H:%M} and {hour + timedelta(hours=1):%H:%M} UTC — "
        r"16 stories; usually about \d+ (a day|a week)",
        summary,
    ), summary
    assert not re.search(r"p &lt;|p =|expected 0|in the last hour", card)
    assert "Also spiking by source kind: rss, telegram" in card or "Also spiking by source kind: telegram, rss" in card
    assert card.count('<rect class="bar in-spike"') == 1 and card.count('<rect class="bar') > 24
    assert "16 mentions in the window<" in card and 'href="https://example.org/' in card
    assert re.search(rf"The busiest hour: 16 mentions from <time[^>]*>{hour:%Y-%m-%d %H:%M} UTC</time>", card)
    assert re.search(
        rf"from <time[^>]*>{hour:%Y-%m-%d %H:%M} UTC</time> to <time[^>]*>"
        rf"{hour + timedelta(hours=1):%Y-%m-%d %H:%M} UTC</time>",
        card,
    )
    # The chart: a tooltip with time and count on every bar, a time axis, and the expected band.
    assert f"<title>{hour:%a %d %b %H:%M}–{hour + timedelta(hours=1):%H:%M} UTC: 16 mentions</title>" in card
    assert card.count('class="x-tick"') == 5 and f">{hour:%H:%M}</text>" in card
    assert card.count('<polygon class="expected-band"') == 1
    assert "Verdict for &lt;b&gt;Vorontsov&lt;/b&gt; &lt;script&gt;" in card and "<script>window" not in page
    assert not any(title in card for title in made["quiet"])  # mentions before the window are not listed


def test_a_long_list_of_mentions_starts_folded_and_says_how_many_it_shows(reviewer_client):
    made = make_spike(kinds=("rss",), loud_count=30)

    card = card_html(reviewer_client.get("/review").text, made["main"])

    assert "30 mentions in the window (the first 20)" in card
    assert card.count("<li>") == 20 and '<details class="spike-mentions">' in card  # folded


def test_a_short_list_of_mentions_is_open(reviewer_client):
    made = make_spike(kinds=("rss",), loud_count=16)
    with _db() as session:  # the person keeps four of the burst's mentions: the spike stays, its list is short
        for mention in session.exec(select(Mention).where(Mention.title.startswith("Verdict"))).all()[4:]:
            session.delete(session.exec(select(MentionPerson).where(MentionPerson.mention_id == mention.id)).one())
        session.commit()

    card = card_html(reviewer_client.get("/review").text, made["main"])

    assert "4 mentions in the window<" in card and '<details class="spike-mentions" open>' in card


def test_marking_a_spike_expected_records_who_and_when_is_audited_and_stops_its_alerts(reviewer_client):
    made = make_spike()
    token = csrf_from(reviewer_client.get("/review").text)

    response = reviewer_client.post(
        f"/spikes/{made['main']}/expected", data={"csrf_token": token}, follow_redirects=False
    )

    assert (response.status_code, response.headers["location"]) == (303, "/review")
    with _db() as session:
        reviewer = session.exec(select(User).where(User.email == EMAIL)).one()
        spikes = session.exec(select(Spike)).all()
        assert {(s.expected_by_reviewer, s.expected_by) for s in spikes} == {(True, reviewer.id)}
        assert all(utcnow() - s.expected_at < timedelta(minutes=1) for s in spikes)
        entries = session.exec(
            select(AuditEntry).where(~AuditEntry.target.startswith("signin:")).order_by(AuditEntry.id)
        ).all()
        assert sorted(e.target for e in entries) == sorted(f"spike:{i}" for i in made["ids"].values())
        assert {(e.action, e.user_id, e.after["expected_by_reviewer"]) for e in entries} == {
            ("spike_expected", reviewer.id, True)
        }
    assert alerts.send_spike_alerts(list(made["ids"].values())) == 0
    with _db() as session:
        assert session.exec(select(SpikeAlert)).all() == []
    card = card_html(reviewer_client.get("/review").text, made["main"])
    assert 'class="spike-card expected"' in card and f"marked by {EMAIL}" in card and "Not expected" in card


def test_a_spike_can_be_unmarked_and_an_unknown_spike_is_a_404(reviewer_client):
    made = make_spike(kinds=("rss",))
    token = csrf_from(reviewer_client.get("/review").text)
    reviewer_client.post(f"/spikes/{made['main']}/expected", data={"csrf_token": token})

    reviewer_client.post(f"/spikes/{made['main']}/expected", data={"csrf_token": token, "expected": "0"})

    with _db() as session:
        spike = session.get(Spike, made["main"])
        assert (spike.expected_by_reviewer, spike.expected_by, spike.expected_at) == (False, None, None)
        assert [
            e.action
            for e in session.exec(
                select(AuditEntry).where(~AuditEntry.target.startswith("signin:")).order_by(AuditEntry.id)
            )
        ] == ["spike_expected", "spike_unexpected"]
    assert reviewer_client.post("/spikes/999999/expected", data={"csrf_token": token}).status_code == 404


@pytest.mark.browser
def test_in_the_browser_the_spike_card_shows_the_chart_and_marking_it_expected_updates_it(server, browser):
    from tests.support.web import add_reviewer

    add_reviewer()
    made = make_spike()
    page = browser.new_page()
    seen = _watch(page)
    _log_in(page, server)

    card = page.locator(f"#spike-{made['main']}")
    assert card.locator("svg.spike-chart rect.in-spike").count() == 1
    # The chart is drawn with a time axis, a hover tooltip (time and count) per bar, and the band.
    hot = card.locator("svg.spike-chart rect.in-spike")
    assert hot.bounding_box()["height"] > 50 and hot.locator("title").text_content().endswith(": 16 mentions")
    assert card.locator("svg.spike-chart text.x-tick").count() == 5
    assert card.locator("svg.spike-chart polygon.expected-band").count() == 1
    assert card.locator(".spike-explanation").inner_text().startswith("16 mentions between ")
    assert card.locator(".spike-mentions li a").count() == 16
    assert not card.locator(".spike-mentions li a").first.is_visible()  # sixteen: the list starts folded
    card.locator(".spike-mentions summary").click()
    assert card.locator(".spike-mentions li a").first.inner_text().startswith("Verdict for <b>Vorontsov</b>")
    assert page.evaluate("window.pwned") is None

    card.locator("button", has_text="Mark as expected").click()
    page.wait_for_url(f"{server}/review")
    _wait_for(lambda: "expected" in (page.locator(f"#spike-{made['main']}").get_attribute("class") or ""))
    assert f"marked by {EMAIL}" in page.locator(f"#spike-{made['main']} .spike-status").inner_text()
    assert page.locator(f"#spike-{made['main']} button").inner_text() == "Not expected"
    with _db() as session:
        assert session.get(Spike, made["main"]).expected_by_reviewer is True
    assert seen["errors"] == [] and [m for m in seen["console"] if m.startswith("error")] == []
