"""What the coverage page shows: per provider its budget, pause and plan; per person and
provider the last search, the interval the plan achieves, and the results it brought.

Reads only (storage and the pure planner); the web route renders it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session, select

from monitor.core.config_search import SearchEntry
from monitor.core.models import Person
from monitor.core.models_search import SearchProvider, SearchState
from monitor.core.storage import search as state
from monitor.sources.search import plan as planner
from monitor.sources.search.base import Target
from monitor.sources.search.providers import cost, per_minute


@dataclass
class Cell:
    """One person on one provider: planned interval (None: nothing to search), the state row."""

    interval: float | None
    row: SearchState | None


@dataclass
class ProviderCoverage:
    name: str
    budget_per_minute: float
    plan: planner.ProviderPlan
    pause: SearchProvider | None
    people: int = 0


@dataclass
class Coverage:
    providers: list[ProviderCoverage] = field(default_factory=list)
    people: list[Person] = field(default_factory=list)
    cells: dict[tuple[int, str], Cell] = field(default_factory=dict)  # (person id, provider)
    private: list[Person] = field(default_factory=list)


def coverage(session: Session, *, search: dict[str, SearchEntry], now: datetime) -> Coverage:
    """The coverage of every enabled provider for the searchable people (private ones listed apart)."""
    targets = state.searchable_people(session)
    active = state.last_active(session)
    found = Coverage(
        people=[session.get(Person, t.person_id) for t in targets],
        private=list(
            session.exec(select(Person).where(Person.private == True, Person.active == True).order_by(Person.name))
        ),  # noqa: E712
    )
    for name, entry in search.items():
        if entry.enabled:
            found.providers.append(_provider(session, name, entry, targets, active, now, found.cells))
    return found


def _provider(
    session: Session, name: str, entry: SearchEntry, targets: list[Target], active: dict, now: datetime, cells: dict
) -> ProviderCoverage:
    rows = state.states(session, provider=name)
    candidates = [planner.Candidate(t.subject, cost(name, t, entry), active.get(t.person_id)) for t in targets]
    budget = per_minute(name, entry)
    plan = planner.plan_provider(name, candidates, budget_per_minute=budget, now=now, window_seconds=0)
    for target in targets:
        cells[(target.person_id, name)] = Cell(plan.intervals.get(target.subject), rows.get(target.subject))
    return ProviderCoverage(name, budget, plan, state.provider_pause(session, provider=name), len(plan.intervals))


def human_interval(seconds: float | None) -> str:
    """``15 min``, ``2.5 h``, ``10 d``; an em dash for nothing to search."""
    if seconds is None:
        return "—"
    for unit, size in (("d", 86400), ("h", 3600)):
        if seconds >= size:
            return f"{seconds / size:.1f} {unit}".replace(".0 ", " ")
    return f"{round(seconds / 60)} min"
