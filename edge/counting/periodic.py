"""Pack-free counting (`--exercise any`): the body's dominant repeated movement, live.

No pack, no labels: a rep is one cycle of whatever the body repeats, 0.25 to 6 s long.
Frames become pose vectors on a fixed 30 Hz grid (edge/features/pose_vector.py); every
HOP_S the last WINDOW_S of them are analysed afresh (edge/counting/cycles.py: the period,
the movement, its cycles), and the count is reconciled with that window:

    count = reps counted before the window + full cycles in the window now

A count only grows. So counting starts once a window holds ONSET_CYCLES cycles that
come at regular intervals (the first reps are then back-filled, each with its own start
and end), a window whose cycles are irregular (getting into position) or that does not
move enough (standing, walking in and out, swaying) adds nothing, and a count is only
trusted once every window over the last HOLD periods has seen it: a window that has just
grown by a few frames can see a cycle that the next one does not, and one window alone
publishes nothing. Each rep is published about a period after its end at most: half a
period for its peak to be seen falling, and the hold.

The movement stops when the body holds one pose for STILL_S (within half of MIN_MOTION),
when nobody is seen, or when the stream ends: the window up to there (at a stillness, up
to its first STILL_KEPT: a last rep settles into the pose slowly) is final. A set
that never reached the onset (a short set) is counted looking back over all of it
(edge/counting/retro.py: its length over its period; else SHORT_SET of the window's own
cycles; else one rep that left its pose and came back); then the window is emptied, so
the next set is counted on its own, not against the last one's cycles. When the body moves
again, the rest before it left its pose is dropped from the window: the set begins there
(seconds of stillness would dilute a small movement's motion under MIN_MOTION).

Partial reps: a cycle whose range is under PARTIAL_RATIO of the window's typical (median)
cycle and that is off the beat (a neighbouring peak nearer than IN_STEP periods) is
reported (`partial`), not counted. A low cycle that keeps the beat is a rep done small
(stirring, a tired rep, a cycle the principal component catches at a slant), and counts.

The same class counts a recorded clip (`dancepose count --exercise any`, through
edge/counting/clip.py) and a camera (`dancepose run`): one implementation.
"""

from __future__ import annotations

from collections import deque

import numpy as np

from edge.counting.cycles import (
    MAX_PERIOD_S,
    MIN_MOTION,
    MIN_PERIOD_S,
    Analysis,
    Cycle,
    analyse,
    moving_average,
)
from edge.counting.events import RepEvent, RepQuality
from edge.counting.retro import SMOOTH_SAMPLES, moving_span, one_rep, retro_cycles
from edge.features.pose_vector import BREAK, RATE_HZ, PoseSampler
from edge.modes import ANY

ONSET_CYCLES = 3
SHORT_SET = 2  # cycles a movement that has stopped must hold to be counted (a short set)
WINDOW_S = (ONSET_CYCLES + 1) * MAX_PERIOD_S  # three cycles of the slowest rep, and a margin
HOP_S = 0.2
MIN_PERIODICITY = 0.2
MAX_IRREGULARITY = 0.5  # std / mean of the intervals between a window's cycles
HOLD = 0.5  # periods over which every window must have seen a count before it is published
PARTIAL_RATIO = 0.25
IN_STEP = 0.75  # periods: a low cycle this far from the peaks either side keeps the beat
STILL_S = 2.0  # held within half of MIN_MOTION (RMS) of one pose this long: the movement stopped
STILL_KEPT = 0.5  # of the stillness, kept in the window that is final at a stop
STILL_SMOOTH = 5  # samples (1/6 s, under the shortest period): keypoint jitter is not motion


