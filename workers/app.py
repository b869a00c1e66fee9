"""The Celery app ``workers.app:app``, configured from ``monitor.config``.

The broker is ``MONITOR_BROKER_URL`` (Redis in production) or, when unset, kombu's
filesystem transport under ``data/broker/``: no server to install, and the web app,
worker and beat on one machine share the queue through the folder.
"""

from __future__ import annotations

from datetime import timedelta

from celery import Celery

from monitor.config import get_settings

DIGEST_CHECK_EVERY = timedelta(minutes=2)


def _broker_options(settings) -> dict:
    if not settings.embedded_broker:
        return {"visibility_timeout": 3600}
    root = settings.embedded_broker_dir().resolve()
    for sub in ("queue", "processed", "control"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    return {
        "data_folder_in": str(root / "queue"),
        "data_folder_out": str(root / "queue"),
        "processed_folder": str(root / "processed"),
        "control_folder": str(root / "control"),
        "store_processed": False,
    }


def create_app() -> Celery:
    """A Celery app for the current settings."""
    settings = get_settings()
    celery = Celery("monitor", include=["workers.tasks"])
    celery.conf.update(
        broker_url=settings.celery_broker_url(),
        broker_transport_options=_broker_options(settings),
        broker_connection_retry_on_startup=True,
        task_ignore_result=True,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        worker_hijack_root_logger=False,
        timezone="UTC",
        beat_schedule_filename=str((settings.data_dir / "celerybeat-schedule").resolve()),
        beat_schedule={
            "dispatch-due-sources": {
                "task": "workers.tasks.dispatch_due_sources",
                "schedule": settings.dispatch_interval_seconds,
            },
            "send-due-digests": {"task": "workers.tasks.send_due_digests", "schedule": DIGEST_CHECK_EVERY},
        },
    )
    return celery


app = create_app()
