"""Celery side of the monitor: the app and its thin tasks."""
