"""Evidence: captures, the store, re-checks, timestamps, custody and export (issue 18)."""
