"""Search providers driven by the watch list (issue 16)."""
