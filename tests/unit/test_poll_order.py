"""The poll's order: hosts take turns, so one site's many sources cannot hold every poll slot
while they wait for that site's gap."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from monitor.ingest.poller import _Target, by_turns


def _targets(hosts: list[str]) -> list[_Target]:
    return [
        _Target(i, f"s{i}", f"https://{host}/feed/{i}", "rss", None, None, None, None) for i, host in enumerate(hosts)
    ]


def test_sources_of_one_site_listed_together_take_turns_with_the_other_sites():
    order = by_turns(_targets(["a.example"] * 4 + ["b.example"] * 2 + ["c.example"]))
    assert [t.id for t in order] == [0, 4, 6, 1, 5, 2, 3]


def test_a_url_without_a_readable_host_still_takes_its_turn():
    order = by_turns(_targets(["a.example", "[::1", "a.example"]))
    assert sorted(t.id for t in order) == [0, 1, 2]


@given(st.lists(st.sampled_from(["a.example", "b.example", "C.example", "c.example", "d.example"]), max_size=40))
def test_every_source_is_polled_once_and_each_site_keeps_its_own_order(hosts):
    order = by_turns(_targets(hosts))
    assert sorted(t.id for t in order) == list(range(len(hosts)))
    for host in {h.lower() for h in hosts}:
        ids = [t.id for t in order if host in t.url.lower()]
        assert ids == sorted(ids)
    # no site's k-th source comes before another site's (k-1)-th
    turn, seen = [], {}
    for t in order:
        host = t.url.split("/")[2].lower()
        turn.append(seen.get(host, 0))
        seen[host] = seen.get(host, 0) + 1
    assert turn == sorted(turn)
