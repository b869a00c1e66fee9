"""The detector where most tracked people live: 0–5 mentions a bucket, most buckets empty.

Planted bursts are found at low base rates; 0 → 2 is never a spike; a daily and weekly
rhythm is not flagged; flags are causal; a past spike does not mute the next; a busy name
that bursts every few days must outdo those bursts, and one past burst does not raise its bar; the stored
(online) state and the batch detector give the flags of one streaming run; the count
model's tails match exact sums. Pure: no database.
"""

from __future__ import annotations

import json
import math
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monitor.spikes import HOURLY_PARAMS, SERIES_PARAMS, Detector, detect
from monitor.spikes.batch import detect_many
from monitor.spikes.countmodel import MAX_DISPERSION, PRE_Z, nb_sf, surprise_of
from monitor.spikes.detector import rescaled
from monitor.spikes.sensitivity import FACTORS, params_for

HOURLY_SERIES = rescaled(SERIES_PARAMS, 24)  # what `monitor spikes detect` runs on an hourly CSV


def rhythm_counts(days: int, base: float, seed: int) -> np.ndarray:
    """Hourly negative-binomial counts around ``base``: busier by day, half as busy at weekends."""
    rng = np.random.default_rng(seed)
    hour = np.arange(days * 24)
    rate = base * (1 + 0.8 * np.sin(2 * np.pi * ((hour % 24) - 9) / 24)) * np.where((hour // 24) % 7 >= 5, 0.5, 1.0)
    return rng.poisson(rng.gamma(1 / 0.3, rate * 0.3))


def flags(values, params=HOURLY_PARAMS) -> list[int]:
    return [flag.index for flag in detect([float(v) for v in values], params=params)]


@pytest.mark.parametrize("params", [HOURLY_PARAMS, HOURLY_SERIES], ids=["live", "series"])
@pytest.mark.parametrize("base", [0.01, 0.05, 0.2, 1.0, 5.0])
def test_a_planted_burst_is_found_at_a_low_base_rate(params, base):
    counts = rhythm_counts(60, base, seed=11)
    at = 24 * 45 + 10
    extra = max(8, math.ceil(6 * base * 3 + 4 * math.sqrt(base * 3)))  # several times three hours' worth
    counts[at : at + 3] += [extra - 2 * (extra // 3), extra // 3, extra // 3]

    found = [i for i in flags(counts, params) if i >= 24 * 40]

    assert found and at <= found[0] <= at + 2, (base, found)


@pytest.mark.parametrize("params", [HOURLY_PARAMS, HOURLY_SERIES], ids=["live", "series"])
@pytest.mark.parametrize("before", [[0] * 24 * 10, [0, 0, 0, 1, 0, 0, 0, 0] * 24 * 3])
def test_zero_to_two_is_not_a_spike(params, before):
    assert flags(before + [2], params) == []
    assert flags(before + [1, 1], params) == []  # two in two hours neither


def test_the_minimum_evidence_holds_however_quiet_the_name():
    quiet = [0] * (24 * 30)
    assert flags(quiet + [6]) == [len(quiet)]  # six at once after a silent month is news
    assert flags(quiet + [1, 2, 1]) == []  # a first story and its copies is not
    assert flags(quiet + [3], HOURLY_SERIES) == [len(quiet)]  # `spikes detect` asks for three


@pytest.mark.parametrize("base", [0.05, 0.5, 3.0])
def test_a_daily_and_weekly_rhythm_is_not_flagged(base):
    counts = rhythm_counts(90, base, seed=3)

    assert len(flags(counts, HOURLY_SERIES)) <= 1  # at most one false alarm in three months


def test_a_past_spike_does_not_mute_the_next_one_at_a_sparse_rate():
    counts = rhythm_counts(60, 0.1, seed=5).astype(float)
    counts[24 * 20 + 9 : 24 * 20 + 12] += [15, 10, 5]  # a big story
    counts[24 * 23 + 14] += 6  # three days later, a burst less than half its size

    found = flags(counts, HOURLY_SERIES)

    assert 24 * 20 + 9 in found and 24 * 23 + 14 in found


def bursting_busy_name(seed: int, last: float, *, base: float = 20, extra: float = 50, days: int = 45):
    """Hourly counts of a busy name (``base`` an hour) with a three-hour burst of ``extra`` an hour
    at a random hour of every third day, and one of ``last`` an hour on the last afternoon; the
    hour that begins."""
    rng = np.random.default_rng(seed)
    counts = rng.poisson(base, size=days * 24).astype(float)
    for day in range(1, days - 1, 3):
        start = day * 24 + rng.integers(0, 20)
        counts[start : start + 3] += extra
    at = (days - 1) * 24 + 14
    counts[at : at + 3] += last
    return counts, at


@pytest.mark.parametrize("seed", [0, 1])
def test_a_busy_name_that_bursts_every_few_days_must_outdo_its_bursts(seed):
    """A third of its days burst: their surprise, not the median day's, is what a busy name
    must beat (``busy_from``); a burst like them is no news, three times one is."""
    counts, at = bursting_busy_name(seed, last=50)
    bigger, _ = bursting_busy_name(seed, last=150)
    median_only = replace(HOURLY_PARAMS, busy_from=math.inf)

    assert [i for i in flags(counts, median_only) if i >= at]  # 1.5 times the median day: an alert
    assert [i for i in flags(counts) if i >= at] == []
    assert [i for i in flags(bigger) if i >= at]


def test_one_past_burst_does_not_raise_a_busy_names_bar():
    """The usual peak is about the third-highest day of a fortnight: one burst day, however big,
    leaves the bar where the median day puts it."""
    rng = np.random.default_rng(4)
    counts = rng.poisson(20, size=30 * 24).astype(float)
    counts[24 * 20 + 9 : 24 * 20 + 12] += 400  # a big story
    detector = Detector(HOURLY_PARAMS)
    for value in counts:
        detector.update(value)
    median_only = Detector(replace(HOURLY_PARAMS, busy_from=math.inf))
    for value in counts:
        median_only.update(value)

    assert detector.counts.day_sum / detector.slots >= HOURLY_PARAMS.busy_from  # a busy name
    assert max(detector.scan_day_max) > 10 * detector.scan_bar()  # the story's day is in the record
    assert detector.scan_bar() == median_only.scan_bar()


def story_breaking_in_a_small_rise(base: float = 0.2) -> tuple[np.ndarray, int, int]:
    """Hourly counts where a modest rise opens an episode and, hours later while it is still
    open, a story many times bigger breaks; with the hour each begins."""
    counts = rhythm_counts(60, base, seed=8).astype(float)
    rise, story = 24 * 40 + 6, 24 * 40 + 15
    counts[rise : rise + 2] += 4  # enough to open an episode, no more
    counts[rise + 4] += 2  # and a trickle that keeps it open
    counts[story : story + 2] += [30, 20]
    return counts, rise, story


def test_a_story_breaking_inside_an_open_episode_is_flagged_again():
    counts, rise, story = story_breaking_in_a_small_rise()

    found = flags(counts, HOURLY_SERIES)

    assert rise in found or rise + 1 in found
    assert story in found


def test_a_burst_growing_bucket_by_bucket_is_one_alert():
    counts = rhythm_counts(60, 0.2, seed=8).astype(float)
    at = 24 * 40 + 6
    counts[at : at + 6] += [4, 6, 9, 13, 18, 24]  # each hour more surprising than the last

    found = [i for i in flags(counts, HOURLY_SERIES) if at - 24 <= i <= at + 24]

    assert found == [at]


def test_without_escalation_the_story_is_swallowed_by_the_open_episode():
    """The escalation rule is what flags the story: with it off, the small rise's episode holds."""
    counts, rise, story = story_breaking_in_a_small_rise()

    found = flags(counts, replace(HOURLY_SERIES, escalate=0.0, escalate_run=0.0))

    assert story not in found


def rise_then_more(base: float, rise_by: float, more_by: float) -> tuple[np.ndarray, int, int]:
    """Hourly counts where a two-hour rise opens an episode and, three hours later while it is
    open, one hour rises again; with the hours of the rise and of the second rise."""
    counts = rhythm_counts(60, base, seed=8).astype(float)
    rise, more = 24 * 40 + 6, 24 * 40 + 9
    counts[rise : rise + 2] += rise_by
    counts[more] += more_by
    return counts, rise, more


def near(found: list[int], rise: int, more: int) -> list[int]:
    return [i for i in found if rise - 2 <= i <= more + 3]


@pytest.mark.parametrize("more_by", [12, 14])
def test_in_a_sparse_series_a_swing_inside_an_open_episode_is_no_new_alert(more_by):
    """About one mention an hour: a second rise 1.5 times as surprising as the first is a
    swing of small counts, not news (``escalate_from``); everywhere, it was a second alert."""
    counts, rise, more = rise_then_more(1.0, 4, more_by)

    found = near(flags(counts, HOURLY_SERIES), rise, more)
    everywhere = near(flags(counts, replace(HOURLY_SERIES, escalate_from=0.0)), rise, more)

    assert more not in found and found and more in everywhere
    assert detect_many(np.array([counts]), params=HOURLY_SERIES) == [flags(counts, HOURLY_SERIES)]


def test_in_a_sparse_series_a_story_twice_as_strong_inside_an_open_episode_is_still_an_alert():
    counts, rise, more = rise_then_more(1.0, 4, 20)

    assert more in flags(counts, HOURLY_SERIES)


def test_in_a_busy_series_a_much_stronger_hour_inside_an_open_episode_is_a_new_alert():
    """About ten mentions an hour: the escalation rule still opens a second alert."""
    counts, rise, more = rise_then_more(10.0, 25, 80)

    found = near(flags(counts, HOURLY_SERIES), rise, more)

    assert found == [rise, more]
    assert near(flags(counts, replace(HOURLY_SERIES, escalate=0.0)), rise, more) == [rise]
    assert detect_many(np.array([counts]), params=HOURLY_SERIES) == [flags(counts, HOURLY_SERIES)]


def story_after_a_ratchet(base: float = 0.2) -> tuple[np.ndarray, int, int]:
    """Hourly counts where a rise opens an episode, a slightly bigger one five hours later
    keeps it open, and the story starts five hours after that with an hour a little
    stronger again (raising the episode's strongest, under 1.5 times it) before its peak;
    with the hours of the rise and of the story's peak."""
    counts = rhythm_counts(60, base, seed=8).astype(float)
    rise = 24 * 40 + 6
    counts[[rise, rise + 5, rise + 10, rise + 11]] += [4, 6, 10, 40]
    return counts, rise, rise + 11


def test_a_story_is_not_swallowed_by_an_episode_whose_bar_crept_up_bucket_by_bucket():
    """Each step of the episode's strongest surprise stays under ``escalate`` times the last,
    and the story's peak comes within the hour of its first hour: only the rule comparing
    the story with the episode's earlier runs flags it."""
    counts, rise, peak = story_after_a_ratchet()

    found = flags(counts, HOURLY_SERIES)
    without = flags(counts, replace(HOURLY_SERIES, escalate_run=0.0))

    assert rise in found and peak in found
    assert rise in without and peak not in without
    assert detect_many(np.array([counts]), params=HOURLY_SERIES) == [found]


def sustained_rise(base: float, extra: float, hours: int, seed: int) -> tuple[np.ndarray, int]:
    """Hourly counts with ``extra`` mentions added to each of ``hours`` hours; with the first."""
    counts = rhythm_counts(60, base, seed=seed).astype(float)
    at = 24 * 40 + 6
    counts[at : at + hours] += extra
    return counts, at


@pytest.mark.parametrize(
    ("params", "base", "extra", "hours", "seed"),
    [(HOURLY_SERIES, 1.0, 3, 6, 8), (HOURLY_SERIES, 1.0, 4, 4, 8), (HOURLY_PARAMS, 0.5, 2, 6, 8)],
    ids=["series-slow", "series-steady", "live-slow"],
)
def test_a_sustained_sparse_rise_is_flagged_before_any_single_window_reaches_the_bar(params, base, extra, hours, seed):
    """Hours in a row, each nearly as surprising as the bar (``onset_factor`` of it), where a
    bucket expects under ``onset_below`` mentions, are a spike: without the onset rule the
    rise is flagged later or never (no window of an hour or six reaches the bar on its own)."""
    counts, at = sustained_rise(base, extra, hours, seed)
    near = lambda found: [i - at for i in found if at - 24 <= i <= at + 24]

    found = near(flags(counts, params))
    without = near(flags(counts, replace(params, onset_run=0)))

    assert found and 1 <= found[0] < hours
    assert not without or without[0] > found[0]
    assert detect_many(np.array([counts]), params=params) == [flags(counts, params)]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.integers(0, 30), min_size=50, max_size=400), st.integers(1, 399))
def test_flags_are_causal_a_truncated_series_gives_the_same_earlier_flags(values, cut):
    full = flags(values, HOURLY_SERIES)

    assert flags(values[:cut], HOURLY_SERIES) == [i for i in full if i < cut]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.integers(0, 20), min_size=30, max_size=300), st.sets(st.integers(1, 299), max_size=6))
