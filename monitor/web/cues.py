"""Suggested labels from cue phrases: a hint shown on the card, never applied by itself."""

from __future__ import annotations

import re

CUES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("solidarity", re.compile(
        r"#free\w+|свободу\s|солидарн|stand(s|ing)?\s+with|\bsupport\b|#standwith|free\s+[A-ZА-Я]", re.IGNORECASE)),
    ("hostile", re.compile(r"traitor|предател|terrorist|террорист|extremist|экстремист", re.IGNORECASE)),
    ("news", re.compile(r"\bcourt\b|\bsentenc|\bhearing\b|приговор|заседани", re.IGNORECASE)),
)


def suggest_label(text: str) -> tuple[str, str] | None:
    """(label, the cue that fired) for the first cue found in ``text``, or None."""
    for label, pattern in CUES:
        found = pattern.search(text or "")
        if found:
            return label, found.group(0).strip()
    return None
