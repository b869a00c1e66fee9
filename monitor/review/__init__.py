"""Review: triage, the queue, cards and accounts, without FastAPI."""
