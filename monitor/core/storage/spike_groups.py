"""One story, one spike: per-kind spikes fold under the person's whole-volume spike they overlap.

A burst of mentions of a person usually shows in the whole volume and in one or two kinds
of source at once; reviewers, the digest and alerts should see it once, with the kinds
inside it named. A per-kind spike that overlaps none of the person's whole-volume spikes
(a Telegram storm drowned in steady news volume, say) stands on its own.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from monitor.core.models import Spike
from monitor.core.storage.spike_state import ALL_KINDS


@dataclass
class SpikeGroup:
    """A spike shown once (``spike``) and the per-kind spikes folded under it."""

    spike: Spike
    kinds: list[Spike] = field(default_factory=list)

    @property
    def kind_names(self) -> list[str]:
        """The source kinds that spiked inside this spike, in order of first appearance."""
        return list(dict.fromkeys(s.source_kind for s in self.kinds))


def bucket_of(spike: Spike) -> timedelta:
    """The bucket a spike was counted in (rows from before the column: an hour)."""
    return timedelta(seconds=spike.bucket_seconds or 3600)


def window(spike: Spike) -> tuple[datetime, datetime]:
    """[first bucket's start, last bucket's end) of a spike."""
    return spike.hour, (spike.end_at or spike.hour) + bucket_of(spike)


def overlaps(a: Spike, b: Spike) -> bool:
    """Same person and windows that share a moment."""
    (a_start, a_end), (b_start, b_end) = window(a), window(b)
    return a.person_id == b.person_id and a_start < b_end and b_start < a_end


def group_spikes(spikes: Iterable[Spike]) -> list[SpikeGroup]:
    """Groups in the order of their head spikes in ``spikes``; each per-kind spike joins the first
    whole-volume spike of its person that it overlaps, or heads a group of its own."""
    spikes = list(spikes)
    heads = [SpikeGroup(s) for s in spikes if s.source_kind == ALL_KINDS]
    groups_by_id = {g.spike.id: g for g in heads}
    for spike in spikes:
        if spike.source_kind == ALL_KINDS:
            continue
        host = next((g for g in heads if overlaps(g.spike, spike)), None)
        if host is None:
            groups_by_id[spike.id] = SpikeGroup(spike)
        else:
            host.kinds.append(spike)
    return [groups_by_id[s.id] for s in spikes if s.id in groups_by_id]
