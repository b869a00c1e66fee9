"""Storage: every query and write, one module per entity. Functions take a session and
keyword-only arguments; writes are idempotent (unique keys plus ``ON CONFLICT DO NOTHING``,
claims by conditional UPDATE), so a redelivered task or two overlapping workers do no harm.

- ``bulk``: idempotent inserts for either database; ``mentions``: new mentions, sightings,
  clusters and people links; ``people``, ``sources``: what the matcher and the scheduler read;
  ``config_sync``: the database follows the config file, rows added on the web survive;
  ``clusters``: story clusters over stored LSH bands; ``spikes``, ``spike_state``,
  ``spike_groups``: counts per person, the detectors' stored state, the ``Spike`` rows;
  ``matcher_cache``, ``sessions``, ``textsearch``.

The names below are the package's API for the poll pipeline.
"""

from monitor.core.storage.bulk import insert_batch, insert_ignore
from monitor.core.storage.config_sync import TERM_KINDS, sync_watchlist
from monitor.core.storage.mentions import NewMention, cluster_ids, save_many, save_mentions, storable
from monitor.core.storage.people import active_people, person_terms
from monitor.core.storage.refresh import SPIKE_REFRESH, claim_spike_refresh
from monitor.core.storage.sources import claim_source, due_sources, enabled_sources, renew_leases

__all__ = [
    "SPIKE_REFRESH",
    "TERM_KINDS",
    "NewMention",
    "active_people",
    "claim_source",
    "claim_spike_refresh",
    "cluster_ids",
    "due_sources",
    "enabled_sources",
    "insert_batch",
    "insert_ignore",
    "person_terms",
    "renew_leases",
    "save_many",
    "save_mentions",
    "storable",
    "sync_watchlist",
]
