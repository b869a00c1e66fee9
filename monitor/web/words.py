"""Words the pages print from data (states, labels, kinds, roles), marked for translation.

Templates show these as ``{{ _(value) }}``: the value stays the English word the code and the
database use, and only what the page prints is translated. Marking them here puts them in the
catalogue, since extraction cannot see a value inside ``_(…)``. ``script_words`` hands the
page script (``static/review.js``) its words the same way.
"""

from __future__ import annotations

from monitor import i18n
from monitor.i18n import N_

REVIEW_STATES = (N_("unreviewed"), N_("reviewed"), N_("escalated"))
LABELS = (N_("solidarity"), N_("news"), N_("hostile"), N_("unrelated"), N_("other"))
ALERT_LEVELS = (N_("quiet"), N_("normal"), N_("eager"))
TERM_KINDS = (N_("alias"), N_("exclude"), N_("hashtag"), N_("handle"), N_("context"), N_("language"), N_("gender"))
ROLES = (N_("reviewer"), N_("admin"))
HEALTH = (N_("disabled"), N_("never polled"), N_("went silent"), N_("ok"))
BUCKETS = (N_("hour"), N_("day"))


def script_words() -> dict:
    """What review.js prints, in the language in use: the data words, its error lines, and the
    "N new mentions" bar in each CLDR plural category (the page picks one with Intl.PluralRules;
    ``{n}`` is the count, ``{detail}`` the server's reason)."""
    shown = {word: i18n.gettext(word) for word in (*REVIEW_STATES, *LABELS)}
    new = {
        category: i18n.ngettext("%(num)s new mention — show", "%(num)s new mentions — show", sample) % {"num": "{n}"}
        for category, sample in (("one", 1), ("few", 2), ("many", 5), ("other", 5))
    }
    errors = {
        "401": i18n.gettext("Your session has ended: log in again in another tab, then retry. Nothing was changed."),
        "csrf": i18n.gettext(
            "This page is out of date (logged in elsewhere?): reload it and try again. Nothing was changed."
        ),
        "403": i18n.gettext("Not allowed: {detail}. Nothing was changed."),
        "403_default": i18n.gettext("your account may not do this"),
        "0": i18n.gettext("The monitor did not answer (network or server down). Nothing was changed."),
        "other": i18n.gettext("The action failed ({detail}). Nothing was changed."),
    }
    return {"words": shown, "new": new, "errors": errors}
