"""The web side of search providers (both databases): the coverage page for admins only, with
the interval each person gets and a warning where a budget cannot cover the list; the person
form asks whether a name is private; the source form warns before a Google News search names
a private person."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from monitor.core.models import Person, Source
from monitor.search.run import run_searches
from monitor.web.app import create_app
from tests.support.search import ProviderServer, post, rows, signed_in, sync, write_config

MANY = [{"name": f"Person Number{i}", "aliases": [f"Персона Номер{i}"]} for i in range(150)]


@pytest.fixture
def client(settings):
    with TestClient(create_app()) as client:
        yield client


def test_the_coverage_page_shows_each_persons_interval_and_warns_where_a_budget_falls_short(client, tmp_path):
    listing = {
        "kind": "Listing",
        "data": {
            "children": [
                {
                    "kind": "t3",
                    "data": {
                        "name": "t3_b",
                        "title": "Person Number1 freed",
                        "permalink": "/r/x/comments/b/",
                        "created_utc": 1764590400,
                    },
                }
            ]
        },
    }
    people = MANY + [{"name": "Zoya Sekretova", "private": True}]
    with ProviderServer({"/search.json": listing}) as server:
        tables = (
            f'[search.reddit]\nenabled = true\nurl = "{server.url("/search.json")}"\nbudget_per_minute = 6000\n\n'
            "[search.youtube]\nenabled = true\n\n[search.gdelt]\nenabled = false\n"
        )
        watchlist = sync(write_config(tmp_path / "monitor.toml", tables, people))
        run_searches({"reddit": watchlist.search["reddit"]}, everyone=True)
    admin = signed_in(client, "admin@example.org", "admin")
    page = admin.get("/admin/search")
    assert page.status_code == 200 and 'href="/admin/search"' in page.text
    html = page.text
    assert 'id="provider-reddit"' in html and 'id="provider-youtube"' in html and 'id="provider-gdelt"' not in html
    youtube = html.split('id="provider-youtube"')[1].split("</section>")[0]
    assert "cannot cover the list" in youtube and "every 1.5 d" in youtube  # 150 people, 100 searches a day
    assert "cannot cover" not in html.split('id="provider-reddit"')[1].split("</section>")[0]
    [number1] = rows(Person, Person.name == "Person Number1")
    row = html.split(f'id="person-{number1.id}"')[1].split("</tr>")[0]
    assert "every 15 min" in row and "1 result" in row and "not searched yet" in row
    assert "Private: never searched" in html and "Zoya Sekretova" in html.split("Private: never searched")[1]
    assert 'href="/admin/search" class="origin-config"' in admin.get("/sources").text  # the provider's source row


def test_reviewers_may_not_see_the_coverage_page(client, tmp_path):
    reviewer = signed_in(client, "rev@example.org", "reviewer")
    assert reviewer.get("/admin/search").status_code == 403


def test_the_person_form_asks_whether_a_name_is_private(client, tmp_path):
    sync(write_config(tmp_path / "monitor.toml", ""))
    admin = signed_in(client, "admin@example.org", "admin")
    form = admin.get("/admin/people").text
    assert 'type="radio" name="private" value="true" required' in form
    assert post(admin, "/admin/people", "/admin/people", name="Anna Petrova", private="true").status_code == 303
    assert post(admin, "/admin/people", "/admin/people", name="Irina Smirnova", private="false").status_code == 303
    assert post(admin, "/admin/people", "/admin/people", name="Olga Ivanova", private="maybe").status_code == 400
    private = {p.name: p.private for p in rows(Person)}
    assert private["Anna Petrova"] is True and private["Irina Smirnova"] is False and "Olga Ivanova" not in private


def test_a_google_news_search_naming_a_private_person_is_held_back_with_a_warning(client, tmp_path):
    sync(write_config(tmp_path / "monitor.toml", ""))
    admin = signed_in(client, "admin@example.org", "admin")
    url = "https://news.google.com/rss/search?q=%22%D0%97%D0%BE%D1%8F+%D0%A1%D0%B5%D0%BA%D1%80%D0%B5%D1%82%D0%BE%D0%B2%D0%B0%22&hl=ru"
    held = post(admin, "/admin/sources", "/sources", url=url, kind="googlenews")
    assert held.status_code == 400 and "Zoya Sekretova" in held.text and "marked private" in held.text
    assert not rows(Source, Source.url == url)
    other = "https://news.google.com/rss/search?q=%22Vladimir+Vorontsov%22&hl=en"
    assert post(admin, "/admin/sources", "/sources", url=other, kind="googlenews").status_code == 303
    assert post(admin, "/admin/sources", "/sources", url=url, kind="googlenews", confirm="true").status_code == 303
    assert rows(Source, Source.url == url)
