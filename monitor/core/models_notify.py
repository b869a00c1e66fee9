"""Alert channels and full-text search (issue 21)."""

from __future__ import annotations