def test_the_stored_online_state_flags_what_one_batch_run_flags(values, cuts):
    """Saved to JSON and restored at arbitrary buckets (as a worker does), the detector flags
    exactly what one uninterrupted run flags."""
    detector, online = Detector(HOURLY_PARAMS), []
    for i, value in enumerate(values):
        if i in cuts:
            detector = Detector.restore(json.loads(json.dumps(detector.state())), HOURLY_PARAMS)
        if (flag := detector.update(value)) is not None:
            online.append(flag.index)

    assert online == flags(values)


def test_a_name_turning_busy_restored_at_any_bucket_keeps_the_bars_of_one_run():
    """Whether a name is busy is decided when a day ends, as the batch detector decides it: a
    state restored in the middle of the day it grew busy judges with the bars it had, and a
    retuned one with the new sensitivity's at once."""
    rng = np.random.default_rng(6)
    counts = np.concatenate([bursting_busy_name(6, 0, base=2, extra=8)[0][: 24 * 20], rng.poisson(30, 24 * 8)]).tolist()
    detector = Detector(HOURLY_PARAMS)
    for value in counts[: 24 * 20]:
        detector.update(value)
    changed = 0
    for value in counts[24 * 20 :]:
        restored = Detector.restore(json.loads(json.dumps(detector.state())), HOURLY_PARAMS)
        assert (restored.scan_bar(), restored.bar(), restored.busy) == (
            detector.scan_bar(),
            detector.bar(),
            detector.busy,
        )
        changed += restored.busy != (restored.counts.day_sum / restored.slots >= HOURLY_PARAMS.busy_from)
        detector.update(value)
    quiet = params_for(HOURLY_PARAMS, "quiet")
    restored.retune(quiet)

    assert detector.busy and changed  # it grew busy, and mid-day its count model said so before its bar did
    assert restored.scan_bar() >= quiet.scan_threshold > HOURLY_PARAMS.scan_threshold


