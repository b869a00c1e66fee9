"""Benchmark: the search budget planner for 1,000 people × the six providers.

Run by hand: ``python bench/bench_search_plan.py [--people 1000] [--runs 5]``. Plans every
provider at its documented budget (``monitor.sources.search.plan``) for a list where a tenth of the
people were mentioned this week and a fifth this month, and prints per provider the interval
a person achieves (in the news this week, this month, quiet) beside the naive baseline from
the same run: round-robin at the same budget, everyone alike whatever their activity. Also
the time to plan all six, per run and as the median (the target: under a second).
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from datetime import datetime, timedelta, timezone

from monitor.core.config_search import SearchEntry
from monitor.sources.search import plan as planner
from monitor.sources.search.providers import MODULES, per_minute

ENTRIES = {
    name: SearchEntry(enabled=True, instances=["https://mastodon.social"] if name == "mastodon" else [])
    for name in MODULES
}
COSTS = {"gdelt": 1, "reddit": 1, "bluesky": 2, "mastodon": 1, "vk": 2, "youtube": 1}  # two names each; one hashtag


def candidates(people: int, cost: int, now: datetime, rng: random.Random) -> list[planner.Candidate]:
    """People with a tenth active this week, a fifth this month, the rest quiet; searched at random times."""
    found = []
    for i in range(people):
        roll = rng.random()
        active = now - timedelta(days=2) if roll < 0.1 else now - timedelta(days=20) if roll < 0.3 else None
        last = now - timedelta(seconds=rng.uniform(0, 86400 * 3)) if rng.random() < 0.9 else None
        found.append(planner.Candidate(f"person:{i}", cost, active, last))
    return found


def plan_all(people: int, now: datetime, rng: random.Random) -> dict[str, tuple[planner.ProviderPlan, list]]:
    plans = {}
    for name, entry in ENTRIES.items():
        pool = candidates(people, COSTS[name], now, rng)
        plans[name] = (
            planner.plan_provider(name, pool, budget_per_minute=per_minute(name, entry), now=now, window_seconds=60),
            pool,
        )
    return plans


def human(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds / size:.1f} {unit}"
    return f"{seconds:.0f} s"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    now = datetime(2026, 12, 1, 12, tzinfo=timezone.utc)
    timings = []
    for run in range(args.runs):
        started = time.perf_counter()
        plans = plan_all(args.people, now, random.Random(16 + run))
        timings.append(time.perf_counter() - started)
        print(f"run {run + 1}: planned {args.people} people x {len(plans)} providers in {timings[-1] * 1000:.1f} ms")
    print(f"median: {statistics.median(timings) * 1000:.1f} ms (target < 1000 ms)\n")
    print(
        f"{'provider':<9} {'budget/min':>10} {'due now':>8} | {'this week':>10} {'this month':>10} {'quiet':>10} | {'round-robin':>11} | covers a day"
    )
    for name, (plan, pool) in plans.items():
        by_tier = {}
        for c in pool:
            by_tier.setdefault(planner.weight(c.last_active, now), plan.intervals[c.key])
        baseline = planner.round_robin(pool, plan.budget_per_minute)
        print(
            f"{name:<9} {plan.budget_per_minute:>10.2f} {len(plan.due):>8} | {human(by_tier[4.0]):>10} {human(by_tier[2.0]):>10} "
            f"{human(by_tier[1.0]):>10} | {human(baseline):>11} | {'yes' if plan.covers else 'NO'}"
        )


if __name__ == "__main__":
    main()
