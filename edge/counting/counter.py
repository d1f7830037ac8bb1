"""Repetition counting with hysteresis (MediaPipe's RepetitionCounter), plus a minimum hold.

A rep is "enter the down pose, then leave it". Two thresholds on the smoothed confidence
of the down class keep noise near one threshold from counting twice: entering needs
confidence above `enter_threshold`, leaving needs it below the lower `exit_threshold`.

`min_hold_s` (0 = the reference's behaviour) drops a visit to the down state that is left
again sooner than that: a transition pose (getting into position, turning to walk away)
can look like the bottom of a rep for a few frames, while a real bottom is held longer.
"""

from __future__ import annotations


class RepCounter:
    def __init__(
        self, enter_threshold: float = 6.0, exit_threshold: float = 4.0, min_hold_s: float = 0.0
    ) -> None:
        if exit_threshold > enter_threshold:
            raise ValueError("exit_threshold must not exceed enter_threshold")
        if min_hold_s < 0:
            raise ValueError("min_hold_s must not be negative")
        self.enter_threshold = enter_threshold
        self.exit_threshold = exit_threshold
        self.min_hold_s = min_hold_s
        self.reset()

    @property
    def count(self) -> int:
        return self._count

    @property
    def entered(self) -> bool:
        """True while the pose is held (the rep is half done)."""
        return self._entered

    @property
    def too_short(self) -> int:
        """Visits to the down state left before `min_hold_s`: not counted."""
        return self._too_short

    def update(self, down_confidence: float, time_s: float = 0.0) -> bool:
        """Feed one frame's confidence (and its time, for `min_hold_s`); True on the frame
        a rep completes.

        As in the reference, the frame that enters cannot also exit."""
        if not self._entered:
            self._entered = down_confidence > self.enter_threshold
            self._entered_at = time_s
            return False
        if down_confidence < self.exit_threshold:
            self._entered = False
            if time_s - self._entered_at < self.min_hold_s:
                self._too_short += 1
                return False
            self._count += 1
            return True
        return False

    def reset(self) -> None:
        self._count = 0
        self._too_short = 0
        self._entered = False
        self._entered_at = 0.0