def test_the_batch_detector_flags_what_the_streaming_one_flags_on_sparse_and_busy_series():
    rows = np.array([rhythm_counts(40, base, seed=k) for k, base in enumerate([0.01, 0.1, 0.5, 2.0, 20.0] * 4)])
    rng = np.random.default_rng(9)
    for row in rows:
        at = int(rng.integers(24 * 10, 24 * 38))
        row[at : at + 2] += rng.integers(5, 40)

    assert detect_many(rows, params=HOURLY_PARAMS) == [flags(row) for row in rows]


def test_the_batch_detector_holds_busy_names_to_their_bursts_as_the_streaming_one_does():
    """Busy and sparse names bursting every third day, each row's bar set by its own kind."""
    rows = np.array(
        [
            bursting_busy_name(seed, last, base=base, extra=extra)[0]
            for seed in range(3)
            for last in (50, 150)
            for base, extra in ((20, 50), (3, 10), (0.5, 6))
        ]
    )
    median_only = replace(HOURLY_PARAMS, busy_from=math.inf)

    batch = detect_many(rows, params=HOURLY_PARAMS)

    assert batch == [flags(row) for row in rows]
    assert batch != detect_many(rows, params=median_only)  # the busy names' bars differ


def test_the_batch_detector_escalates_where_the_streaming_one_does():
    counts, _, story = story_breaking_in_a_small_rise()
    rows = np.array([counts, rhythm_counts(60, 0.2, seed=8)])

    batch = detect_many(rows, params=HOURLY_SERIES)

    assert batch == [flags(row, HOURLY_SERIES) for row in rows] and story in batch[0]


