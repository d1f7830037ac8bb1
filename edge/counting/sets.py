"""Sets and rest: the reps a counter publishes, grouped into sets.

A set ends once no rep has ended for REST_PERIODS times the set's pace (the median time
between its reps' ends; its one rep's duration while it has one) or MIN_REST_S, whichever
is longer, or when the stream ends. Then a SetEvent gives its reps, its partial reps, its
times, the rest before it, and the mean tempo and range of its counted reps. Partial reps
belong to the set under way and do not keep it open. A reset starts from set 1 again;
the set under way then is dropped, as its reps are.
"""

from __future__ import annotations

import itertools
import statistics

from edge.counting.events import RepEvent, SetEvent

REST_PERIODS = 3.0
MIN_REST_S = 8.0


class SetTracker:
    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.number = 0  # sets ended since the reset
        self._reps: list[RepEvent] = []  # the set under way's counted reps
        self._partial = 0
        self._last_end_s: float | None = None  # when the last set ended

    def rest_after_s(self) -> float | None:
        """How long after its last rep the set under way ends; None when there is none."""
        if not self._reps:
            return None
        ends = [r.end_s for r in self._reps]
        pace = (
            statistics.median(b - a for a, b in itertools.pairwise(ends))
            if len(ends) > 1
            else self._reps[0].end_s - self._reps[0].start_s
        )
        return max(REST_PERIODS * pace, MIN_REST_S)

    def update(self, reps: list[RepEvent], time_s: float) -> SetEvent | None:
        """This frame's published reps; the set that ended, if one did."""
        ended = None
        for rep in reps:
            if not rep.partial:
                rest = self.rest_after_s()
                if rest is not None and rep.end_s - self._reps[-1].end_s > rest:
                    ended = self._close(rep.time_s)
                self._reps.append(rep)
            elif self._reps:
                self._partial += 1
        rest = self.rest_after_s()
        if ended is None and rest is not None and time_s - self._reps[-1].end_s > rest:
            ended = self._close(time_s)
        return ended

    def finish(self, time_s: float) -> SetEvent | None:
        """The stream has ended: the set under way ends with it."""
        return self._close(time_s) if self._reps else None

    def _close(self, time_s: float) -> SetEvent:
        reps, self._reps = self._reps, []
        partial, self._partial = self._partial, 0
        self.number += 1
        rest = None if self._last_end_s is None else reps[0].start_s - self._last_end_s
        self._last_end_s = reps[-1].end_s

        def mean(values: list[float | None]) -> float | None:
            known = [v for v in values if v is not None]
            return statistics.fmean(known) if known else None

        return SetEvent(
            reps[-1].exercise, self.number, len(reps), partial, reps[0].start_s,
            reps[-1].end_s, time_s, rest, mean([r.down_s for r in reps]),
            mean([r.up_s for r in reps]), mean([r.range for r in reps]),
        )  # fmt: skip
