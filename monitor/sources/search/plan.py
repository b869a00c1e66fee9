"""The budget scheduler: how often each person is searched on each provider, and who is due.

Pure (no storage). Each provider has a request budget per minute. People are weighted by
how recently they were mentioned (``ACTIVITY_WEIGHTS``): a person in the news this week is
searched four times as often as one quiet for a month. With weights ``w`` and request
costs ``c`` (names or hashtags a search sends), the interval of person ``i`` is
``k / w_i`` with ``k = Σ c_j w_j / budget``, which spends exactly the budget, floored at
``MIN_INTERVAL_SECONDS``. A provider whose quiet people wait longer than ``COVER_SECONDS``
cannot cover the list, and the coverage page says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from monitor.sources.search.providers import MIN_INTERVAL_SECONDS

# (mentioned within, weight), first match wins; never mentioned or longer ago: weight 1.
ACTIVITY_WEIGHTS = ((timedelta(days=7), 4.0), (timedelta(days=30), 2.0))
COVER_SECONDS = 24 * 3600  # a person searched less than daily is not covered


@dataclass(frozen=True)
class Candidate:
    """One (person or community, provider) pair to plan: its cost, activity and last search."""

    key: str
    cost: int
    last_active: datetime | None = None
    last_search: datetime | None = None
    backoff_until: datetime | None = None


@dataclass
class ProviderPlan:
    """One provider's plan: the interval of every key, and the keys due now, most overdue first."""

    name: str
    budget_per_minute: float
    intervals: dict[str, float] = field(default_factory=dict)  # seconds
    due: list[str] = field(default_factory=list)

    @property
    def longest(self) -> float:
        return max(self.intervals.values(), default=0.0)

    @property
    def covers(self) -> bool:
        """True when every key is searched at least once per ``COVER_SECONDS``."""
        return self.longest <= COVER_SECONDS


def weight(last_active: datetime | None, now: datetime) -> float:
    """A key's share of the budget from its last mention (``ACTIVITY_WEIGHTS``)."""
    if last_active is not None:
        for within, value in ACTIVITY_WEIGHTS:
            if now - last_active <= within:
                return value
    return 1.0


def intervals(candidates: list[Candidate], budget_per_minute: float, now: datetime) -> dict[str, float]:
    """Seconds between two searches of each candidate, spending at most the budget.

    Water-filling: keys whose share would bring them under ``MIN_INTERVAL_SECONDS`` are held
    there, and the budget they leave is shared again among the rest (at most one round per
    weight tier).
    """
    weights = {c.key: weight(c.last_active, now) for c in candidates if c.cost > 0}
    costs = {c.key: c.cost for c in candidates if c.cost > 0}
    floored: set[str] = set()
    while True:
        spare = budget_per_minute - sum(60.0 * costs[key] / MIN_INTERVAL_SECONDS for key in floored)
        spend = sum(costs[key] * w for key, w in weights.items() if key not in floored)
        k = 60.0 * spend / spare if spare > 0 else float("inf")
        newly = {key for key, w in weights.items() if key not in floored and k / w < MIN_INTERVAL_SECONDS}
        if not newly:
            return {key: MIN_INTERVAL_SECONDS if key in floored else k / w for key, w in weights.items()}
        floored |= newly


def window_cap(candidates: list[Candidate], budget_per_minute: float) -> float:
    """The longest unspent time a run may make up for: ten minutes, or as long as the
    costliest search takes to afford (YouTube's budget buys one search in about 14 minutes)."""
    costliest = max((c.cost for c in candidates), default=1)
    return max(600.0, 60.0 * costliest / budget_per_minute) if budget_per_minute > 0 else 600.0


def plan_provider(
    name: str, candidates: list[Candidate], *, budget_per_minute: float, now: datetime, window_seconds: float
) -> ProviderPlan:
    """The provider's intervals, and the due keys whose costs fit the budget of ``window_seconds``
    (the time since the provider last spent any, see ``window_cap``).

    Due: never searched, or searched at least one interval ago, and not backing off.
    Never-searched keys go first, then the most overdue (time since / interval).
    """
    plan = ProviderPlan(name, budget_per_minute, intervals(candidates, budget_per_minute, now))
    overdue = []
    for c in candidates:
        interval = plan.intervals.get(c.key)
        if interval is None or (c.backoff_until and c.backoff_until > now):
            continue
        waited = float("inf") if c.last_search is None else (now - c.last_search).total_seconds()
        if waited >= interval:
            overdue.append((waited / interval, c))
    overdue.sort(key=lambda pair: (-pair[0], pair[1].key))
    allowance = budget_per_minute * min(window_seconds, window_cap(candidates, budget_per_minute)) / 60.0
    for _, c in overdue:
        if c.cost > allowance:
            break  # the most overdue waits for the next run rather than being overtaken by cheaper ones
        plan.due.append(c.key)
        allowance -= c.cost
    return plan


def round_robin(candidates: list[Candidate], budget_per_minute: float) -> float:
    """The naive baseline: everyone in turn at the budget, whatever their activity; one interval for all."""
    spend = sum(c.cost for c in candidates if c.cost > 0)
    return max(MIN_INTERVAL_SECONDS, 60.0 * spend / budget_per_minute) if spend else 0.0
