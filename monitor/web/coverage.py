"""The search coverage page (admins): per person and provider, the last search, the interval
the budget achieves and the results; a warning where a provider's budget cannot cover the list."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from monitor.clock import utcnow
from monitor.core.config_file import ConfigError, load_watchlist
from monitor.core.settings import get_settings
from monitor.search.coverage import coverage, human_interval
from monitor.sources.search.plan import COVER_SECONDS
from monitor.web.deps import AdminDep, SessionDep, render

router = APIRouter(include_in_schema=False)


@router.get("/admin/search")
def search_coverage(request: Request, session: SessionDep, user: AdminDep) -> Response:
    """Which providers are enabled (the config file says), and how well their budgets cover the list."""
    problem, search = None, {}
    try:
        search = load_watchlist(get_settings().config).search
    except ConfigError as exc:
        problem = exc.loggable  # file, entry and key: the page must not quote a watched name from a broken file
    found = coverage(session, search=search, now=utcnow())
    return render(
        request,
        "coverage.html",
        user=user,
        coverage=found,
        problem=problem,
        human=human_interval,
        cover_seconds=COVER_SECONDS,
    )
