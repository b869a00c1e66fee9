"""The count model: a robust seasonal rate, negative-binomial tails, and a scan over time scales.

Sparse series (0–5 mentions a bucket, most buckets empty) defeat a log-scale z: one
mention moves ``log1p`` as much as a hundred do on a busy name. This model works on the
counts themselves::

    rate     = (prior_counts + n·level) / (prior_counts / slow + n)    # conjugate Gamma posterior
    mu       = rate × day profile[slot] × week profile[weekday]       # expected count now
    profile  = (mean count there + shrink × average) / ((1 + shrink) × average)
    S_w, E_w = observed and expected counts of the last w buckets (this one as counted, the
               earlier ones capped at what the model found plausible, or ``min_count``
               if that is more, so that a dense burst that has passed does not linger
               while a sparse one still adds up)
    tail_w   = P(NB(mean E_w, var E_w + phi_w E_w²) >= S_w)
    surprise = max over scales of -log10(tail_w)

``level`` is a fast EWMA of the (deseasonalised, winsorised) counts over ``n = 1 /
level_rate`` buckets and ``slow`` the mean of the day profile (each slot remembers about ten
visits): the rate is the posterior mean of a Gamma prior of ``prior_counts`` mentions centred
on ``slow``, updated by the last ``n`` buckets. Both memories are counted in mentions as well
as buckets: where ``n`` buckets would hold fewer than ``level_mentions`` mentions (a slot's
visits fewer than ``profile_mentions``, its over-dispersion fewer than ``disp_mentions``),
the EWMA slows until they do. A sparse name's hour
of the day would otherwise learn its shape from one or two mentions (so the first bucket of
a burst tripled the next one's expected count) and its level from the last few. A busy name's rate follows its recent level; a
quiet name's, whose last hours hold no mention at all, stays near its long-run rate instead of
collapsing to zero (which would make its next single mention look like a burst).

``phi_w`` is the over-dispersion of each scale, learnt from the series itself as a pooled
moment estimate, EWMA((S - E)² - E) / (EWMA(E²) + ``DISPERSION_PRIOR``): unbiased where
windows expect many mentions, and shrunk to Poisson where they expect less than about one,
since there one burst would otherwise read as enormous over-dispersion for weeks. Its memory
holds at least ``disp_mentions`` mentions: over a few days' buckets a sparse name has too few
for a variance, and the winsorised first bucket of a burst raised the bar for the next ones. So the tail
is calibrated at every count level with one parameter set. Scales of one bucket, one hour and six hours let a slow
sparse burst (3 mentions an hour where 1 a day is usual) add up, while a sudden one shows
in its own bucket; a single bucket expecting ``single_below`` mentions or more is left to
the log-scale test, whose heavier tails suit busy names' bursty single buckets. Counts are winsorised before they are learnt, so a burst barely
moves the rate or the dispersion, and a past spike does not mute the next.

Minimum evidence: a window counts only with at least ``min_count`` mentions,
``min_excess_scan`` above what was expected and ``min_ratio_scan`` times it, so 0 → 2 is
never a spike however quiet the name, nor a 10% rise however busy.
The exact tail (``nb_sf``, scipy's regularised incomplete beta) is computed only where a
cheap normal score passes ``PRE_Z``: right-skewed count tails are heavier than the normal
one, so below it no tail is under 0.025 (a surprise of 1.6, over every mean and dispersion
the model uses), short of any bar, the lowest being the onset rule's at the eager sensitivity.
"""

from __future__ import annotations

import math

from scipy.special import betainc, gammainc

MIN_RATE = 1e-4  # an expected count of exactly 0 would make any mention infinitely surprising
MAX_DISPERSION = 4.0  # one wild window must not teach the model that anything goes
DISPERSION_PRIOR = 0.25  # E² of a window expecting half a mention: below it, the tail is near Poisson
PRE_Z = 2.0  # the normal score below which no exact tail is computed
SURPRISE_CAP = 300.0  # -log10 of the smallest tail reported


