"""The Celery app ``workers.app:app``, configured from ``monitor.core.settings``.

A config sync in a task (``workers.tasks``) refuses a config that would stop every person or
source unless ``MONITOR_ALLOW_EMPTY_CONFIG=true`` (the workers' form of ``--allow-empty``).

The broker is ``MONITOR_BROKER_URL`` (Redis in production) or, when unset, kombu's
filesystem transport under ``data/broker/``: no server to install, and the web app,
worker and beat on one machine share the queue through the folder.
"""

from __future__ import annotations

import functools
import logging
from datetime import timedelta

from celery import Celery
from celery.signals import after_setup_logger, after_setup_task_logger

from monitor.core.logs import hide_query_strings, use_format
from monitor.core.settings import get_settings, private_dir, restrict_new_files

log = logging.getLogger(__name__)
DIGEST_CHECK_EVERY = timedelta(minutes=2)
EVIDENCE_RECHECK_EVERY = timedelta(minutes=1)
EVIDENCE_PRUNE_EVERY = timedelta(hours=1)
# A message sent while Redis restarts (a task's own retry above all) keeps trying for about
# 30 s; Celery's default policy gives up after 0.6 s, and a retry that cannot be published
# is rejected: with a Redis that kept no data, the task would be gone.
PUBLISH_RETRY_POLICY = {"max_retries": 16, "interval_start": 0.5, "interval_step": 0.5, "interval_max": 2}


def _broker_options(settings) -> dict:
    if not settings.embedded_broker:
        # Reconnecting to send waits for Redis too (with PUBLISH_RETRY_POLICY, about 30 s in all).
        return {
            "visibility_timeout": settings.broker_visibility_timeout,
            "max_retries": None,
            "interval_start": 0.5,
            "interval_step": 0.5,
            "interval_max": 2,
            "connect_retries_timeout": 30,
        }
    root = settings.embedded_broker_dir().resolve()
    for sub in ("queue", "processed", "control"):
        private_dir(root / sub)
    return {
        "data_folder_in": str(root / "queue"),
        "data_folder_out": str(root / "queue"),
        "processed_folder": str(root / "processed"),
        "control_folder": str(root / "control"),
        "store_processed": False,
        # kombu checks the folder once a second by default: each hop of a task waited half a
        # second on average. A listing of a small local folder five times a second costs nothing.
        "polling_interval": 0.2,
    }


def _survive_broker_loss() -> None:
    """Keep a worker alive when Redis goes away while it holds an unacknowledged task.

    On connection loss Celery closes the channel; kombu's Redis QoS then restores, and later
    acknowledges, that channel's messages through a connection that no longer exists: an
    AttributeError Celery treats as unrecoverable, so the worker exits instead of
    reconnecting (kombu 5.7, Redis restarted during an ``acks_late`` task). Skipping those
    calls for a dead channel is safe: the messages stay in Redis's unacked set and come back
    after the visibility timeout (a repeated poll is idempotent), or went with a Redis that
    kept no data.
    """
    from kombu.transport import redis as kombu_redis

    if getattr(kombu_redis.QoS, "monitor_guarded", False):
        return
    for name in ("restore_unacked", "ack", "reject"):
        setattr(kombu_redis.QoS, name, _unless_channel_gone(getattr(kombu_redis.QoS, name)))
    kombu_redis.QoS.monitor_guarded = True


def _unless_channel_gone(method):
    @functools.wraps(method)
    def guarded(self, *args, **kwargs):
        connection = getattr(self.channel, "connection", None)
        if connection is None or getattr(connection, "client", None) is None:
            log.warning(
                "broker connection lost: %s skipped, the task returns after the visibility timeout", method.__name__
            )
            self._delivered.clear() if method.__name__ == "restore_unacked" else None
            return None
        return method(self, *args, **kwargs)

    return guarded


def create_app() -> Celery:
    """A Celery app for the current settings."""
    settings = get_settings()
    if settings.redis_url():
        _survive_broker_loss()
    celery = Celery("monitor", include=["workers.tasks"])
    celery.conf.update(
        broker_url=settings.celery_broker_url(),
        # The embedded folder queue through our transport, whose messages appear whole (workers.broker).
        broker_transport="workers.broker:Transport" if settings.embedded_broker else None,
        broker_transport_options=_broker_options(settings),
        broker_connection_retry_on_startup=True,
        task_ignore_result=True,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        # A leaking parser or a huge feed must not grow a worker forever: recycle the child.
        worker_max_tasks_per_child=settings.worker_max_tasks_per_child,
        worker_max_memory_per_child=settings.worker_max_memory_per_child_kb,
        broker_connection_retry=True,
        broker_connection_max_retries=None,  # Redis restarted: reconnect for as long as it takes
        task_publish_retry_policy=PUBLISH_RETRY_POLICY,
        worker_hijack_root_logger=False,
        timezone="UTC",
        beat_schedule_filename=str((settings.data_dir / "celerybeat-schedule").resolve()),
        beat_schedule={
            "dispatch-due-sources": {
                "task": "workers.tasks.dispatch_due_sources",
                "schedule": settings.dispatch_interval_seconds,
            },
            "send-due-digests": {"task": "workers.tasks.send_due_digests", "schedule": DIGEST_CHECK_EVERY},
            "refresh-spikes": {
                "task": "workers.tasks.refresh_spikes",
                "schedule": settings.spike_refresh_seconds,
                "options": {"expires": settings.spike_refresh_seconds * 2},
            },
            "run-searches": {
                "task": "workers.tasks.run_searches",
                "schedule": 60.0,
                "options": {"expires": 120},
            },  # issue 16
            "stamp-evidence": {"task": "workers.tasks.stamp_evidence", "schedule": settings.evidence_stamp_seconds},
            # Issue 18: linked pages of preserved mentions and their re-checks; retention of unmatched captures.
            "evidence-recheck": {
                "task": "workers.tasks.evidence_recheck",
                "schedule": EVIDENCE_RECHECK_EVERY,
                "options": {"expires": EVIDENCE_RECHECK_EVERY.total_seconds()},
            },
            "evidence-prune": {"task": "workers.tasks.evidence_prune", "schedule": EVIDENCE_PRUNE_EVERY},
            "heartbeat": {
                "task": "workers.tasks.heartbeat",
                "schedule": settings.heartbeat_interval_seconds,
                "options": {"expires": settings.heartbeat_interval_seconds * 2},
            },
        },
    )
    return celery


@after_setup_logger.connect
@after_setup_task_logger.connect
def _structured_logs(logger, **_) -> None:
    """Worker logs as JSON lines carrying their ``extra`` context (source ids, counts), or plain lines.

    Also where a worker or beat process (``celery -A workers.app``) becomes private: files it
    creates from here on are 0600, and no log line carries a query string (not on import, so
    that importing the app changes nothing in the importing process)."""
    settings = get_settings()
    restrict_new_files()
    hide_query_strings(keep=settings.log_query_strings)
    use_format(logger, text=settings.log_format == "text", log_tasks=settings.log_tasks)


app = create_app()
