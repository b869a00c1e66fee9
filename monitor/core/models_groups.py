"""Per-case access (issue 20): groups of tracked people and their members."""

from __future__ import annotations
