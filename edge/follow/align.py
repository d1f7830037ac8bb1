"""Online alignment of a live person to a routine, and a score as each move ends.

The routine's clock starts on the first frame with a person. The student's features are
kept on the routine's frame grid (their stream time since that start, at the routine's fps)
with heights in pixels; a window is put in torso lengths when it is judged, by the median
torso length seen so far. Move k (routine frames a..b) is expected at lag L (frames): the
best of the offsets in [L - BACK_S, L + AHEAD_S] by mean part match, decided as soon as the
student's time reaches b + L + AHEAD_S, so the move's event comes at most BACK_S + AHEAD_S
after the move's end as danced. L is the previous move's offset; for the first move it is
when the student started moving less when the teacher did (a late start), or 0 if the
student has not moved FIRST_S after the first move's end. After the last move a summary,
and the next person starts again.

With music (a routine recorded with --music) the music is the clock: it starts with the
round (the kiosk page plays it from the round's start), so move k is expected at its own
time, lag 0, every move (no onset search, no lag carried on), and its offset is the best
within half a beat either way: the lateness against the beat grid.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

import numpy as np

from edge.features.follow import HEIGHTS, follow_features, torso_length, torso_px
from edge.follow.events import MoveEvent, RoutineSummary
from edge.follow.routine import Routine
from edge.follow.score import motion, move_score, part_match, part_scores, routine_score

AHEAD_S: Final = 0.25  # how much later than expected a move may come
BACK_S: Final = 0.2  # how much earlier
FIRST_S: Final = 4.5  # how long after the first move's end a still student is waited for
STEP_S: Final = 1 / 30  # offsets tried this far apart
ONSET_SPAN_S: Final = 0.25  # motion is measured over this long
ONSET: Final = 0.25  # moving: motion above this share of the teacher's median motion

FollowEvent = MoveEvent | RoutineSummary


@dataclass
class _Round:
    start_s: float
    grid: list[np.ndarray | None] = field(default_factory=list)  # heights in pixels
    torso: list[float] = field(default_factory=list)  # torso lengths seen, pixels
    onset: int | None = None  # the grid frame the student started moving on
    lag: int = 0  # frames: the previous move's offset
    scores: list[float] = field(default_factory=list)
    parts: list[dict[str, float]] = field(default_factory=list)  # each scored move's
    offsets_s: list[float] = field(default_factory=list)


class Follower:
    """push() each frame's landmarks (None: nobody); events come out as moves end."""

    def __init__(self, routine: Routine) -> None:
        self.routine = routine
        self.fps = routine.fps
        self.bounds = [
            (round(m.start_s * self.fps), min(round(m.end_s * self.fps), len(routine.features)))
            for m in routine.moves
        ]
        self.span = max(round(ONSET_SPAN_S * self.fps), 1)
        teacher = motion(routine.features, self.span)
        self.moving = ONSET * float(np.median(teacher))
        self.teacher_onset = _first(teacher > self.moving)
        self._round: _Round | None = None
        self.last_time_s = 0.0
        music = routine.music
        self.half_beat = None if music is None else max(round(music.beat_s / 2 * self.fps), 1)

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
            features = follow_features(landmarks, 1.0, mirror=self.routine.mirror)
            torso = float(torso_px(landmarks))
            if np.isfinite(torso):
                run.torso.append(torso)
        while len(run.grid) < index:  # frames the stream skipped: the last one holds
            run.grid.append(run.grid[-1] if run.grid else None)
        if len(run.grid) == index:
            run.grid.append(features)
            now = len(run.grid) - 1
            if run.onset is None and now > 0:
                ends = self._student(run, max(now - self.span, 0), now + 1)[[0, -1]]
                if motion(ends, 1)[-1] > self.moving:  # as motion() measures the teacher's
                    run.onset = now
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
        while len(run.scores) < len(self.bounds) and len(run.grid) > self.bounds[len(run.scores)][
            0
        ] + self._expected(run):
            events += self._decide(run, self.last_time_s)
        if run.scores and len(run.scores) < len(self.bounds):
            events.append(self._summary(run, self.last_time_s))
        self._round = None
        return events

    def _expected(self, run: _Round) -> int:
        """The lag the next move is expected at (frames)."""
        if self.half_beat is not None:
            return 0  # on the music's clock
        if run.scores:
            return run.lag
        if run.onset is None:
            return 0
        return run.onset - self.teacher_onset

    def _window(self) -> tuple[int, int]:
        """How much earlier and later than expected the next move may come (frames)."""
        if self.half_beat is not None:
            return self.half_beat, self.half_beat
        return round(BACK_S * self.fps), round(AHEAD_S * self.fps)

    def _due(self, run: _Round) -> int:
        end = self.bounds[len(run.scores)][1]
        if not run.scores and run.onset is None and self.half_beat is None:
            return end + round(FIRST_S * self.fps)
        return end + self._expected(run) + self._window()[1]

    def _decide(self, run: _Round, time_s: float) -> list[FollowEvent]:
        k = len(run.scores)
        a, b = self.bounds[k]
        expected = self._expected(run)
        back, ahead = self._window()
        lo = max(expected - back, -a)
        hi = max(expected + ahead, lo)
        step = max(round(STEP_S * self.fps), 1)
        reference = self.routine.features[a:b]
        student = self._student(run, a + lo, b + hi)
        windows = np.lib.stride_tricks.sliding_window_view(student, b - a, axis=0)[::step]
        windows = np.moveaxis(windows, -1, -2)  # (lags, frames, F)
        lags = np.arange(lo, lo + step * len(windows), step)
        i = int(np.argmax(part_match(reference, windows).mean(axis=1)))
        run.lag = int(lags[i])
        parts = part_scores(reference, windows[i])
        offset_s = run.lag / self.fps
        score = move_score(parts, offset_s)
        run.scores.append(score)
        run.parts.append(parts)
        run.offsets_s.append(offset_s)
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
        total = routine_score(run.parts, run.offsets_s, len(self.bounds))
        return RoutineSummary(self.routine.name, total, len(run.scores), time_s)

    def _student(self, run: _Round, start: int, end: int) -> np.ndarray:
        """Grid frames start..end as an array, heights in torso lengths (NaN where not seen
        or not yet there)."""
        width = self.routine.features.shape[1]
        out = np.full((end - start, width), np.nan, np.float32)
        for i in range(max(start, 0), min(end, len(run.grid))):
            if run.grid[i] is not None:
                out[i - start] = run.grid[i]
        out[:, HEIGHTS] /= torso_length(np.asarray(run.torso))
        return out


def _first(flags: np.ndarray) -> int:
    """The index of the first true flag (0 if none)."""
    return int(np.argmax(flags)) if flags.any() else 0
