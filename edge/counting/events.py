"""What counting tells the rest of the program: one event per rep, whichever counter, and
the counted exercise's phase when it changes."""

from __future__ import annotations

from dataclasses import dataclass

from edge.counting.cycles import MIN_PERIOD_S


@dataclass(frozen=True)
class RepEvent:
    """One rep (or one partial rep) of `exercise`, in stream time.

    A pack's reps come from its k-NN votes (`votes`: the peak smoothed votes for the rep's
    turning state, out of the pack's top-n); pack-free (`any`) reps from the cycles of the
    body's movement (`votes` None). `confidence` is 0..1 for both.

    How the rep went (RepQuality, None where a counter did not measure it): `down_s` to
    its turning point, `up_s` from there to its end (any: from start_s through the cycle's
    peak to end_s; a pack: timed on the body, from leaving its top to reaching its bottom
    and on to end_s less the smoothing's lag, edge/counting/tracker.py); `range` its range
    of motion over the best rep's since the count was reset (a pack: the body's travel;
    any: the cycle's prominence), 0..1;
    `velocity_loss` how much slower it moved than the fastest rep since the reset (range
    over duration), 0..1.
    """

    exercise: str
    count: int  # reps counted so far, this one included (a partial rep leaves it unchanged)
    time_s: float  # when the rep became known: the stream time it is published at
    start_s: float
    end_s: float
    confidence: float
    votes: float | None = None
    partial: bool = False
    down_s: float | None = None
    up_s: float | None = None
    range: float | None = None
    velocity_loss: float | None = None
    person: int = 0  # whose rep: the pose tracker's id (edge/pose/result.py PoseResult)


class RepQuality:
    """Range of motion and speed of each rep, relative to the best since `reset`: one
    rule for every counter."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self._best_range = self._best_speed = 0.0

    def measure(
        self, extent: float | None, start_s: float, turn_s: float, end_s: float
    ) -> dict[str, float | None]:
        """RepEvent's quality fields for a rep of `extent` (any unit, larger: deeper;
        None: not measured, so no range and no velocity loss).

        A rep shorter than MIN_PERIOD_S is not timed (no tempo, no velocity loss): its
        interval was cut short by the reps published before it (a later window counted a
        cycle that earlier windows had split differently), and its speed, range over almost
        no time, would become the set's best and every later rep's loss near 100%."""
        extent = None if extent is None else max(float(extent), 0.0)
        if extent is not None:
            self._best_range = max(self._best_range, extent)
        share = extent / self._best_range if extent is not None and self._best_range > 0 else None
        if end_s - start_s < MIN_PERIOD_S:
            return {"down_s": None, "up_s": None, "range": share, "velocity_loss": None}
        tempo = {"down_s": max(turn_s - start_s, 0.0), "up_s": max(end_s - turn_s, 0.0)}
        if extent is None:
            return {**tempo, "range": None, "velocity_loss": None}
        speed = extent / (end_s - start_s)
        self._best_speed = max(self._best_speed, speed)
        return {
            **tempo,
            "range": share,
            "velocity_loss": 1.0 - speed / self._best_speed if self._best_speed > 0 else None,
        }


@dataclass(frozen=True)
class SetEvent:
    """A set has ended (edge/counting/sets.py says when): its reps and how they went."""

    exercise: str
    number: int  # sets since the count was reset, this one included
    reps: int
    partial: int
    start_s: float  # its first rep's start
    end_s: float  # its last rep's end
    time_s: float  # when it was known to have ended
    rest_s: float | None  # the rest before it (since the last set's end); None: the first
    mean_down_s: float | None
    mean_up_s: float | None
    mean_range: float | None
    person: int = 0  # whose set


@dataclass(frozen=True)
class HoldEvent:
    """A hold (a hold pack's pose kept still, edge/counting/hold.py) lasting: one per whole
    second once it has lasted the pack's hold.min_s, and one when it ends (`ended`)."""

    exercise: str
    number: int  # holds since the count was reset, this one included
    seconds: int  # whole seconds held so far
    held_s: float  # held so far (ended: in all): end_s - start_s
    start_s: float  # when the pose was entered
    end_s: float  # the last frame it was held
    time_s: float  # when this became known
    ended: bool = False
    person: int = 0  # whose hold


@dataclass(frozen=True)
class PhaseEvent:
    exercise: str
    phase: str  # a pack's counted state ("down") while held; any: "counting"; else "other"
    time_s: float
    person: int = 0


@dataclass(frozen=True)
class ExerciseChosen:
    """`auto` has picked the exercise it counts (a pack or any); it carries no message of
    its own: the retained `current` says it."""

    exercise: str
    time_s: float
    person: int = 0
