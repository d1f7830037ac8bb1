"""Online alignment of a live person to a routine, and a score as each move ends.

The routine's clock starts on the first frame with a person. The student's features are
kept on the routine's frame grid (their stream time since that start, at the routine's fps).
Move k (routine frames a..b) is decided once the student's time reaches b + lag + AHEAD_S,
lag being the previous move's offset: the best of the offsets in [lag - BACK_S, lag + AHEAD_S]
(for the first move, [-AHEAD_S, FIRST_S]: a late start) by mean similarity, less a small
cost per second away from the previous lag, so that tempo drift and a short stop are
followed move by move. After the last move a summary, and the next person starts again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

import numpy as np

from edge.features.follow import follow_features
from edge.follow.events import MoveEvent, RoutineSummary
from edge.follow.routine import Routine
from edge.follow.score import move_score, part_match, part_scores, view_scales

AHEAD_S: Final = 0.5  # how late a move may be against the last one; also the event's delay
BACK_S: Final = 1.0  # how early
FIRST_S: Final = 4.5  # how late the first move may start
STEP_S: Final = 1 / 30  # offsets tried this far apart
DRIFT_COST: Final = 0.02  # similarity lost per second away from the previous lag (choice only)

FollowEvent = MoveEvent | RoutineSummary


@dataclass
class _Round:
    start_s: float
    grid: list[np.ndarray | None] = field(default_factory=list)
    lag: int = 0  # frames: the previous move's offset
    scores: list[float] = field(default_factory=list)


class Follower:
    """push() each frame's landmarks (None: nobody); events come out as moves end."""

    def __init__(self, routine: Routine) -> None:
        self.routine = routine
        self.fps = routine.fps
        self.bounds = [
            (round(m.start_s * self.fps), min(round(m.end_s * self.fps), len(routine.features)))
            for m in routine.moves
        ]
        self._round: _Round | None = None
        self.last_time_s = 0.0

    @property
    def move(self) -> int | None:
        """The index of the move being danced now (None: no round under way)."""
        if self._round is None:
            return None
        return min(len(self._round.scores), len(self.bounds) - 1)

    def reset(self) -> None:
        self._round = None

    def push(self, landmarks: np.ndarray | None, time_s: float) -> list[FollowEvent]:
        self.last_time_s = time_s
        if self._round is None:
            if landmarks is None:
                return []
            self._round = _Round(time_s)
        run = self._round
        index = round((time_s - run.start_s) * self.fps)
        features = None
        if landmarks is not None:
            features = follow_features(landmarks, mirror=self.routine.mirror)
        while len(run.grid) < index:  # frames the stream skipped: the last one holds
            run.grid.append(run.grid[-1] if run.grid else None)
        if len(run.grid) == index:
            run.grid.append(features)
        events: list[FollowEvent] = []
        while len(run.scores) < len(self.bounds) and len(run.grid) > self._due(run):
            events += self._decide(run, time_s)
        return events

    def finish(self) -> list[FollowEvent]:
        """The stream ended: moves it reached are decided on what was seen."""
        run = self._round
        events: list[FollowEvent] = []
        if run is None:
            return events
        while (
            len(run.scores) < len(self.bounds)
            and len(run.grid) > self.bounds[len(run.scores)][0] + run.lag
        ):
            events += self._decide(run, self.last_time_s)
        if run.scores and len(run.scores) < len(self.bounds):
            events.append(self._summary(run, self.last_time_s))
        self._round = None
        return events

    def _due(self, run: _Round) -> int:
        end = self.bounds[len(run.scores)][1]
        if not run.scores:
            return end + round(FIRST_S * self.fps)
        return end + run.lag + round(AHEAD_S * self.fps)

    def _decide(self, run: _Round, time_s: float) -> list[FollowEvent]:
        k = len(run.scores)
        a, b = self.bounds[k]
        if k == 0:
            lo, hi = -round(AHEAD_S * self.fps), round(FIRST_S * self.fps)
        else:
            lo, hi = run.lag - round(BACK_S * self.fps), run.lag + round(AHEAD_S * self.fps)
        lo = max(lo, -a)
        step = max(round(STEP_S * self.fps), 1)
        reference = self.routine.features[a:b]
        student = self._student(run, a + lo, b + hi)
        windows = np.lib.stride_tricks.sliding_window_view(student, b - a, axis=0)[::step]
        windows = np.moveaxis(windows, -1, -2)  # (lags, frames, F)
        lags = np.arange(lo, lo + step * len(windows), step)
        drift = DRIFT_COST * np.abs(lags - run.lag) / self.fps
        best: tuple[float, int, np.ndarray] | None = None  # (value, lag index, view)
        for view in view_scales(student.shape[1]):
            values = part_match(reference, windows * view).mean(axis=1) - drift
            i = int(np.argmax(values))
            if best is None or values[i] > best[0]:
                best = (float(values[i]), i, view)
        assert best is not None
        _, i, view = best
        lag = int(lags[i])
        run.lag = lag
        chosen = windows[i] * view
        parts = part_scores(reference, chosen)
        offset_s = lag / self.fps
        score = move_score(parts, offset_s)
        run.scores.append(score)
        move = self.routine.moves[k]
        event = MoveEvent(
            self.routine.name, k, move.name, score, 1000 * offset_s, parts,
            min(parts, key=parts.__getitem__), time_s,
        )  # fmt: skip
        events: list[FollowEvent] = [event]
        if len(run.scores) == len(self.bounds):
            events.append(self._summary(run, time_s))
            self._round = None
        return events

    def _summary(self, run: _Round, time_s: float) -> RoutineSummary:
        # moves never reached score 0: a routine left halfway is not a good routine
        total = sum(run.scores) / len(self.bounds)
        return RoutineSummary(self.routine.name, total, len(run.scores), time_s)

    def _student(self, run: _Round, start: int, end: int) -> np.ndarray:
        """Grid frames start..end as an array (NaN where not seen or not yet there)."""
        width = self.routine.features.shape[1]
        out = np.full((end - start, width), np.nan, np.float32)
        for i in range(max(start, 0), min(end, len(run.grid))):
            if run.grid[i] is not None:
                out[i - start] = run.grid[i]
        return out
