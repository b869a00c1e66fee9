"""Request limits: numbers beyond 64 bits, far-off dates and long searches answer 422 (never
500), bodies over 1 MiB answer 413 before anything parses them, pages and exports are not
cached, and bidi controls from feeds never reach a page. On SQLite and PostgreSQL.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from monitor.web.app import create_app
from monitor.web.limits import DB_ID_MAX, MAX_BODY_BYTES, MAX_SEARCH_CHARS
from tests.support.web import add_mention, add_reviewer, csrf_from, login

HUGE = str(2**64)
FAR_DATES = ("9999-12-31", "0001-01-01")
FAR_TIMES = ("9999-12-31T23:59:59-01:00", "0001-01-01T00:00:00+01:00")


@pytest.fixture
def client(settings):
    # Server errors come back as 500 responses instead of exceptions: a 500 is what the test looks for.
    with TestClient(create_app(), raise_server_exceptions=False) as client:
        add_reviewer()
        assert login(client).status_code == 303
        yield client


@pytest.mark.parametrize(
    "path",
    [
        f"/review?person={HUGE}",
        f"/review?assigned={HUGE}",
        f"/review/export.csv?person={HUGE}",
        f"/api/cards?assigned={HUGE}",
        f"/api/mentions?offset={HUGE}",
        f"/review/fresh?newest={HUGE}",
        f"/review?after=2026-01-01T00:00:00%2B00:00_{HUGE}",
        f"/api/cards?after=2026-01-01T00:00:00%2B00:00_{HUGE}",
        f"/people/{HUGE}",
        f"/people/{DB_ID_MAX + 1}",
        f"/mentions/{HUGE}",
        f"/clusters/{HUGE}",
        f"/admin/people/{HUGE}",
    ],
)
def test_integers_beyond_64_bits_answer_422(client, path):
    add_mention()
    assert client.get(path).status_code == 422, path


def test_integers_beyond_64_bits_in_forms_and_json_answer_422(client):
    add_mention()
    token = csrf_from(client.get("/review").text)
    form = {"csrf_token": token, "action": "label", "value": "news", "ids": HUGE}
    assert client.post("/review/act", data=form).status_code == 422
    assert client.post(f"/review/{HUGE}", data={"csrf_token": token, "decision": "confirmed"}).status_code == 422
    headers = {"X-CSRF-Token": token}
    assert (
        client.post(
            "/api/cards/act", json={"ids": [int(HUGE)], "action": "label", "value": "news"}, headers=headers
        ).status_code
        == 422
    )
    assert (
        client.post(f"/api/mentions/{HUGE}/decision", json={"decision": "confirmed"}, headers=headers).status_code
        == 422
    )


@pytest.mark.parametrize(
    "query",
    [f"since={d}" for d in FAR_DATES]
    + [f"until={d}" for d in FAR_DATES]
    + [f"after={t.replace('+', '%2B')}_1" for t in FAR_TIMES],
)
def test_far_off_dates_answer_422(client, query):
    add_mention()
    for path in ("/review", "/api/cards", "/review/export.csv"):
        if "after" in query and "export" in path:
            continue
        assert client.get(f"{path}?{query}").status_code == 422, (path, query)


def test_far_off_times_in_the_spike_api_answer_422(client):
    for stamp in FAR_TIMES:
        assert client.get("/api/spikes", params={"since": stamp}).status_code == 422, stamp


def test_the_largest_64_bit_id_is_still_an_ordinary_not_found(client):
    assert client.get(f"/people/{DB_ID_MAX}").status_code == 404


def test_a_search_longer_than_the_cap_answers_422(client):
    add_mention(text="Vorontsov spoke in court today.")
    assert client.get("/review", params={"q": "x" * (MAX_SEARCH_CHARS + 1)}).status_code == 422
    assert client.get("/api/cards", params={"q": "court" + " " * MAX_SEARCH_CHARS + "x"}).status_code == 422
    found = client.get("/api/cards", params={"q": "court"}).json()["cards"]
    assert len(found) == 1  # an ordinary search still works


@hypothesis_settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    name=st.sampled_from(
        [
            "person",
            "assigned",
            "after",
            "since",
            "until",
            "q",
            "newest",
            "offset",
            "limit",
            "state",
            "label",
            "language",
            "kind",
        ]
    ),
    value=st.one_of(
        st.integers(min_value=-(2**80), max_value=2**80).map(str),
        st.integers(2**62, 2**80).map(str),
        st.text(max_size=300),
        st.dates().map(str),
        st.datetimes().map(lambda d: f"{d.isoformat()}_7"),
    ),
)
def test_no_query_value_makes_a_server_error(client, name, value):
    for path in ("/review", "/api/cards", "/api/mentions", "/review/fresh"):
        response = client.get(path, params={name: value})
        assert response.status_code < 500, (path, name, value, response.text[:200])


def test_a_body_over_the_limit_is_refused_before_parsing_even_anonymously(settings):
    with TestClient(create_app()) as client:
        token = csrf_from(client.get("/login").text)
        big = "x" * (MAX_BODY_BYTES + 1)
        response = client.post("/login", data={"email": "a@example.org", "password": big, "csrf_token": token})
        assert response.status_code == 413
        response = client.post(
            "/api/cards/act",
            content=b"[" + b"1," * MAX_BODY_BYTES + b"1]",
            headers={"content-type": "application/json", "X-CSRF-Token": token},
        )
        assert response.status_code == 413


def test_a_streamed_body_without_a_length_is_cut_at_the_limit(settings):
    def chunks():  # a generator body: sent chunked, with no Content-Length to trust
        for _ in range(MAX_BODY_BYTES // 65536 + 4):  # a little over the limit, in pieces
            yield b"x" * 65536

    with TestClient(create_app()) as client:
        token = csrf_from(client.get("/login").text)
        response = client.post(
            "/login",
            content=chunks(),
            headers={"content-type": "application/x-www-form-urlencoded", "X-CSRF-Token": token},
        )
    assert response.status_code == 413


def test_a_body_under_the_limit_still_works(client):
    token = csrf_from(client.get("/review").text)
    response = client.post(
        "/api/cards/act",
        json={"ids": [1], "action": "label", "value": "news", "pad": "x" * (MAX_BODY_BYTES // 2)},
        headers={"X-CSRF-Token": token},
    )
    assert response.status_code in (200, 404)


def test_authenticated_pages_and_exports_are_never_stored_by_a_cache(client):
    mention_id = add_mention()
    for path in (
        "/review",
        "/people",
        "/review/export.csv",
        "/review/export.atom",
        "/api/cards",
        "/api/me",
        "/docs",
        "/openapi.json",
        "/account/sessions",
        f"/api/mentions?offset=0&m={mention_id}",
    ):
        response = client.get(path)
        assert response.status_code == 200 and response.headers["cache-control"] == "no-store", path
    assert "no-store" not in client.get("/static/style.css").headers.get("cache-control", "")


BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"


def test_bidi_controls_from_feeds_never_reach_a_page_or_the_atom_export(client):
    spoof = "Vorontsov \u202eetuor\u202c freed \u2067lawyer\u2069 \u200fsays\u200e \u061cok"
    add_mention(title=f"Hearing \u202e{spoof}", text=f"{spoof} in court", source="News \u202eswen")
    pages = [
        client.get("/review").text,
        client.get("/review?state=all&q=freed").text,
        client.get("/people/1").text,
        client.get("/review/fresh?newest=0").json()["html"],
        client.get("/review/export.atom").text,
    ]
    for html in pages:
        assert not set(BIDI) & set(html)
    assert "Vorontsov etuor freed lawyer says ok" in pages[0].replace("<mark>", "").replace("</mark>", "")