@settings(max_examples=120, deadline=None)
@given(
    st.integers(1, 14),
    st.integers(0, 14),
    st.integers(1, 6),
    st.one_of(st.just(0.5), st.just(0.85), st.floats(0, 1)),
    st.integers(0, 2**32 - 1),
)
def test_the_batch_usual_peak_of_recent_days_is_the_streaming_one(days, seen, people, quantile, seed):
    """The batch bar's quantile (a ring of days, NaN until a day is seen) equals the streaming
    detector's ``usual_peak`` of the days seen exactly, and numpy's linear quantile, 0 with
    none, whether or not the ring is full (two code paths); at 0.5 it is the median."""
    from statistics import median

    from monitor.spikes.batch import _nanquantile
    from monitor.spikes.detector import usual_peak

    seen = min(seen, days)
    ring = np.full((days, people), np.nan)
    ring[:seen] = np.random.default_rng(seed).normal(size=(seen, people)).round(1)  # ties included

    got = _nanquantile(np.sort(ring, axis=0), quantile).tolist()

    streaming = [usual_peak([None if np.isnan(v) else float(v) for v in ring[:, k]], quantile) for k in range(people)]
    assert got == streaming
    if seen:
        assert got == pytest.approx(np.quantile(ring[:seen], quantile, axis=0).tolist(), abs=1e-12)
        if quantile == 0.5:
            assert got == pytest.approx([median(ring[:seen, k]) for k in range(people)], abs=1e-12)
    else:
        assert got == [0.0] * people


