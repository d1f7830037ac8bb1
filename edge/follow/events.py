"""What following a routine says: a move's score as each move ends, a summary at the end."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class MoveEvent:
    """One move of the routine, scored: score and parts 0..100, offset_ms + = late."""

    routine: str
    index: int
    name: str
    score: float
    offset_ms: float
    parts: dict[str, float]
    worst: str
    time_s: float  # the stream time it was decided at
    person: int = 0  # who danced it: the pose tracker's id

    def as_json(self) -> dict:
        return {
            "move": self.index, "name": self.name, "score": round(self.score, 1),
            "offset_ms": round(self.offset_ms), "worst": self.worst,
            "parts": {part: round(value, 1) for part, value in self.parts.items()},
        }  # fmt: skip


@dataclass(frozen=True)
class RoutineSummary:
    """The routine as a whole: its worst part over the moves (edge/follow/score.py
    routine_score)."""

    routine: str
    score: float
    moves: int
    time_s: float
    person: int = 0

    def as_json(self) -> dict:
        return {"summary": True, "score": round(self.score, 1), "moves": self.moves}
