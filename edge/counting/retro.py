"""Counting a movement that has stopped, looking back over all of it: short sets.

A live window needs regular cycles before it trusts a count (edge/counting/periodic.py), so
a set of one to three reps ends before it is ever counted. Once the movement has stopped
(the body still, nobody in view, or the stream's end), the whole moving stretch is known,
and its cycles are counted from it alone:

1. The stretch: from the last sample still at the first pose to the first one already at
   the final pose (a rest before and after the set is not part of it).
2. Its period: the window's analysis (edge/counting/cycles.py) over the stretch, with a
   period that may fit only MIN_FITS times in it; a movement that is periodic enough
   (MIN_PERIODICITY, the live gate) and moves enough (MIN_MOTION) has as many cycles as
   its peaks, less one, plus the rest of the stretch (before its first peak and after its
   last) over the period, rounded (a cycle cut by the stream's first frame, or one whose
   peak sits on its last, counts as it does not in the peaks); without peaks, the
   stretch's length over the period. The peaks measure the cycles between them; only the
   stretch's ends are measured by the period, whose error would otherwise add up over
   every cycle.
3. One cycle has no period to find: the stretch is one rep when the body goes far from its
   start pose along the stretch's main direction (its first principal component, drift
   removed: MIN_EXCURSION torso lengths) and, after its farthest, comes back to within
   RETURN of that excursion. A walk-in, getting into position or a single reach does not
   come back to where it started, or does not go far.
"""

from __future__ import annotations

from itertools import pairwise

import numpy as np

from edge.counting.cycles import MIN_MOTION, MIN_PERIOD_S, Cycle, analyse, moving_average
from edge.features.pose_vector import RATE_HZ

MIN_FITS = 1.5  # the longest period considered fits this many times in the stretch
MIN_PERIODICITY = 0.2  # as the live gate (periodic.py)
SMOOTH_SAMPLES = 3  # keypoint jitter is not motion (a tenth of a second, under any period)
AT_REST = 0.5 * MIN_MOTION  # within this of the first or last pose: not moving yet, or again
MIN_EXCURSION = 2 * MIN_MOTION  # torso lengths: how far one rep goes from its start pose
RETURN = 0.6  # of the excursion: back at the start pose
EDGES = 1  # cycles the peaks may miss: cut by the stretch's first or last sample


def moving_span(x: np.ndarray) -> tuple[int, int]:
    """First and last index of the stretch that moves: the last sample within AT_REST of the
    first pose before it has left, the first within AT_REST of the last pose after it
    came."""
    away_first = np.linalg.norm(x - x[0], axis=1) > AT_REST
    away_last = np.linalg.norm(x - x[-1], axis=1) > AT_REST
    if not away_first.any() or not away_last.any():
        return 0, -1
    first = max(int(np.argmax(away_first)) - 1, 0)
    last = min(len(x) - int(np.argmax(away_last[::-1])), len(x) - 1)
    return first, last


def detrend(x: np.ndarray) -> np.ndarray:
    """x less its least-squares line per coordinate (the camera or the body drifting)."""
    k = np.arange(len(x), dtype=np.float64) - (len(x) - 1) / 2.0
    slope = (k @ (x - x.mean(axis=0))) / max(float(k @ k), 1e-12)
    return x - x.mean(axis=0) - np.outer(k, slope)


def split(x: np.ndarray, t: np.ndarray, count: int) -> list[Cycle]:
    """`count` cycles of equal length over the stretch; each turns at its farthest pose from
    its start, and its range is that distance."""
    bounds = np.linspace(0, len(x) - 1, count + 1).round().astype(int)
    cycles = []
    for lo, hi in pairwise(bounds):
        reach = np.linalg.norm(x[lo : hi + 1] - x[lo], axis=1)
        turn = lo + int(np.argmax(reach))
        cycles.append(Cycle(float(t[turn]), float(t[lo]), float(t[hi]), float(reach.max())))
    return cycles


def _stretch(
    samples: np.ndarray, times: np.ndarray, rate_hz: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """The moving stretch's samples, times and shape (smoothed, drift removed), or None."""
    if len(samples) < 2:
        return None
    samples, times = np.asarray(samples, np.float64), np.asarray(times, float)
    first, last = moving_span(moving_average(samples, SMOOTH_SAMPLES))
    if last - first < round(MIN_PERIOD_S * rate_hz):
        return None
    x, t = samples[first : last + 1], times[first : last + 1]
    return x, t, detrend(moving_average(x, SMOOTH_SAMPLES))


def retro_cycles(samples: np.ndarray, times: np.ndarray, rate_hz: float = RATE_HZ) -> list[Cycle]:
    """The cycles of a movement that has stopped, two or more: (n, d) grid samples at
    `times`, all of it; [] when it holds no period."""
    stretch = _stretch(samples, times, rate_hz)
    if stretch is None:
        return []
    x, t, shape = stretch
    found = analyse(x, t, rate_hz, MIN_FITS)
    if found is None or found.periodicity < MIN_PERIODICITY:
        return []
    length = float(t[-1] - t[0])
    if found.cycles:  # the peaks' cycles, and the ends beyond them by the period
        between = found.cycles[-1].peak_s - found.cycles[0].peak_s
        count = len(found.cycles) - 1 + round((length - between) / found.period_s)
    else:
        count = round(length / found.period_s)
    if not 2 <= count <= len(found.cycles) + EDGES:
        return []
    # the peaks found are the reps when they are as many (each with its own turn and
    # troughs: a rep's tempo); else the stretch cut into equal cycles
    return found.cycles if len(found.cycles) == count else split(shape, t, count)


def one_rep(samples: np.ndarray, times: np.ndarray, rate_hz: float = RATE_HZ) -> list[Cycle]:
    """A movement that has stopped, with no period: one rep when the body went far from its
    start pose and, after its farthest, came back (at any sample: the stretch may end a
    little past it), else []."""
    stretch = _stretch(samples, times, rate_hz)
    if stretch is None:
        return []
    _, t, shape = stretch
    u, sv, _ = np.linalg.svd(shape - shape.mean(axis=0), full_matrices=False)
    main = u[:, :1] * sv[:1]  # along its main direction: the joints that hardly move add no noise
    away = np.linalg.norm(main - main[0], axis=1)
    excursion = float(away.max())
    back = float(away[int(np.argmax(away)) :].min())  # nearest the start after the farthest
    if excursion >= MIN_EXCURSION and back <= RETURN * excursion:
        return split(main, t, 1)
    return []
