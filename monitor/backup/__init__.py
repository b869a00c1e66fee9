"""Encrypted backups and restores of the whole monitor (issue 20)."""
