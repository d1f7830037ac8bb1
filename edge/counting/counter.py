"""Repetition counting with hysteresis (MediaPipe's RepetitionCounter), plus partial reps.

A rep is "enter the down pose, then leave it". Two thresholds on the smoothed confidence
of the down class keep noise near one threshold from counting twice: entering needs
confidence above `enter_threshold`, leaving needs it below the lower `exit_threshold`.

A partial rep is a cycle (the confidence rises from below `exit_threshold` and falls back
below it) whose range of motion, read as its peak confidence, is well below the session's
typical rep: the median peak of the last TYPICAL_REPS counted reps. Once a rep has been
counted (so there is a typical rep to fall short of), a cycle is partial when
- it reached `partial_threshold` (default: midway between exit and enter) but never
  passed `enter_threshold`, or
- it passed `enter_threshold` but peaked below enter + SHORT_OF_TYPICAL x (typical peak
  - enter): it barely touched the down state the session's reps go deep into.
It is reported, not counted. Peaks scale neither with the frame rate nor with the pace
(real reps peaked 7.7-10 of 10 at 1x-3x speed), unlike how long the bottom is held.

`min_hold_s` (default 0, the reference's behaviour; the shipped packs use 0) drops a visit
to the down state that is left again sooner than that. A fixed hold rejects every rep
faster than it (push-ups at one a second have ~0.3 s bottoms), so it is only an opt-in.
"""

from __future__ import annotations

import statistics
from collections import deque
from enum import Enum

# The default thresholds on the smoothed votes of the down class (a pack may set its own):
# of the reference's 10 nearest samples, more than 6 enter the pose, fewer than 4 leave it.
ENTER_THRESHOLD = 6.0
EXIT_THRESHOLD = 4.0
TYPICAL_REPS = 5  # the typical rep: the median peak of this many latest counted reps
SHORT_OF_TYPICAL = 1 / 3  # a peak below this share of the way enter -> typical is partial


class Step(Enum):
    """What one frame completed."""

    NONE = "none"
    REP = "rep"
    PARTIAL = "partial"


class RepCounter:
    def __init__(
        self, enter_threshold: float = ENTER_THRESHOLD, exit_threshold: float = EXIT_THRESHOLD,
        min_hold_s: float = 0.0,
        partial_threshold: float | None = None,
    ) -> None:  # fmt: skip
        if exit_threshold > enter_threshold:
            raise ValueError("exit_threshold must not exceed enter_threshold")
        if min_hold_s < 0:
            raise ValueError("min_hold_s must not be negative")
        if partial_threshold is None:
            partial_threshold = (enter_threshold + exit_threshold) / 2
        if not exit_threshold <= partial_threshold <= enter_threshold:
            raise ValueError("partial_threshold must lie between exit and enter thresholds")
        self.enter_threshold = enter_threshold
        self.exit_threshold = exit_threshold
        self.min_hold_s = min_hold_s
        self.partial_threshold = partial_threshold
        self.reset()

    @property
    def count(self) -> int:
        return self._count

    @property
    def partial(self) -> int:
        """Partial reps reported so far (not in `count`)."""
        return self._partial

    @property
    def entered(self) -> bool:
        """True while the pose is held (the rep is half done)."""
        return self._entered

    @property
    def too_short(self) -> int:
        """Visits to the down state left before `min_hold_s`: not counted."""
        return self._too_short

    @property
    def depth(self) -> float:
        """The peak confidence of the cycle the latest REP or PARTIAL step completed."""
        return self._depth

    @property
    def typical_peak(self) -> float | None:
        """The session's typical rep, as its peak confidence; None before the first rep."""
        return statistics.median(self._peaks) if self._peaks else None

    def update(self, down_confidence: float, time_s: float = 0.0) -> Step:
        """Feed one frame's confidence (and its time, for `min_hold_s`); what it completed.

        As in the reference, the frame that enters cannot also exit."""
        self._peak = max(self._peak, down_confidence)
        if not self._entered:
            if down_confidence > self.enter_threshold:
                self._entered, self._entered_at = True, time_s
                return Step.NONE
            if down_confidence >= self.exit_threshold:
                return Step.NONE
            reached, self._peak = self._peak, down_confidence  # a cycle ends below exit
            if self._count and reached >= self.partial_threshold:
                return self._partial_rep(reached)
            return Step.NONE
        if down_confidence >= self.exit_threshold:
            return Step.NONE
        self._entered = False
        peak, self._peak = self._peak, down_confidence
        typical = self.typical_peak
        enter = self.enter_threshold
        if typical is not None and peak < enter + SHORT_OF_TYPICAL * (typical - enter):
            return self._partial_rep(peak)
        if time_s - self._entered_at < self.min_hold_s:
            self._too_short += 1
            return Step.NONE
        self._count += 1
        self._peaks.append(peak)
        self._depth = peak
        return Step.REP

    def _partial_rep(self, depth: float) -> Step:
        self._partial += 1
        self._depth = depth
        return Step.PARTIAL

    def interrupt(self) -> None:
        """The frames stop following on (a pause, a new source): a half-done rep is dropped,
        the counts stay."""
        self._entered = False
        self._peak = 0.0

    def reset(self) -> None:
        self._count = self._partial = self._too_short = 0
        self._entered = False
        self._entered_at = self._peak = self._depth = 0.0
        self._peaks: deque[float] = deque(maxlen=TYPICAL_REPS)
