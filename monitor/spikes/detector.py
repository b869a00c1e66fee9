"""The causal, online spike detector: one O(1) update per bucket, episodes, explanations.

Two tests judge each bucket, and it is anomalous when either passes:

- **Dense (log scale).** ``x = log1p(v)`` against a seasonal baseline kept as
  exponentially weighted, winsorised averages (``expected = level + day_profile[slot] +
  week_profile[weekday]``, ``z = (x - expected) / scale``); anomalous when ``z >= max(threshold,
  peak_factor * usual_peak)``, ``P(Poisson(mean) >= v) <= max_p`` and ``v - mean >= min_excess``.
- **Counts (``countmodel``).** A negative-binomial tail of the counts of the last bucket,
  hour and six hours against a robust seasonal rate; anomalous when its surprise
  (-log10 of the tail) reaches ``max(scan_threshold, scan_peak_factor * usual scan peak)``
  with at least ``min_count`` mentions, ``min_excess_scan`` above the expected count.
  A sustained rise counts too: ``onset_run`` buckets in a row, each expecting fewer than
  ``onset_below`` mentions and each reaching ``onset_factor`` times that bar: a sparse
  name's story starts with a few buckets that no single window yet finds improbable
  enough, and waiting for one flags it late in its window, or never.

The log test is what catches sudden bursts on busy names; the count test what catches
them where counts are small, since its tail is calibrated at every level, and slow ones
at every level (a single bucket expecting ``single_below`` mentions or more is left to the
log test: a busy name's single buckets are burstier than any count model of its level).
``usual_peak`` is the median over the last ``peak_days`` whole days of each day's highest score: a
series that bursts every day needs a bigger burst to wake a reviewer, while one past
spike, being one day, cannot raise the median and mute the next. A busy name (averaging
``busy_from`` mentions a bucket or more) must also outdo the ``busy_quantile`` of its days'
peak surprises, about its third-highest day of the fortnight: one that bursts on a few days
of every fortnight would otherwise wake a reviewer with each, as the median day is a calm
one; a sparse name's days' peaks are mostly chance, and its median holds. Every residual is clipped
before it is learnt, so a burst moves the baselines by a bounded step.

Consecutive anomalous buckets form one episode (start, peak, end); it closes after
``quiet`` buckets without an anomaly. Only the episode's first bucket is flagged: one
alert per episode, at its left edge. An anomaly inside an open episode whose surprise is
``escalate`` times the episode's strongest so far (and the scan threshold), in a bucket
expecting ``escalate_from`` mentions or more, closes it and opens a new one: a small rise
that keeps an episode open for a day must not swallow the story that breaks in it, while a
burst growing bucket by bucket stays one alert, as does a sparse name's swing from one small
count to the next. So does one ``escalate_run`` times the strongest of the episode's earlier
runs (anomalies more than an hour apart start a new run): otherwise each run of a stale
episode, a little stronger than the last, raises its bar until the story's own first hour
puts it out of reach.
A first mention after ``silence`` empty buckets opens an episode of its own kind, ``after_silence``.

The state is a few hundred numbers (``state()``, ``Detector.restore``), so a worker can
store it per series and feed each bucket as it closes without rereading history.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace

from monitor.spikes.countmodel import CountModel

BURST = "burst"
AFTER_SILENCE = "after_silence"
WEEK_DAYS = 7
MIN_SCALE = 0.1  # a perfectly flat history must not turn every wobble into a z of 100


@dataclass(frozen=True)
class Params:
    """Detector parameters. Rates are per bucket; ``rows_per_day`` ties them to clock time."""

    rows_per_day: int = 288  # buckets per day: 288 for 5 minutes, 24 for hours, 1 for days
    day_slots: int = 24  # seasonal slots per day (capped at rows_per_day)
    level_rate: float = 0.01  # EWMA weight of the level
    season_rate: float = 0.1  # EWMA weight of a day slot, per bucket in that slot
    week_rate: float = 0.0005  # EWMA weight of a weekday, per bucket in that day
    scale_rate: float = 0.01  # EWMA weight of the squared residual
    clip: float = 3.0  # residuals are winsorised at this many scales
    threshold: float = 5.0  # minimum z on the log scale
    max_p: float = 1e-6  # maximum Poisson tail probability
    min_excess: float = 5.0  # minimum count above the expected mean
    quiet: int = 288  # buckets without an anomaly that close an episode
    warmup: int = 288  # buckets seen before anything is flagged
    silence: int = 0  # empty buckets before a mention counts as "after silence" (0: off)
    initial_scale: float = 0.5
    peak_factor: float = 1.2  # z must exceed the usual daily peak z by this factor (0: off)
    peak_days: int = 14  # whole days whose peaks make the usual peak
    # The count model (countmodel.py); rates above are shared with it.
    disp_rate: float = 0.001  # EWMA weight of each scale's over-dispersion
    scales_hours: tuple[float, ...] = (0.0, 1.0, 6.0)  # window lengths (0: one bucket)
    profile_shrink: float = 0.2  # pulls the day profile towards flat
    profile_mentions: float = 2.0  # a slot of the day profile remembers at least this many mentions
    level_mentions: float = 10.0  # ... and the count model's level this many (0: by buckets only)
    disp_mentions: float = 100.0  # ... and its over-dispersion this many (0: by buckets only)
    prior_counts: float = 3.0  # strength of the Gamma prior on the rate (mentions), centred on the long-run rate
    scan_threshold: float = 4.5  # minimum surprise of one window, -log10 of the negative-binomial tail
    scan_peak_factor: float = 1.5  # the surprise must exceed the usual daily peak surprise by this
    busy_from: float = 8.0  # a name averaging this many mentions a bucket or more is busy: ...
    busy_quantile: float = 0.85  # ... its usual peak surprise is this quantile of the days' peaks ...
    busy_factor: float = 1.0  # ... times this (about its third-highest day of ``peak_days``)
    min_count: float = 3.0  # minimum evidence: mentions in the window (0 -> 2 is never a spike)
    min_excess_scan: float = 2.5  # ... and mentions above the expected count
    min_ratio_scan: float = 1.0  # ... and this many times the expected count (a material rise)
    single_below: float = 10.0  # one-bucket windows are the count model's only where fewer are expected
    busy_agree: float = 3.0  # ... or where a longer window ending there reaches this surprise itself
    escalate: float = 1.5  # an open episode's bucket this surprising times its strongest opens a new one (0: off)
    escalate_run: float = 2.0  # ... or this many times its strongest before the current run (0: off)
    escalate_from: float = 5.0  # the first only where the bucket expects this many mentions
    onset_factor: float = 0.65  # a sustained rise: buckets each at this fraction of the scan bar ...
    onset_run: int = 2  # ... this many in a row are anomalous (0: off) ...
    onset_below: float = 5.0  # ... where each expects fewer mentions than this (a sparse name)


# 5-minute mention volume (NAB realTweets), the offline ``monitor spikes detect``: a
# one-day warm-up, a baseline that forgets over ~100 buckets (level) and ~10 days (slot),
# and an episode that stays open until a day passes without an anomaly.
SERIES_PARAMS = Params()
# Hourly counts of one person: a day's warm-up would miss a newcomer's first burst, so
# none; sparse people rely on the count model; a month of silence broken is its own kind
# of spike. Over-dispersion is learnt over ~2 weeks (longer where those hold under
# ``disp_mentions`` mentions), so a burst lasting hours does not raise its own bar while it
# grows. A window needs five mentions: a newly watched name's first story and its few
# copies are no burst.
HOURLY_PARAMS = Params(
    rows_per_day=24,
    day_slots=24,
    level_rate=0.02,
    season_rate=0.05,
    week_rate=0.005,
    scale_rate=0.02,
    threshold=4.0,
    max_p=1e-5,
    min_excess=6.0,
    quiet=6,
    warmup=1,
    silence=30 * 24,
    disp_rate=0.003,
    min_count=5.0,
)


@dataclass
class Flag:
    """A flagged bucket (the start of an episode) and why: observed vs expected, z and p."""

    index: int
    value: float
    expected: float
    score: float
    p_value: float = 1.0
    kind: str = BURST
    surprise: float = 0.0  # -log10 of the count model's tail (0 when only the log test passed)
    usual: float = 0.0  # the count model's expected count per bucket, season aside: "usually about"


@dataclass
class Episode:
    """Consecutive anomalous buckets: where it started, peaked and (so far) ended."""

    flag: Flag
    peak: int
    peak_value: float
    end: int
    total: float
    expected_total: float
    closed: bool = False
    best: Flag = field(default=None)  # the most significant bucket, for the explanation
    strongest: float = 0.0  # the highest surprise of its anomalous buckets
    strongest_at: int = 0  # ... and where it was reached
    earlier: float = 0.0  # the highest surprise of its runs before the current one (0: in its first run)
    run_strongest: float = 0.0  # ... and of the current run (anomalies at most an hour apart)

    @property
    def start(self) -> int:
        return self.flag.index

    @property
    def kind(self) -> str:
        return self.flag.kind


class Detector:
    """The streaming detector: feed counts in order with ``update``; O(1) state.

    ``phase`` is the position of the first bucket on the clock (buckets since a Monday
    midnight UTC), so the daily and weekly profiles line up with real time of day.
    """

    def __init__(self, params: Params = SERIES_PARAMS, *, phase: int = 0) -> None:
        self.params = params
        self.phase = phase
        self.slots = max(1, min(params.day_slots, params.rows_per_day))
        self.level: float | None = None
        self.day = [0.0] * self.slots
        self.week = [0.0] * WEEK_DAYS
        self.var = params.initial_scale**2
        self.counts = CountModel(params, self.slots)
        self.seen = 0
        self.empty_run = 0  # buckets since the last mention
        self.ever_mentioned = False
        # The highest z and surprise of each recent whole day, oldest first, and today's so far.
        self.day_max: list[float | None] = []
        self.today_max: float | None = None
        self.scan_day_max: list[float | None] = []
        self.today_scan_max: float | None = None
        self.busy = False  # whether the name averaged ``busy_from`` mentions a bucket when the last day ended
        self._usual_peak, self._scan_bar = 0.0, params.scan_threshold  # from the above, kept so judging stays O(1)
        self.episode: Episode | None = None
        self.episodes: list[Episode] = []  # closed and open, in order (this process only)
        self._calm = 0
        self.streak = 0  # buckets in a row, up to the last, whose surprise reached the onset bar

    def retune(self, params: Params) -> None:
        """Judge from now on with ``params`` (thresholds only may differ: the state is kept)."""
        self.params = self.counts.p = params
        self._set_bars()

    def update(self, value: float) -> Flag | None:
        """Judge ``value`` against the buckets before it, then learn from it.

        Returns a Flag when ``value`` opens an episode, else None.
        """
        slot, weekday = self._position(self.seen)
        if self.level is None:
            self.level = math.log1p(max(value, 0.0))
            self.counts.start(max(value, 0.0))
        mu, ratio, week_ratio = self.counts.rate(slot, weekday)
        judged, z, surprise = self._judge(value, slot, weekday, mu)
        flag = self._track(judged, value)
        self.streak = self.streak + 1 if self._onset_level(surprise, mu) else 0
        self._learn(value, slot, weekday, z, surprise)
        self.counts.learn(max(value, 0.0), mu, ratio, week_ratio, slot, weekday)
        self._end_of_day()
        return flag

    def peek(self, value: float) -> Flag | None:
        """The verdict ``update(value)`` would give on the next bucket, without changing the state."""
        if self.level is None:
            return None
        slot, weekday = self._position(self.seen)
        return self._judge(value, slot, weekday, self.counts.rate(slot, weekday)[0])[0]

    def zscore(self, value: float) -> float:
        """How many scales ``value`` would sit above the next bucket's baseline (0 before any data)."""
        if self.level is None:
            return 0.0
        slot, weekday = self._position(self.seen)
        return self._judge(value, slot, weekday, self.counts.rate(slot, weekday)[0])[1]

    def expected_count(self, index: int) -> float:
        """The count model's expected count for bucket ``index`` (this one or later; 0 before any data)."""
        if self.level is None:
            return 0.0
        return self.counts.rate(*self._position(index))[0]

    def _judge(self, value: float, slot: int, weekday: int, mu: float) -> tuple[Flag | None, float, float]:
        """The anomaly verdict on one bucket (or None), its z and its surprise; changes no state."""
        p = self.params
        centre = self.level + self.day[slot] + self.week[weekday]
        scale = max(math.sqrt(self.var), MIN_SCALE)
        mean = max(math.expm1(centre + scale * scale / 2), 0.0)
        z = (math.log1p(max(value, 0.0)) - centre) / scale
        surprise = self.counts.judge(max(value, 0.0), mu)[0]
        usual = self.counts.daily_mean
        if self._silence_broken(value):
            return Flag(self.seen, value, mu, 0.0, poisson_sf(value, mu), AFTER_SILENCE, surprise, usual), z, surprise
        if self.seen < p.warmup:
            return None, z, surprise
        if surprise >= self.scan_bar() or (self.streak + 1 >= p.onset_run and self._onset_level(surprise, mu)):
            return Flag(self.seen, value, mu, z, 10.0**-surprise, BURST, surprise, usual), z, surprise
        if z < self.bar() or value - mean < p.min_excess:
            return None, z, surprise
        tail = poisson_sf(value, mean)
        return (Flag(self.seen, value, mu, z, tail, BURST, surprise, usual) if tail <= p.max_p else None), z, surprise

    def scan_bar(self) -> float:
        """The surprise a bucket must reach now: the scan threshold, or a multiple of the usual daily peak."""
        return self._scan_bar

    def _set_bars(self) -> None:
        """The usual peaks from the record of days' peaks (``bar()``, ``scan_bar()``). A busy
        name's bar is a day of its bursts: one that bursts on some days of every fortnight must
        outdo those (its third-highest day), not only its median day, to wake a reviewer."""
        p = self.params
        self._usual_peak = usual_peak(self.day_max)
        usual = p.scan_peak_factor * usual_peak(self.scan_day_max)
        if self.busy:
            usual = max(usual, p.busy_factor * usual_peak(self.scan_day_max, p.busy_quantile))
        self._scan_bar = max(p.scan_threshold, usual)

    def _busy_now(self) -> bool:
        """Whether the name now averages ``busy_from`` mentions a bucket (decided as a day ends)."""
        return bool(self.counts.daily_mean >= self.params.busy_from)

    def _onset_level(self, surprise: float, mu: float) -> bool:
        """Whether a bucket expecting ``mu`` with ``surprise`` continues (or starts) a sustained rise."""
        p = self.params
        return (
            bool(p.onset_run)
            and self.seen >= p.warmup
            and mu < p.onset_below
            and surprise > 0
            and surprise >= p.onset_factor * self.scan_bar()
        )

    def bar(self) -> float:
        """The z a bucket must reach now: the threshold, or a multiple of the usual daily peak."""
        return max(self.params.threshold, self.params.peak_factor * self._usual_peak)

    def _silence_broken(self, value: float) -> bool:
        s = self.params.silence
        return bool(s) and value > 0 and self.ever_mentioned and self.empty_run >= s

    def _track(self, judged: Flag | None, value: float) -> Flag | None:
        ep = self.episode
        if ep is not None and judged is not None:
            self._next_run(ep)
        if ep is not None and judged is not None and self._escalates(ep, judged):
            ep.closed, self.episode, ep = True, None, None
        if ep is not None:
            ep.total += value
            if value > ep.peak_value:
                ep.peak, ep.peak_value = self.seen, value
            if judged is not None:
                ep.end, self._calm = self.seen, 0
                ep.expected_total += judged.expected
                if judged.score > ep.best.score:
                    ep.best = judged
                if judged.surprise > ep.strongest:
                    ep.strongest, ep.strongest_at = judged.surprise, self.seen
                ep.run_strongest = max(ep.run_strongest, judged.surprise)
                return None
            self._calm += 1
            if self._calm >= self.params.quiet:
                ep.closed, self.episode = True, None
            return None
        if judged is None:
            return None
        self.episode = Episode(
            judged,
            self.seen,
            value,
            self.seen,
            value,
            judged.expected,
            best=judged,
            strongest=judged.surprise,
            strongest_at=self.seen,
            run_strongest=judged.surprise,
        )
        self.episodes.append(self.episode)
        self._calm = 0
        return judged

    def _escalates(self, ep: Episode, judged: Flag) -> bool:
        """Whether an anomaly inside an open episode is news of its own (a small rise, then the
        story breaks): ``escalate`` times as surprising as the episode's strongest bucket, which
        is over an hour old (a burst growing bucket by bucket keeps raising its strongest); or
        ``escalate_run`` times its strongest before the current run. The second keeps a stale
        episode from ratcheting its bar up bucket by bucket: rises of 7 then 9.5 a day apart,
        then the story's 13 and 30 a bucket later, would otherwise stay one alert opened before
        the story (each step under 1.5 times the last, the 30 within the hour of the 13).

        The first rule needs a bucket expecting ``escalate_from`` mentions: where fewer are
        expected, one bucket's surprise swings by more than 1.5 times from one count to the
        next, and such a swing inside an open episode is rarely a new story."""
        p = self.params
        grown = (
            bool(p.escalate)
            and judged.expected >= p.escalate_from
            and judged.surprise >= p.escalate * max(ep.strongest, p.scan_threshold)
        )
        stale = self.seen - ep.strongest_at > hour_buckets(p)
        news = ep.earlier > 0 and judged.surprise >= p.escalate_run * max(ep.earlier, p.scan_threshold)
        return (grown and stale) or (bool(p.escalate_run) and news)

    def _next_run(self, ep: Episode) -> None:
        """An anomaly over an hour after the episode's last one starts a new run of it."""
        if self.seen - ep.end > hour_buckets(self.params):
            ep.earlier, ep.run_strongest = max(ep.earlier, ep.run_strongest), 0.0

    def _learn(self, value: float, slot: int, weekday: int, z: float, surprise: float) -> None:
        p = self.params
        x = math.log1p(max(value, 0.0))
        scale = max(math.sqrt(self.var), MIN_SCALE)
        r = x - (self.level + self.day[slot] + self.week[weekday])
        r = min(max(r, -p.clip * scale), p.clip * scale)
        self.level += p.level_rate * r
        self.day[slot] += p.season_rate * (1 - p.level_rate) * r
        self.week[weekday] += p.week_rate * r
        self.var += p.scale_rate * (r * r - self.var)
        if self.seen >= p.warmup:
            self.today_max = z if self.today_max is None else max(self.today_max, z)
            self.today_scan_max = surprise if self.today_scan_max is None else max(self.today_scan_max, surprise)
        self.seen += 1
        self.ever_mentioned = self.ever_mentioned or value > 0
        self.empty_run = 0 if value > 0 else self.empty_run + 1

    def _end_of_day(self) -> None:
        """When a day ended, its highest z and surprise join the record of usual peaks."""
        p = self.params
        if (self.seen + self.phase) % p.rows_per_day:
            return
        self.day_max = (self.day_max + [self.today_max])[-p.peak_days :]
        self.scan_day_max = (self.scan_day_max + [self.today_scan_max])[-p.peak_days :]
        self.today_max = self.today_scan_max = None
        self.busy = self._busy_now()
        self._set_bars()

    def _position(self, index: int) -> tuple[int, int]:
        per_day, at = self.params.rows_per_day, index + self.phase
        return (at % per_day) * self.slots // per_day, (at // per_day) % WEEK_DAYS

    def state(self) -> dict:
        """Everything ``restore`` needs to continue this series, as JSON-ready values."""
        episode = asdict(self.episode) if self.episode is not None else None
        return dict(
            phase=self.phase,
            level=self.level,
            day=list(self.day),
            week=list(self.week),
            var=self.var,
            seen=self.seen,
            empty_run=self.empty_run,
            ever_mentioned=self.ever_mentioned,
            day_max=list(self.day_max),
            today_max=self.today_max,
            scan_day_max=list(self.scan_day_max),
            today_scan_max=self.today_scan_max,
            counts=self.counts.state(),
            episode=episode,
            calm=self._calm,
            streak=self.streak,
            busy=self.busy,
        )

    @classmethod
    def restore(cls, state: dict, params: Params) -> Detector:
        """A detector continuing from ``state()``; it flags exactly as the original would.

        A state saved before the count model existed gets a fresh count model (it warms up
        on the buckets that follow). A state of another shape than ``params`` make (another
        number of day slots or windows, a damaged row) raises ValueError here rather than
        IndexError at some later bucket."""
        detector = cls(params, phase=state["phase"])
        for name in ("level", "var", "seen", "empty_run", "ever_mentioned", "today_max"):
            setattr(detector, name, state[name])
        detector.day, detector.week, detector.day_max = list(state["day"]), list(state["week"]), list(state["day_max"])
        detector.scan_day_max, detector.today_scan_max = (
            list(state.get("scan_day_max", [])),
            state.get("today_scan_max"),
        )
        if state.get("counts"):
            detector.counts.restore(state["counts"])
        elif detector.level is not None:
            detector.counts.start(math.expm1(detector.level))
        detector._calm = state["calm"]
        detector.streak = state.get("streak", 0)
        # A state saved before ``busy`` existed: as busy as its count model is now.
        detector.busy = state["busy"] if "busy" in state else detector._busy_now()
        detector._set_bars()
        if state["episode"] is not None:
            raw = dict(state["episode"])
            raw["flag"], raw["best"] = Flag(**raw["flag"]), Flag(**raw["best"])
            detector.episode = Episode(**raw)
            detector.episodes.append(detector.episode)
        detector._check_shape()
        return detector

    def _check_shape(self) -> None:
        counts, windows = self.counts, len(self.counts.scales)
        if not (
            isinstance(self.phase, int)
            and isinstance(self.seen, int)
            and isinstance(self.busy, bool)
            and len(self.day) == len(counts.day) == self.slots
            and len(self.week) == len(counts.week) == WEEK_DAYS
            and len(counts.phi) == len(counts.moments) == len(counts.tails) == windows
            and all(len(moment) == 2 for moment in counts.moments)
            and all(len(tail) == 3 for tail in counts.tails)
            and all(len(entry) == 3 for entry in counts.ring)
        ):
            raise ValueError("the state does not fit these parameters")