class PeriodicCounter:
    """Counts the cycles of the dominant movement, frame by frame."""

    exercise = ANY

    def __init__(self, rate_hz: float = RATE_HZ) -> None:
        self.rate_hz = rate_hz
        self._sampler = PoseSampler(rate_hz)
        size = int(WINDOW_S * rate_hz)
        self._times: deque[float] = deque(maxlen=size)
        self._samples: deque[np.ndarray] = deque(maxlen=size)
        self._hop = max(1, round(HOP_S * rate_hz))
        self._min_samples = int(2 * MIN_PERIOD_S * rate_hz * ONSET_CYCLES)
        self._still_samples = round(STILL_S * rate_hz)
        self.reset()

    @property
    def count(self) -> int:
        return self._base + len(self._counted)

    @property
    def partial(self) -> int:
        return self._published_partial

    @property
    def period_s(self) -> float | None:
        """The period of the movement being counted, None when there is none."""
        return self._period if self._counting else None

    @property
    def seen_period_s(self) -> float | None:
        """The period of the repeated movement the last window saw, counted or not yet
        (before the onset); None when it saw none."""
        return self._seen_period

    @property
    def phase(self) -> str:
        """'counting' while the window holds a repeated movement, else 'other'."""
        return "counting" if self._counting else "other"

    def reset(self) -> None:
        self._base = 0  # counted in earlier streams
        self._published_partial = 0  # partial reps published since the reset
        self._counted: list[Cycle] = []  # the cycles counted in this stream
        self._partials: list[Cycle] = []  # the partial reps
        self._period = 0.0
        self.quality = RepQuality()
        self.new_stream()

    def new_stream(self) -> None:
        """A new source (its clock starts over): forget the window, keep the counts."""
        self._close_window()
        self._sampler.reset()

    def _close_window(self) -> None:
        """Forget the window, keep the counts: what follows is counted afresh."""
        self._base += len(self._counted)
        self._counted.clear()
        self._partials.clear()
        self._ended = -np.inf  # where the last rep (or partial rep) published ended
        self._clear_window()

    def _clear_window(self) -> None:
        self._times.clear()
        self._samples.clear()
        self._since_hop = 0
        self._counting = False
        self._seen_period: float | None = None
        self._seen: deque[tuple[float, int]] = deque()  # (time, count the window saw)
        self._still_since: float | None = None  # when the body came to rest, while it is
        self._rested = False  # emptied after a rest: the window holds only the rest so far

    def update(self, landmarks: np.ndarray | None, time_s: float) -> list[RepEvent]:
        """Feed one frame (None: nobody); the reps it completes, several at the onset."""
        reps: list[RepEvent] = []
        for t, vec in self._sampler.push(landmarks, time_s):
            if t is BREAK or not np.isfinite(t):  # nobody for a while: the movement stopped
                reps.extend(self._stop(time_s))
                continue
            self._times.append(t)
            self._samples.append(vec)
            self._since_hop += 1
            if self._since_hop >= self._hop:
                self._since_hop = 0
                reps.extend(self._step(time_s))
        return reps

    def _step(self, now: float) -> list[RepEvent]:
        """One analysis: while moving, the window's count; once the body holds still, what
        the window held until then is final (a short set included); still for longer than
        a rep (a pause within a rep is shorter), the window is emptied, so the next set is
        counted on its own, not against this one's cycles."""
        n = self._still_samples
        if not self._held_still(n):
            self._still_since = None
            if self._rested and len(self._samples) >= n:  # moving again after a rest: the set
                # begins where the body left the pose it rested in
                self._rested = False
                self._drop_rest()
            return self._reconcile(now, hold=True)
        if self._still_since is None:  # the movement has just stopped
            self._still_since = self._times[-n]
            # the window up to the stillness' first half: a last rep settles into the pose
            # slowly, and its end lies inside the stillness
            final = self._final(now, drop=n - round(STILL_KEPT * n))
            self._counting = False  # resting, not counting
            return final
        if now - self._still_since >= max(STILL_S, self._rep_s()):
            self._close_window()
            self._rested = True
        return []

    def _drop_rest(self) -> None:
        """Forget the samples before the body left the pose it rested in: a rest is no part
        of the set that follows (its stillness would dilute the set's motion)."""
        x = np.stack(self._samples)
        first, _ = moving_span(moving_average(x, SMOOTH_SAMPLES))
        for _ in range(first):
            self._samples.popleft()
            self._times.popleft()

    def _rep_s(self) -> float:
        """How long one rep lasts: the period last counted, else seen, else the longest."""
        return self._period or self._seen_period or MAX_PERIOD_S

    def _held_still(self, n: int) -> bool:
        """The body has held one pose over the last n samples."""
        if len(self._samples) < n:
            return False
        recent = np.stack(
            [self._samples[i] for i in range(len(self._samples) - n, len(self._samples))]
        )
        recent = moving_average(recent, STILL_SMOOTH)
        spread = float(np.sqrt(((recent - recent.mean(axis=0)) ** 2).sum(axis=1).mean()))
        return spread < 0.5 * MIN_MOTION

    def _stop(self, now: float) -> list[RepEvent]:
        """Nobody for a while: what the window holds is final, a short set included, and
        whoever comes next is counted afresh."""
        reps = self._final(now) if self._samples else []
        self._close_window()
        return reps

    def finish(self, time_s: float) -> list[RepEvent]:
        """The stream has ended: what the last window holds is final, no need to wait, and
        a movement that stopped before its onset (a short set) is counted looking back."""
        return self._final(time_s) if self._samples else []

    def _final(self, now: float, drop: int = 0) -> list[RepEvent]:
        """The movement has stopped: what the window holds is final. A set that was never
        counted (a short set) is counted looking back over all of it (edge/counting/retro.py)."""
        if self._counted:
            return self._reconcile(now, hold=False, least=SHORT_SET, drop=drop)
        size = len(self._samples) - drop
        times = np.fromiter(self._times, float, len(self._times))[:size]
        samples = np.stack([self._samples[i] for i in range(size)]) if size > 0 else None
        if samples is None:
            return []
        cycles = retro_cycles(samples, times, self.rate_hz)
        if not cycles:  # no period over it all: the window's own cycles, else one rep
            reps = self._reconcile(now, hold=False, least=SHORT_SET, drop=drop)
            if self._counted:
                return reps
            one = one_rep(samples, times, self.rate_hz)
            return reps + [self._rep(c, now, 1.0, False) for c in one]
        self._period = (cycles[-1].end_s - cycles[0].start_s) / len(cycles)
        return [self._rep(c, now, 1.0, False) for c in cycles]

    # --- one analysis ---------------------------------------------------------------
    def _analysis(
        self, least: int = ONSET_CYCLES, drop: int = 0
    ) -> tuple[Analysis, list[Cycle], list[Cycle], float] | None:
        """The window's movement (less its newest `drop` samples), its full and partial
        cycles, and where the window's own cycles begin (reps peaking before that were
        counted by earlier windows)."""
        if least >= ONSET_CYCLES and len(self._samples) < self._min_samples:
            return None  # a live window: wait for room for the onset's cycles
        size = len(self._samples) - drop
        if size <= 0:
            return None
        times = np.fromiter(self._times, float, len(self._times))[:size]
        found = analyse(np.stack([self._samples[i] for i in range(size)]), times, self.rate_hz)
        if found is None or found.periodicity < MIN_PERIODICITY:
            self._seen_period = None
            return None
        self._seen_period = found.period_s
        low = _partial(found.cycles, found.period_s)
        full = [c for c, is_low in zip(found.cycles, low, strict=True) if not is_low]
        if len(full) < least:
            return None
        gaps = np.diff([c.peak_s for c in full])
        if len(gaps) > 1 and gaps.std() > MAX_IRREGULARITY * gaps.mean():
            return None
        slid = len(self._samples) == self._samples.maxlen
        first = float(times[0]) + 0.5 * found.period_s if slid else -np.inf
        full = [c for c in full if c.peak_s >= first]
        # a partial rep lies between counted ones, not before the movement began
        after = max(first, full[0].peak_s) if full else first
        partial = [c for c, is_low in zip(found.cycles, low, strict=True) if is_low]
        return found, full, [c for c in partial if c.peak_s > after], first

    def _reconcile(
        self, now: float, hold: bool, least: int = ONSET_CYCLES, drop: int = 0
    ) -> list[RepEvent]:
        result = self._analysis(least, drop)
        self._counting = result is not None
        if result is None:
            self._seen.clear()
            return []
        found, full, partial, first = result
        self._period = found.period_s
        target = sum(c.peak_s < first for c in self._counted) + len(full)
        if hold:
            # trusted once windows spanning HOLD periods (all since the newest window at
            # least that old) have seen it: what one window alone sees is not trusted yet
            self._seen.append((now, target))
            since = now - HOLD * found.period_s
            while len(self._seen) > 1 and self._seen[1][0] <= since:
                self._seen.popleft()
            held = self._seen[0][0] <= since
            target = min(seen for _, seen in self._seen) if held else len(self._counted)
        new_full = max(0, target - len(self._counted))
        seen_partial = sum(c.peak_s < first for c in self._partials) + len(partial)
        new_partial = max(0, seen_partial - len(self._partials))
        fresh = [(c, False) for c in (full[len(full) - new_full :] if new_full else [])]
        if new_partial:
            fresh += [(c, True) for c in partial[len(partial) - new_partial :]]
        reps = []
        for cycle, is_partial in sorted(fresh, key=lambda item: item[0].peak_s):
            if is_partial and cycle.end_s <= self._ended:
                # a later window's split of movement already published as reps: seen, and
                # not published again (a partial rep counts nothing, so nothing is lost)
                self._partials.append(cycle)
                continue
            self._published_partial += is_partial
            reps.append(self._rep(cycle, now, found.periodicity, is_partial))
        return reps

    def _rep(self, cycle: Cycle, now: float, periodicity: float, partial: bool) -> RepEvent:
        # windows split one movement differently: a cycle a later window found may begin
        # before the last counted one ended; the rep begins there, and turns and ends no
        # earlier (its tempo then says less, its interval never overlaps the last one's)
        start_s = max(cycle.start_s, self._ended)
        turn_s = max(cycle.peak_s, start_s)
        end_s = max(min(cycle.end_s, now), turn_s)
        self._ended = end_s
        (self._partials if partial else self._counted).append(cycle)
        return RepEvent(
            ANY, self.count, now, start_s, end_s, float(np.clip(periodicity, 0.0, 1.0)),
            partial=partial,
            **self.quality.measure(cycle.prominence, start_s, turn_s, end_s),
        )  # fmt: skip


def _partial(cycles: list[Cycle], period_s: float) -> list[bool]:
    """Per cycle: a partial rep, under PARTIAL_RATIO of the typical (median) range and off
    the beat (the peak before or after it nearer than IN_STEP periods)."""
    if not cycles:
        return []
    typical = float(np.median([c.prominence for c in cycles]))
    gaps = np.diff([c.peak_s for c in cycles])
    nearest = np.minimum(np.append(np.inf, gaps), np.append(gaps, np.inf))
    return [
        c.prominence < PARTIAL_RATIO * typical and bool(near < IN_STEP * period_s)
        for c, near in zip(cycles, nearest, strict=True)
    ]
