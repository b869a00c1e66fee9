"""Search providers (issue 16): per person and provider, the last search and its cursor; budgets."""

from __future__ import annotations
