"""A scored move in one line for the kiosk page: which part to work on, and the timing.

"right leg: low match", "0.4 s late", both ("left arm: low match · 0.4 s late"), or
"well done". A part is named when it scored under LOW_MATCH; the timing when the move came
further off than the score's grace (edge/follow/score.py LATE_GRACE_S).
"""

from __future__ import annotations

from typing import Final

from edge.follow.events import MoveEvent
from edge.follow.score import LATE_GRACE_S

# A part scoring under this (0..100) is named. docs/bench/follow.md: a right follow's move scores
# a median 64 (its worst part), a wrong follow's 0-20; 40 lies between, so a good move is not
# told it matched badly.
LOW_MATCH: Final = 40.0
SEPARATOR: Final = " · "


def move_hint(move: MoveEvent) -> str:
    said = []
    if move.parts.get(move.worst, 100.0) < LOW_MATCH:
        said.append(f"{move.worst.replace('_', ' ')}: low match")
    offset_s = move.offset_ms / 1000
    if abs(offset_s) > LATE_GRACE_S:
        said.append(f"{abs(offset_s):.1f} s {'late' if offset_s > 0 else 'early'}")
    return SEPARATOR.join(said) or "well done"
