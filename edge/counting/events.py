"""What counting tells the rest of the program: one event per rep, whichever counter, and
the counted exercise's phase when it changes."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RepEvent:
    """One rep (or one partial rep) of `exercise`, in stream time.

    A pack's reps come from its k-NN votes (`votes`: the peak smoothed votes for the rep's
    turning state, out of the pack's top-n); pack-free (`any`) reps from the cycles of the
    body's movement (`votes` None). `confidence` is 0..1 for both.
    """

    exercise: str
    count: int  # reps counted so far, this one included (a partial rep leaves it unchanged)
    time_s: float  # when the rep became known: the stream time it is published at
    start_s: float
    end_s: float
    confidence: float
    votes: float | None = None
    partial: bool = False


@dataclass(frozen=True)
class PhaseEvent:
    exercise: str
    phase: str  # a pack's counted state ("down") while held; any: "counting"; else "other"
    time_s: float


@dataclass(frozen=True)
class ExerciseChosen:
    """`auto` has picked the exercise it counts (a pack or any); it carries no message of
    its own: the retained `current` says it."""

    exercise: str
    time_s: float
