"""Suggested labels from cue phrases: a hint shown on the card, never applied by itself.

The solidarity cue is one rule for the card and the digest (whose "solidarity highlights" are
the day's posts it marks), so a card never hints "news" for a post the digest files under
solidarity. The rule is a list of words found in the case-folded text (``monitor.core.textsearch``:
the same folding in Python, on SQLite and on PostgreSQL), so it reads the same in Python
(``solidarity_cue``) and in SQL (``solidarity_sql``). This module is pure: no web framework,
so the digest imports it too.
"""

from __future__ import annotations

import re

import sqlalchemy as sa

from monitor.core.textsearch import contains, fold_case

# Words that mark a post as standing with the person rather than merely naming them (folded):
# English, Russian and Ukrainian, the languages of the interface. "support" finds supporters,
# so their Russian and Ukrainian words are here too; "свобод" is both languages' "freedom".
SOLIDARITY_WORDS = (
    "solidarity",
    "#free",
    "free ",
    "freedom for",
    "stand with",
    "stands with",
    "standing with",
    "standwith",
    "support",
    "release",
    "солидарн",
    "свобод",
    "поддерж",
    "сторонник",
    "солідарн",
    "підтрим",
    "прихильник",
)

OTHER_CUES: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "hostile",
        re.compile(
            r"traitor|предател|зрадник|terrorist|террорист|терорист|extremist|экстремист|екстреміст", re.IGNORECASE
        ),
    ),
    ("news", re.compile(r"\bcourt\b|\bsentenc|\bhearing\b|приговор|заседани|вирок|засіданн", re.IGNORECASE)),
)


def solidarity_cue(text: str) -> str | None:
    """The solidarity word found in ``text`` (first in list order), or None."""
    folded = fold_case(text or "")
    return next((word for word in SOLIDARITY_WORDS if word in folded), None)


def solidarity_sql(*columns) -> sa.ColumnElement[bool]:
    """The same rule as ``solidarity_cue`` as an SQL condition on any of ``columns``."""
    return sa.or_(*[contains(column, word) for column in columns for word in SOLIDARITY_WORDS])


def suggest_label(text: str) -> tuple[str, str] | None:
    """(label, the cue that fired): solidarity first, by the digest's rule, then the others."""
    word = solidarity_cue(text)
    if word is not None:
        return "solidarity", word.strip()
    for label, pattern in OTHER_CUES:
        found = pattern.search(text or "")
        if found:
            return label, found.group(0).strip()
    return None
