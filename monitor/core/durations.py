"""Re-check delays as the config writes them: a whole number and a unit ("90m", "1h", "7d", "2w")."""

from __future__ import annotations

import re
from datetime import timedelta

_DURATION = re.compile(r"\s*(\d{1,6})\s*([mhdw])\s*")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_duration(text: str) -> timedelta:
    """``timedelta`` of ``"1h"``/``"7d"``…; ``ValueError`` with one line for anything else (or zero)."""
    found = _DURATION.fullmatch(text) if isinstance(text, str) else None
    if not found or int(found.group(1)) == 0:
        raise ValueError(f'{text!r} is not a duration; write a whole number and m, h, d or w, such as "1h" or "7d"')
    return timedelta(**{_UNITS[found.group(2)]: int(found.group(1))})