@settings(max_examples=60, deadline=None)
@given(st.floats(0.01, 30), st.floats(0, 3), st.integers(1, 60))
def test_the_negative_binomial_tail_matches_the_exact_sum(mean, dispersion, k):
    # The probabilities by their recurrence, P(i + 1) = P(i)·(i + size)/(i + 1)·q: exact for
    # any dispersion. (Differences of lgamma lost six digits at a dispersion of 6e-8, and
    # Poisson stood in below 1e-6 where nb_sf is a negative binomial down to 1e-9.)
    if dispersion <= 1e-9:
        first, step = math.exp(-mean), lambda i: mean / (i + 1)
    else:
        size = 1 / dispersion
        q = mean / (size + mean)
        first, step = math.exp(size * math.log1p(-q)), lambda i: (i + size) / (i + 1) * q
    pmf = [first]
    for i in range(k - 1):
        pmf.append(pmf[-1] * step(i))
    exact = max(0.0, 1 - math.fsum(pmf))

    assert nb_sf(k, mean, dispersion) == pytest.approx(exact, rel=1e-6, abs=1e-9)


def test_the_count_model_tail_is_calibrated_on_a_poisson_series():
    """On a Poisson series at 0.5 a bucket, windows reaching a surprise of 2 (a tail of 1%)
    happen about 1% of the time, not far more: the sparse regime's tails are honest."""
    rng = np.random.default_rng(4)
    detector = Detector(HOURLY_PARAMS)
    surprises = []
    for value in rng.poisson(0.5, 24 * 400):
        slot, weekday = detector._position(detector.seen)
        if detector.level is not None:
            mu = detector.counts.rate(slot, weekday)[0]
            surprises.append(detector.counts.judge(float(value), mu)[0])
        detector.update(float(value))
    share = np.mean(np.array(surprises[24 * 30 :]) >= 2)

    assert share < 0.02  # three scales tested: a calibrated tail gives at most about 3 x 0.33%


