"""The admin "find feeds" form on the sources page: an address in, the feeds found offered.

Each feed found is shown with its own "add" button posting to ``/admin/sources`` (the
existing add-source form, which validates, audits and stores), so the admin chooses. The
search runs ``monitor.ingest.discovery`` through the guarded client with its bounds; titles come
from the sites and are escaped by the template like any feed text.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from monitor import i18n
from monitor.ingest.discovery.find import DiscoveryError, discover
from monitor.web.deps import AdminDep, SessionDep
from monitor.web.manage import _sources_page

router = APIRouter(include_in_schema=False)


@router.post("/admin/source-discovery")
def find_feeds(request: Request, session: SessionDep, user: AdminDep, address: Annotated[str, Form()]) -> Response:
    """The sources page with the feeds found at ``address`` to choose from, or why none were."""
    try:
        found = discover(address)
    except DiscoveryError as exc:
        return _sources_page(request, session, user, error=str(exc), status=400)
    if not found:
        return _sources_page(request, session, user, error=i18n.gettext("no feed found at that address"), status=404)
    return _sources_page(request, session, user, found=found, address=address)
