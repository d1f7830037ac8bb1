"""The dominant repeated movement in a window of pose vectors: its period and its cycles.

`analyse(samples, times)` over a window of grid samples (edge/features/pose_vector.py):

1. Period: the lag at which the whole pose comes back, from the autocorrelation of the
   pose's velocity summed over every coordinate (velocity, so that a small fast movement,
   a foot juggling a ball, counts as much as a slow sway; every coordinate at once, so a
   wrist that passes the body's middle twice per jumping jack does not halve the period).
   Of the autocorrelation's peaks between MIN_PERIOD_S and the window's length over
   MIN_CYCLES, past its main lobe (its first fall below zero: noise on the slope of a slow
   movement's lobe is no period), the shortest one within OCTAVE of the strongest (a peak
   at twice the period is nearly as strong as the period's own).
2. Movement: what moves slower than one period (drifting, walking in) is removed by
   subtracting a moving average one period long; below MIN_MOTION torso lengths of motion
   (RMS) the body is standing still, swaying or jittering, and nothing is counted. Of the
   first COMPONENTS principal components, the one most periodic at that period (its
   autocorrelation there, weighted by the square root of its share of the variance).
3. Cycles: the peaks of that component, smoothed over SMOOTH of a period, on the side of
   its long tail (a squat's rest pose is the plateau, its bottom the tail), at least
   MIN_SPACING periods apart, each with a prominence of MIN_PROMINENCE standard deviations.
   A peak is only a peak once the signal has fallen from it again.

Every constant was chosen on the whole counting benchmark (docs/counting.md lists each
variant tried, docs/bench/counting.md the figures), never for one clip.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edge.features.pose_vector import RATE_HZ

MIN_PERIOD_S, MAX_PERIOD_S = 0.25, 6.0
MIN_CYCLES = 2  # the longest period considered fits this many times in the window
OCTAVE = 0.8
MIN_MOTION = 0.16  # torso lengths, RMS over the window, once slower drift is removed
COMPONENTS = 3
SMOOTH = 0.35  # of a period
MIN_SPACING = 0.6  # periods
MIN_PROMINENCE = 0.5  # standard deviations of the smoothed component


@dataclass(frozen=True)
class Cycle:
    """One cycle: when it peaks, the troughs either side, its range (in the component's
    standard deviations, comparable between the cycles of one window)."""

    peak_s: float
    start_s: float
    end_s: float
    prominence: float


@dataclass(frozen=True)
class Analysis:
    period_s: float
    periodicity: float  # the chosen component's autocorrelation at the period, <= 1
    cycles: list[Cycle]  # oldest first


def autocorrelation(x: np.ndarray) -> np.ndarray:
    """Normalised autocorrelation of a (n,) or (n, d) signal, summed over columns."""
    n = len(x)
    centred = x - x.mean(axis=0)
    spectrum = np.fft.rfft(centred, 2 * n, axis=0)
    ac = np.fft.irfft(spectrum * np.conj(spectrum), axis=0)[:n]
    if ac.ndim == 2:
        ac = ac.sum(axis=1)
    return ac / ac[0] if ac[0] > 0 else np.zeros(n)


def moving_average(x: np.ndarray, width: int) -> np.ndarray:
    """Centred moving average along axis 0, edges padded with the edge values."""
    if width <= 1:
        return x
    padded = np.pad(x, [(width // 2, width - 1 - width // 2)] + [(0, 0)] * (x.ndim - 1), "edge")
    sums = np.cumsum(padded, axis=0, dtype=np.float64)
    sums = np.concatenate([np.zeros((1, *x.shape[1:])), sums])
    return (sums[width:] - sums[:-width]) / width


def period_lag(ac: np.ndarray, lag_min: int, lag_max: int) -> int | None:
    """The autocorrelation's shortest peak in [lag_min, lag_max], past its main lobe, within
    OCTAVE of its best."""
    # one lag either side, so that a peak at lag_min or lag_max itself is a peak too
    lo = max(lag_min - 1, 0)
    inner = ac[lo : lag_max + 2]
    local = np.flatnonzero((inner[1:-1] > inner[:-2]) & (inner[1:-1] >= inner[2:])) + 1
    local = local[(local + lo >= lag_min) & (local + lo <= lag_max)]
    # past the main lobe: a bump on its slope (noise on a slow movement) is no period
    below = np.flatnonzero(ac[: lag_max + 1] < 0)
    local = local[local + lo > below[0]] if below.size else local[:0]
    if local.size == 0:
        return None
    top = float(inner[local].max())
    return lo + int(local[np.flatnonzero(inner[local] >= min(OCTAVE * top, top))[0]])


def peaks(x: np.ndarray, min_prominence: float, min_distance: int) -> list[tuple[int, float]]:
    """(index, prominence) of the peaks of x by scipy.signal.find_peaks' rules: a peak's
    prominence is its height over the higher of the lowest points between it and a higher
    sample (or the end) on either side; of peaks closer than min_distance the higher wins."""
    n = len(x)
    found: list[tuple[int, float]] = []
    for i in range(1, n - 1):
        if not (x[i] > x[i - 1] and x[i] >= x[i + 1]):
            continue
        left = i
        while left > 0 and x[left - 1] <= x[i]:
            left -= 1
        right = i
        while right < n - 1 and x[right + 1] <= x[i]:
            right += 1
        prominence = float(x[i] - max(x[left : i + 1].min(), x[i : right + 1].min()))
        if prominence >= min_prominence:
            found.append((i, prominence))
    kept: list[tuple[int, float]] = []
    for i, p in sorted(found, key=lambda ip: -x[ip[0]]):
        if all(abs(i - j) >= min_distance for j, _ in kept):
            kept.append((i, p))
    return sorted(kept)


def analyse(
    samples: np.ndarray, times: np.ndarray, rate_hz: float = RATE_HZ,
    min_cycles: float = MIN_CYCLES,
) -> Analysis | None:  # fmt: skip
    """The dominant repeated movement in (n, d) grid samples at `times`, or None; the
    longest period considered fits min_cycles times in the samples."""
    n = len(samples)
    lag_min = round(MIN_PERIOD_S * rate_hz)
    lag_max = min(round(MAX_PERIOD_S * rate_hz), int(n / min_cycles))
    if lag_max <= lag_min + 1:
        return None
    velocity = np.diff(moving_average(samples, 3), axis=0)
    lag = period_lag(autocorrelation(velocity), lag_min, lag_max)
    if lag is None:
        return None
    motion = samples - moving_average(samples, lag)
    motion -= motion.mean(axis=0)
    if float(np.sqrt((motion**2).sum(axis=1).mean())) < MIN_MOTION:
        return None
    u, s, _ = np.linalg.svd(motion, full_matrices=False)
    total = float((s**2).sum())
    tolerance = max(1, lag // 10)
    best: tuple[float, float, np.ndarray] | None = None
    for k in range(min(COMPONENTS, len(s))):
        component = u[:, k] * s[k]
        at_period = float(autocorrelation(component)[lag - tolerance : lag + tolerance + 1].max())
        score = at_period * np.sqrt(float(s[k] ** 2) / total)
        if best is None or score > best[0]:
            best = (score, at_period, component)
    assert best is not None
    _, periodicity, component = best
    smoothed = moving_average(component, max(1, int(SMOOTH * lag)))
    deviation = smoothed - smoothed.mean()
    if float(np.mean(deviation**3)) < 0:
        smoothed = -smoothed
    std = float(smoothed.std())
    if std <= 1e-12:
        return None
    found = peaks(smoothed, MIN_PROMINENCE * std, max(1, int(MIN_SPACING * lag)))
    cycles = []
    for j, (index, prominence) in enumerate(found):
        lo = found[j - 1][0] if j else max(0, index - lag)
        hi = found[j + 1][0] if j + 1 < len(found) else min(n - 1, index + lag)
        start = lo + int(np.argmin(smoothed[lo : index + 1]))
        end = index + int(np.argmin(smoothed[index : hi + 1]))
        peak_s, start_s, end_s = float(times[index]), float(times[start]), float(times[end])
        cycles.append(Cycle(peak_s, start_s, end_s, prominence / std))
    return Analysis(lag / rate_hz, periodicity, cycles)
