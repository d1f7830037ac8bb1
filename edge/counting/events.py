"""What counting tells the rest of the program: one event per rep, whichever counter."""

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
