"""Full-text search of mentions (issue 21): ``matches(session, query)`` is the review queue's filter.

- ``query``: the search box's syntax, parsed once for both databases (pure).
- ``names``: a tracked name's inflected forms, for SQLite, which has no Russian stemmer.
- ``sql``: the condition on ``mention`` — PostgreSQL ``tsvector`` (Russian, English and simple
  configurations, one GIN expression index), SQLite FTS5 (``mention_fts``, kept in step by
  triggers). Both are created by migration ``0022_notify``.
"""

from monitor.core.storage.fulltext.sql import matches

__all__ = ["matches"]