def nb_sf(k: float, mean: float, dispersion: float) -> float:
    """P(X >= k) for X negative-binomial with ``mean`` and variance ``mean + dispersion·mean²``.

    Poisson when ``dispersion`` is 0; 1 for k <= 0; 0 when ``mean`` is 0 and k > 0.
    """
    if k <= 0:
        return 1.0
    if mean <= 0:
        return 0.0
    if dispersion <= 1e-9:
        return float(gammainc(k, mean))  # P(Poisson(mean) >= k) = P(Gamma(k) <= mean)
    size = 1.0 / dispersion
    return float(betainc(k, size, mean / (size + mean)))


def surprise_of(tail: float) -> float:
    """-log10 of a tail probability, capped at ``SURPRISE_CAP``."""
    return SURPRISE_CAP if tail <= 10.0**-SURPRISE_CAP else min(SURPRISE_CAP, -math.log10(tail))


def scale_buckets(scales_hours: tuple[float, ...], rows_per_day: int) -> list[int]:
    """Each scale in buckets (at least one), without repeats, shortest first."""
    return sorted({max(1, round(h * rows_per_day / 24)) for h in scales_hours})


class CountModel:
    """The count model of one series; ``judge`` a bucket, then ``learn`` it. O(scales) a bucket.

    ``params`` is a ``detector.Params``; this class reads its rates, ``clip``,
    ``profile_shrink``, ``profile_mentions``, ``level_mentions``, ``disp_rate``, ``disp_mentions``,
    ``scales_hours``, ``min_count`` and ``min_excess_scan``.
    """

    def __init__(self, params, slots: int) -> None:
        self.p, self.slots = params, slots
        self.scales = scale_buckets(params.scales_hours, params.rows_per_day)
        self.level: float | None = None
        self.day = [0.0] * slots  # recent mean count in each slot of the day
        self.day_sum = 0.0
        self.week = [0.0] * 7  # recent mean count on each weekday (the day's rhythm aside)
        self.week_sum = 0.0
        self.phi = [0.0] * len(self.scales)
        self.moments = [[0.0, 0.0] for _ in self.scales]  # EWMAs of (S - E)² - E and of E², per scale
        # The last buckets' [mu, winsorised value, value as the windows count it], oldest first,
        # and their sums over each scale's w - 1 latest buckets.
        self.ring: list[list[float]] = []
        self.tails = [[0.0, 0.0, 0.0] for _ in self.scales]

    @property
    def daily_mean(self) -> float:
        """The day profile's mean count a bucket: the name's usual level, steadier than ``level``."""
        return self.day_sum / self.slots

    def rate(self, slot: int, weekday: int) -> tuple[float, float, float]:
        """(expected count of a bucket in ``slot`` on ``weekday``, the day profile's ratio there,
        the week profile's ratio there). Both profiles are means of counts, shrunk towards flat
        and divided by their own average, so neither can drift where counts are few."""
        mean = max(self.daily_mean, MIN_RATE)
        shrink = self.p.profile_shrink
        ratio = (self.day[slot] + shrink * mean) / (mean * (1.0 + shrink))
        week_mean = max(self.week_sum / 7, MIN_RATE)
        week_ratio = (self.week[weekday] + shrink * week_mean) / (week_mean * (1.0 + shrink))
        prior, span = self.p.prior_counts, 1.0 / self.memory_rate(self.p.level_rate, self.p.level_mentions)
        rate = (prior + span * self.level) / (prior / mean + span)
        return max(rate * ratio * week_ratio, MIN_RATE), ratio, week_ratio

    def judge(self, value: float, mu: float) -> tuple[float, float, float]:
        """(surprise, observed, expected) of the most surprising scale ending at this bucket.

        A bucket no higher than its expected count scores 0 (so an episode ends when the burst
        does, not when it leaves the longest window), as do windows without the minimum
        evidence or whose normal score is below ``PRE_Z``. A single bucket expecting
        ``single_below`` mentions or more counts only where a longer window ending at it
        reaches ``busy_agree`` on its own.
        """
        p, best, busy = self.p, (0.0, value, mu), None
        if value <= mu:  # the bucket adds nothing to any window's excess: a past burst must not linger
            return best
        for j, (e_tail, _, c_tail) in enumerate(self.tails):
            observed, expected = c_tail + value, e_tail + mu
            if (
                observed < p.min_count
                or observed - expected < p.min_excess_scan
                or observed < p.min_ratio_scan * expected
            ):
                continue
            spread = math.sqrt(expected + self.phi[j] * expected * expected)
            if (observed - expected - 0.5) / spread < PRE_Z:
                continue
            scored = (surprise_of(nb_sf(observed, expected, self.phi[j])), observed, expected)
            if self.scales[j] == 1 and mu >= p.single_below:
                busy = scored  # a busy name's single bucket: it needs a longer window's word
            elif scored[0] > best[0]:
                best = scored
        if busy is not None and best[0] >= p.busy_agree and busy[0] > best[0]:
            best = busy
        return best

    def learn(self, value: float, mu: float, ratio: float, week_ratio: float, slot: int, weekday: int) -> None:
        """Winsorise ``value``, then move the rate, the profiles, the dispersions and the windows
        (``mu``, ``ratio`` and ``week_ratio`` are what ``rate()`` answered for this bucket)."""
        p = self.p
        capped = min(value, mu + p.clip * math.sqrt(mu + self.phi[0] * mu * mu) + 1.0)
        disp_rate = self.memory_rate(p.disp_rate, p.disp_mentions)
        for j, tail in enumerate(self.tails):
            observed, expected = tail[1] + capped, tail[0] + mu
            moment = self.moments[j]
            moment[0] += disp_rate * ((observed - expected) * (observed - expected) - expected - moment[0])
            moment[1] += disp_rate * (expected * expected - moment[1])
            self.phi[j] = min(max(moment[0] / (moment[1] + DISPERSION_PRIOR), 0.0), MAX_DISPERSION)
        self._slide([mu, capped, min(value, max(capped, p.min_count))])
        level_rate = self.memory_rate(p.level_rate, p.level_mentions)
        slot_rate = self.memory_rate(p.season_rate, p.profile_mentions)
        self.level = max(self.level + level_rate * (capped / (ratio * week_ratio) - self.level), MIN_RATE)
        step = slot_rate * (capped / week_ratio - self.day[slot])
        self.day[slot] += step
        self.day_sum += step
        step = p.week_rate * (capped / ratio - self.week[weekday])
        self.week[weekday] += step
        self.week_sum += step

    def memory_rate(self, rate: float, mentions: float) -> float:
        """``rate``, or slower where an EWMA at ``rate`` would remember fewer than ``mentions``
        mentions at the day profile's mean count (0: never slower). Dense names keep ``rate``."""
        if not mentions:
            return rate
        return min(rate, max(self.daily_mean, MIN_RATE) / mentions)

    def _slide(self, entry: list[float]) -> None:
        """Add the newest bucket to each scale's window sums and drop the one that leaves it."""
        self.ring.append(entry)
        for w, tail in zip(self.scales, self.tails):
            if w == 1:
                continue
            for k in range(3):
                tail[k] += entry[k]
            if len(self.ring) >= w:
                leaving = self.ring[-w]
                for k in range(3):
                    tail[k] -= leaving[k]
        if len(self.ring) >= self.scales[-1]:
            self.ring.pop(0)

    def start(self, value: float) -> None:
        """Begin at the first bucket's count, flat across the day and the week."""
        first = max(value, 0.1)
        self.level, self.day, self.day_sum = first, [first] * self.slots, first * self.slots
        self.week, self.week_sum = [first] * 7, first * 7

    def state(self) -> dict:
        """JSON-ready state; ``restore`` continues from it."""
        return dict(
            level=self.level,
            day=list(self.day),
            day_sum=self.day_sum,
            week=list(self.week),
            week_sum=self.week_sum,
            phi=list(self.phi),
            moments=[list(m) for m in self.moments],
            ring=[list(e) for e in self.ring],
            tails=[list(t) for t in self.tails],
        )

    def restore(self, state: dict) -> None:
        """Continue from ``state()`` (a state saved before this model existed starts afresh)."""
        if not state:
            return
        self.level, self.day_sum, self.week_sum = state["level"], state["day_sum"], state["week_sum"]
        self.day, self.week, self.phi = list(state["day"]), list(state["week"]), list(state["phi"])
        self.moments = [list(m) for m in state["moments"]]
        self.ring, self.tails = [list(e) for e in state["ring"]], [list(t) for t in state["tails"]]
