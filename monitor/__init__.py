"""Mention monitor: polls public sources for tracked people and brings the mentions to reviewers."""

__version__ = "0.1.0"
