"""Custody log and timestamps (issue 18): the hash-chained event log, manifests and TSA tokens."""

from __future__ import annotations
