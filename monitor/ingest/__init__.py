"""Ingest: the guarded HTTP client, politeness, scheduling, the poll pipeline, streams, metrics."""