def hour_buckets(params: Params) -> int:
    """Buckets in an hour (at least one)."""
    return max(1, round(params.rows_per_day / 24))


def usual_peak(day_max: list[float | None], quantile: float = 0.5) -> float:
    """The ``quantile`` of the days' highest z (days still in warm-up left out), linear between
    ranks as numpy's default; the median by default, 0 with none."""
    peaks = sorted(m for m in day_max if m is not None)
    if not peaks:
        return 0.0
    at = quantile * (len(peaks) - 1)
    low = math.floor(at)
    return peaks[low] + (at - low) * (peaks[min(low + 1, len(peaks) - 1)] - peaks[low])


def rescaled(params: Params, rows_per_day: int) -> Params:
    """``params`` for buckets of another size: rates and spans keep their meaning in clock time.

    ``season_rate`` is per visit of a day slot and stays as tuned (24 slots: one visit a day
    in hourly buckets, twelve in five-minute ones)."""
    if rows_per_day == params.rows_per_day:
        return params
    ratio = params.rows_per_day / rows_per_day  # >1 when buckets are longer than the params assume
    return replace(
        params,
        rows_per_day=rows_per_day,
        level_rate=min(0.5, params.level_rate * ratio),
        scale_rate=min(0.5, params.scale_rate * ratio),
        disp_rate=min(0.5, params.disp_rate * ratio),
        week_rate=min(0.5, params.week_rate * ratio),
        quiet=max(1, round(params.quiet / ratio)),
        warmup=max(1, round(params.warmup / ratio)),
        silence=round(params.silence / ratio),
    )


def poisson_sf(k: float, mean: float) -> float:
    """P(X >= k) for X ~ Poisson(mean); exact sum for small k, a tight bound beyond."""
    k = math.ceil(k)
    if k <= 0:
        return 1.0
    if mean <= 0:
        return 0.0
    if k <= mean:
        return 1.0
    log_pmf = k * math.log(mean) - mean - math.lgamma(k + 1)
    # The tail is pmf(k) * (1 + m/(k+1) + ...) <= pmf(k) / (1 - m/(k+1)); tight once k > m.
    return min(1.0, math.exp(log_pmf) / (1 - mean / (k + 1)))


def detect(values: Sequence[float], *, params: Params = SERIES_PARAMS) -> list[Flag]:
    """The flag that opens each episode of ``values``; causal, so a prefix's flags are a prefix."""
    detector = Detector(params)
    return [flag for value in values if (flag := detector.update(value)) is not None]


def find_episodes(values: Sequence[float], *, params: Params = SERIES_PARAMS) -> list[Episode]:
    """Every episode of ``values`` with its start, peak and end; the last may still be open."""
    detector = Detector(params)
    for value in values:
        detector.update(value)
    return detector.episodes
