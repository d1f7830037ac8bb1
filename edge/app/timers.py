"""What the kiosk page runs on between two views: where in the routine the teacher is, and
how long the rest since the last set has lasted.

Both are kept in stream time from the typed events and the frames (DeviceState calls
them); a view carries each as seconds at its moment, and the page runs it on by its own
clock until the next view.
"""

from __future__ import annotations


class RoutineClock:
    """The follower's clock as docs/mqtt.md states it: a round starts on the first frame
    with a person while the mode follows, and ends with its summary. The teacher is placed
    at the round's time less the newest move's offset, so a student who runs late sees the
    teacher where they are in the routine. With music (`music`) the teacher stays on the
    music's time: the page plays the music by this clock, from the round's start."""

    def __init__(self) -> None:
        self.start_s: float | None = None
        self.lag_s = 0.0
        self.music = False  # the routine followed has music: no waiting for the student

    def frame(self, t_s: float, present: bool, following: bool) -> bool:
        """Whether a round began on this frame."""
        if present and following and self.start_s is None:
            self.start_s, self.lag_s = t_s, 0.0
            return True
        return False

    def moved(self, offset_ms: float) -> None:
        if not self.music:
            self.lag_s = offset_ms / 1000

    def stop(self) -> None:
        """The round ended (its summary), another routine, or a new stream."""
        self.start_s, self.lag_s = None, 0.0

    def at(self, t_s: float | None) -> float | None:
        """Routine seconds at stream time t_s; None while no round runs."""
        if self.start_s is None or t_s is None:
            return None
        return round(max(t_s - self.start_s - self.lag_s, 0.0), 3)


class RestClock:
    """Resting: from the end of the newest set until the next counted rep."""

    def __init__(self) -> None:
        self.since_s: float | None = None

    def set_ended(self, end_s: float) -> None:
        self.since_s = end_s

    def stop(self) -> None:
        self.since_s = None

    def at(self, t_s: float | None) -> float | None:
        """Seconds of rest at stream time t_s; None while not resting."""
        if self.since_s is None or t_s is None:
            return None
        return round(max(t_s - self.since_s, 0.0), 1)
