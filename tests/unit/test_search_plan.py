"""The search budget planner (pure): intervals spend at most the budget, people in the news
are searched more often, due searches fit the run's allowance most-overdue first, and a
provider whose budget cannot search everyone daily says so."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from monitor.sources.search import plan as planner
from monitor.sources.search.providers import MIN_INTERVAL_SECONDS

NOW = datetime(2026, 12, 1, 12, tzinfo=timezone.utc)
ACTIVITY = st.sampled_from([None, NOW - timedelta(days=1), NOW - timedelta(days=14), NOW - timedelta(days=90)])
CANDIDATES = st.lists(st.tuples(st.integers(min_value=0, max_value=6), ACTIVITY), min_size=1, max_size=60)


def pool(specs) -> list[planner.Candidate]:
    return [planner.Candidate(f"person:{i}", cost, active) for i, (cost, active) in enumerate(specs)]


@hsettings(max_examples=200, deadline=None)
@given(specs=CANDIDATES, budget=st.floats(min_value=0.01, max_value=1000))
def test_intervals_never_spend_more_than_the_budget(specs, budget):
    candidates = pool(specs)
    intervals = planner.intervals(candidates, budget, NOW)
    per_minute = sum(c.cost * 60.0 / intervals[c.key] for c in candidates if c.cost)
    assert per_minute <= budget * (1 + 1e-9)
    assert all(value >= MIN_INTERVAL_SECONDS for value in intervals.values())
    assert {c.key for c in candidates if c.cost} == set(intervals)


@hsettings(max_examples=200, deadline=None)
@given(specs=CANDIDATES, budget=st.floats(min_value=0.01, max_value=1000))
def test_a_person_in_the_news_is_never_searched_less_often_than_a_quiet_one(specs, budget):
    candidates = pool(specs)
    intervals = planner.intervals(candidates, budget, NOW)
    for a in candidates:
        for b in candidates:
            if a.cost and b.cost and planner.weight(a.last_active, NOW) > planner.weight(b.last_active, NOW):
                assert intervals[a.key] <= intervals[b.key]


def test_the_budget_left_by_the_floor_goes_to_the_quiet():
    candidates = pool([(1, NOW - timedelta(days=1))] * 10 + [(1, None)] * 100)
    intervals = planner.intervals(candidates, 6.0, NOW)  # 110 searches, 6 a minute
    assert intervals["person:0"] == MIN_INTERVAL_SECONDS
    spent = 10 * 60 / MIN_INTERVAL_SECONDS + 100 * 60 / intervals["person:50"]
    assert abs(spent - 6.0) < 1e-9


@hsettings(max_examples=200, deadline=None)
@given(
    specs=CANDIDATES,
    budget=st.floats(min_value=0.01, max_value=100),
    window=st.floats(min_value=1, max_value=7200),
    searched=st.lists(st.floats(min_value=0, max_value=86400 * 30), min_size=60, max_size=60),
)
def test_due_searches_fit_the_allowance_of_the_window(specs, budget, window, searched):
    candidates = [
        planner.Candidate(c.key, c.cost, c.last_active, NOW - timedelta(seconds=s))
        for c, s in zip(pool(specs), searched)
    ]
    plan = planner.plan_provider("x", candidates, budget_per_minute=budget, now=NOW, window_seconds=window)
    costs = {c.key: c.cost for c in candidates}
    allowed = budget * min(window, planner.window_cap(candidates, budget)) / 60.0
    assert sum(costs[key] for key in plan.due) <= allowed + 1e-9
    for key in plan.due:
        last = next(c.last_search for c in candidates if c.key == key)
        assert (NOW - last).total_seconds() >= plan.intervals[key]


def test_never_searched_people_go_first_and_a_backing_off_one_waits():
    candidates = [
        planner.Candidate("person:1", 1, None, NOW - timedelta(days=2)),
        planner.Candidate("person:2", 1, None, None),
        planner.Candidate("person:3", 1, None, None, backoff_until=NOW + timedelta(minutes=5)),
    ]
    plan = planner.plan_provider("x", candidates, budget_per_minute=2, now=NOW, window_seconds=60)
    assert plan.due == ["person:2", "person:1"]


def test_youtube_sized_budgets_wait_until_a_search_is_affordable_and_warn():
    candidates = pool([(1, None)] * 1000)
    budget = 100 / 1440
    assert planner.plan_provider("youtube", candidates, budget_per_minute=budget, now=NOW, window_seconds=60).due == []
    later = planner.plan_provider("youtube", candidates, budget_per_minute=budget, now=NOW, window_seconds=15 * 60)
    assert len(later.due) == 1
    assert not later.covers and later.longest == 1000 / 100 * 86400
    small = planner.plan_provider("gdelt", pool([(1, None)] * 100), budget_per_minute=12, now=NOW, window_seconds=60)
    assert small.covers and len(small.due) == 12
