"""Repetition counting with hysteresis (MediaPipe's RepetitionCounter).

A rep is "enter the down pose, then leave it". Two thresholds on the smoothed confidence
of the down class keep noise near one threshold from counting twice: entering needs
confidence above `enter_threshold`, leaving needs it below the lower `exit_threshold`.
"""

from __future__ import annotations


class RepCounter:
    def __init__(self, enter_threshold: float = 6.0, exit_threshold: float = 4.0) -> None:
        if exit_threshold > enter_threshold:
            raise ValueError("exit_threshold must not exceed enter_threshold")
        self.enter_threshold = enter_threshold
        self.exit_threshold = exit_threshold
        self.reset()

    @property
    def count(self) -> int:
        return self._count

    @property
    def entered(self) -> bool:
        """True while the pose is held (the rep is half done)."""
        return self._entered

    def update(self, down_confidence: float) -> bool:
        """Feed one frame's confidence; True on the frame a rep completes.

        As in the reference, the frame that enters cannot also exit."""
        if not self._entered:
            self._entered = down_confidence > self.enter_threshold
            return False
        if down_confidence < self.exit_threshold:
            self._entered = False
            self._count += 1
            return True
        return False

    def reset(self) -> None:
        self._count = 0
        self._entered = False
