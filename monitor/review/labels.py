"""How sources read on the pages: the kind that was detected, and "never polled".

A source configured as ``auto`` shows what its polls found (``Source.detected_kind``, written
by the poller), and "auto" only until its first successful poll.
"""

from __future__ import annotations

import sqlalchemy as sa

from monitor import i18n
from monitor.core.models import Source

# The kind a card, the filter menu and the sources table show: for "auto", what was detected.
SHOWN_KIND = sa.case((Source.kind == "auto", sa.func.coalesce(Source.detected_kind, "auto")), else_=Source.kind)


def kind_label(source: Source) -> str:
    """``rss`` for a configured kind; ``atom (detected)`` for ``auto``; ``auto (not polled yet)``."""
    if source.kind != "auto":
        return source.kind
    if source.detected_kind:
        return i18n.gettext("%(kind)s (detected)") % {"kind": source.detected_kind}
    return i18n.gettext("auto (not polled yet)")


def health(source: Source, silent: bool) -> str:
    """One word or two for the sources table: disabled, never polled, went silent, failing (n), ok."""
    if not source.enabled:
        return "disabled"
    if not any(
        (
            source.last_polled_at,
            source.last_success_at,
            source.last_error_at,
            source.last_new_at,
            source.consecutive_failures,
        )
    ):
        return "never polled"
    if silent:
        return "went silent"
    if source.consecutive_failures:
        return i18n.gettext("failing (%(num)d)") % {"num": source.consecutive_failures}
    return "ok"