def five_minute_counts(days: int, base: float, seed: int) -> np.ndarray:
    """Poisson counts every five minutes around ``base``, busier by day (``SERIES_PARAMS``' buckets)."""
    rng = np.random.default_rng(seed)
    hour = np.arange(days * 288) // 12
    return rng.poisson(base * (1 + 0.8 * np.sin(2 * np.pi * ((hour % 24) - 9) / 24)))


def rise_after_three_mentions(params) -> float:
    """How many times a sparse name's next expected count grows when a burst's first bucket
    (three mentions, at night) is learnt; five-minute buckets, twelve to an hour's slot."""
    detector = Detector(params)
    for value in five_minute_counts(10, 0.09, seed=4):
        detector.update(float(value))
    before = detector.expected_count(detector.seen + 1)
    detector.update(3.0)
    return detector.expected_count(detector.seen) / before


def test_a_sparse_hour_of_the_day_learns_a_burst_as_its_shape_at_most_half_as_fast():
    """Counted in buckets, the slot's memory holds about one mention, so a burst's first
    bucket became the hour's usual level and hid the rest of the burst."""
    by_buckets = replace(SERIES_PARAMS, profile_mentions=0.0, level_mentions=0.0)

    rise, rise_by_buckets = rise_after_three_mentions(SERIES_PARAMS), rise_after_three_mentions(by_buckets)

    assert rise - 1 < (rise_by_buckets - 1) / 2, (rise, rise_by_buckets)


def over_dispersion_rise_after_a_burst_bucket(params) -> float:
    """How much a sparse name's one-bucket over-dispersion grows when a burst's first bucket
    (eight mentions where about 0.2 an hour is usual) is learnt; hourly buckets."""
    detector = Detector(params)
    for value in rhythm_counts(30, 0.2, seed=6):
        detector.update(float(value))
    before = detector.counts.phi[0]
    detector.update(8.0)
    return detector.counts.phi[0] - before


def test_a_burst_bucket_teaches_a_sparse_name_over_dispersion_at_most_a_third_as_fast():
    """Counted in buckets, the dispersion's memory held a few dozen mentions, so the first
    bucket of a burst raised the bar for the rest of it."""
    by_buckets = replace(HOURLY_SERIES, disp_mentions=0.0)

    rise, rise_by_buckets = (over_dispersion_rise_after_a_burst_bucket(p) for p in (HOURLY_SERIES, by_buckets))

    assert rise_by_buckets > 0.1 and rise < rise_by_buckets / 3, (rise, rise_by_buckets)


def test_a_busy_name_learns_at_the_bucket_counted_rates():
    detector = Detector(SERIES_PARAMS)
    for value in five_minute_counts(3, 30.0, seed=5):
        detector.update(float(value))
    counts, p = detector.counts, SERIES_PARAMS

    assert counts.memory_rate(p.season_rate, p.profile_mentions) == p.season_rate
    assert counts.memory_rate(p.level_rate, p.level_mentions) == p.level_rate
    assert counts.memory_rate(p.disp_rate, p.disp_mentions) == p.disp_rate


def test_the_batch_detector_flags_what_the_streaming_one_flags_at_five_minute_buckets():
    """Where sparse names' memories are counted in mentions (several hours' buckets a slot)."""
    rows = np.array([five_minute_counts(4, base, seed=k) for k, base in enumerate([0.02, 0.1, 0.4, 3.0, 30.0] * 2)])
    rng = np.random.default_rng(12)
    for row in rows:
        at = int(rng.integers(288 * 2, 288 * 4 - 12))
        row[at : at + 6] += rng.integers(3, 30)

    batch = detect_many(rows, params=SERIES_PARAMS)

    assert batch == [flags(row, SERIES_PARAMS) for row in rows] and sum(map(len, batch)) >= 5


