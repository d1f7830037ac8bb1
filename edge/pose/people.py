"""Who is who: stable person ids for the people the pose backend tracks.

While the landmark model follows a person from frame to frame (each person has their own
tracked ROI), that person keeps their id. This module decides the id of a person the
detector finds anew:

- a person lost a moment ago (within MEMORY_S) whose last box overlaps the new one by at
  least MIN_IOU gets their old id back (someone who sat down out of view, or whom the
  landmark model dropped for a few frames);
- anyone else gets a new id, never one handed out before in this session.

With room for one person the id is always 0, as it was before several people were
tracked: whoever stands in front of a one-person kiosk is that kiosk's person.

A second job: two tracked ROIs that slide onto the same body (people crossing) would count
one person twice. `overlapping` finds them so the backend keeps the older id only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MEMORY_S = 3.0  # how long a lost person's id waits to be matched again
MIN_IOU = 0.3  # a returning person's new box must overlap their last one this much
SAME_PERSON_IOU = 0.5  # two ROIs overlapping more than this are one person


def box_iou(a: np.ndarray, b: np.ndarray) -> float:
    """Intersection over union of two [x0, y0, x1, y1] boxes (0 when either is empty)."""
    width = min(a[2], b[2]) - max(a[0], b[0])
    height = min(a[3], b[3]) - max(a[1], b[1])
    if width <= 0 or height <= 0:
        return 0.0
    inter = width * height
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return float(inter / union) if union > 0 else 0.0


@dataclass
class _Lost:
    person: int
    box: np.ndarray
    time_s: float


class PersonIds:
    """Hands out person ids; `lose` remembers where a person was last seen."""

    def __init__(self, max_people: int = 1, memory_s: float = MEMORY_S) -> None:
        self.max_people = max_people
        self.memory_s = memory_s
        self._next = 0
        self._lost: list[_Lost] = []

    def start(self, box: np.ndarray, time_s: float) -> int:
        """The id of a person found at `box` (pixels) at `time_s`, not tracked before."""
        if self.max_people == 1:
            return 0
        self._forget_before(time_s)
        scored = [(box_iou(box, lost.box), lost) for lost in self._lost]
        best = max(scored, key=lambda pair: pair[0], default=(0.0, None))
        if best[1] is not None and best[0] >= MIN_IOU:
            self._lost.remove(best[1])
            return best[1].person
        person, self._next = self._next, self._next + 1
        return person

    def lose(self, person: int, box: np.ndarray, time_s: float) -> None:
        """`person` is no longer tracked; their last box was `box`."""
        self._lost = [lost for lost in self._lost if lost.person != person]
        self._lost.append(_Lost(person, np.asarray(box, np.float64), time_s))

    def reset(self) -> None:
        """A new stream: nobody is waiting to come back. Ids already given stay used."""
        self._lost.clear()

    def _forget_before(self, time_s: float) -> None:
        # A clock that went backwards (a new stream) also forgets.
        self._lost = [lost for lost in self._lost if 0.0 <= time_s - lost.time_s <= self.memory_s]


def overlapping(boxes: list[np.ndarray]) -> set[int]:
    """Indices of boxes that cover an earlier box by more than SAME_PERSON_IOU: the later
    of two is the duplicate (the backend lists its people oldest first)."""
    duplicates: set[int] = set()
    for later in range(len(boxes)):
        for earlier in range(later):
            if earlier in duplicates:
                continue
            if box_iou(boxes[earlier], boxes[later]) > SAME_PERSON_IOU:
                duplicates.add(later)
                break
    return duplicates