def test_rescaled_rates_keep_their_meaning_in_clock_time():
    """Hourly buckets visit each weekday 24 times, not 288: the week profile must learn 12
    times as fast a bucket to remember the same weeks (it remembered over a year)."""
    hourly = rescaled(SERIES_PARAMS, 24)

    for name in ("level_rate", "scale_rate", "disp_rate", "week_rate"):
        assert getattr(hourly, name) * 24 == pytest.approx(getattr(SERIES_PARAMS, name) * 288), name


def busy_bucket_surprise(rise: float) -> tuple[float, float, float]:
    """(surprise, observed count of its window, the bucket's count) of the count model on a
    bucket of 2.5 times its expected count (some 15-40: five-minute buckets of a busy name),
    after an hour at ``rise`` times the usual."""
    detector = Detector(SERIES_PARAMS)
    for value in five_minute_counts(7, 25.0, seed=6):
        detector.update(float(value))
    for _ in range(11):
        detector.update(round(rise * detector.expected_count(detector.seen)))
    mu = detector.expected_count(detector.seen)
    assert mu >= SERIES_PARAMS.single_below  # the single bucket is a busy one
    value = round(2.5 * mu)
    surprise, observed, _ = detector.counts.judge(value, mu)
    return surprise, observed, value


def test_a_busy_single_bucket_counts_only_where_its_hour_agrees():
    """A single bucket's tail is far too light at a busy level, so one wild bucket in a usual
    hour is the log test's to judge; where the hour before it was already rising, the
    bucket's own tail says how surprising the story breaking in it is."""
    lone, _, _ = busy_bucket_surprise(rise=1.0)
    after_rise, observed, value = busy_bucket_surprise(rise=1.5)

    assert lone < SERIES_PARAMS.scan_threshold
    assert observed == value and after_rise >= SERIES_PARAMS.scan_threshold  # the single bucket's window


def test_the_batch_detector_judges_busy_single_buckets_as_the_streaming_one_does():
    rows = np.array([five_minute_counts(4, base, seed=20 + k) for k, base in enumerate([8.0, 12.0, 20.0, 30.0] * 3)])
    rng = np.random.default_rng(13)
    for row in rows:
        at = int(rng.integers(288 * 2, 288 * 4 - 24))
        row[at - 11 : at] = (row[at - 11 : at] * rng.uniform(1.3, 2.0)).astype(row.dtype)  # an hour's rise
        row[at] += int(row[at] * rng.uniform(2.0, 4.0))  # then the story breaks in one bucket
    lone_buckets_to_the_log_test = replace(SERIES_PARAMS, busy_agree=math.inf)

    batch = detect_many(rows, params=SERIES_PARAMS)

    assert batch == [flags(row, SERIES_PARAMS) for row in rows]
    assert batch != detect_many(rows, params=lone_buckets_to_the_log_test)  # the rule was exercised


@settings(max_examples=300, deadline=None)
@given(
    st.floats(1e-3, 2000.0),
    st.sampled_from([0.0, 0.01, 0.1, 0.5, 1.0, 2.0, MAX_DISPERSION]),
    st.floats(-3.0, PRE_Z, exclude_max=True),
)
def test_no_window_the_normal_pre_score_skips_could_reach_the_lowest_bar(mean, dispersion, score):
    """The exact tail is computed only past ``PRE_Z``; below it no window may be surprising
    enough for any bar, the onset rule's at the eager sensitivity being the lowest."""
    spread = math.sqrt(mean + dispersion * mean * mean)
    observed = math.floor(mean + 0.5 + score * spread)  # the most a window scoring under PRE_Z holds
    lowest_bar = SERIES_PARAMS.onset_factor * SERIES_PARAMS.scan_threshold * FACTORS["eager"]

    assert (observed - mean - 0.5) / spread < PRE_Z
    assert surprise_of(nb_sf(observed, mean, dispersion)) < lowest_bar
