"""Who is who: stable person ids for the people the pose backend tracks.

While the landmark model follows a person from frame to frame (each person has their own
tracked ROI), that person keeps their id. This module decides the id of a person the
detector finds anew:

- a person lost a moment ago (within MEMORY_S) whose last box's centre is within COME_BACK
  of a side (the larger of the two boxes') from the new box's centre gets their old id
  back, the nearest such person first, unless a person still tracked is nearer to the new
  box than they are (that one's neighbour, not them). Someone who sat down out of view, or
  whom the landmark model dropped for a few frames: the detector's ROI of a person is often
  half or twice the size of the one tracking ended with, so overlap would miss them, and
  it is centred elsewhere on the body (a close-up person's ROI shrinks onto the upper body
  while tracked and the detector's is the whole body again: its centre half the old side
  lower, outside the old box); how far they are in units of their size does not;
- anyone else gets a new id, never one handed out before in this session.

With room for one person the id is always 0, as it was before several people were
tracked: whoever stands in front of a one-person kiosk is that kiosk's person.

A second job: deciding that two ROIs are one person (`same_person`): a detection of
someone already tracked, or two tracked ROIs that slid onto one body (people crossing),
which would count one person twice; `duplicates` finds the latter so the backend keeps the
older id only. The ROI's centre is the hip centre and its side about 1.25 body heights:
two ROIs whose centres are closer than SAME_PERSON of the larger side (half a metre) are
one person. Overlap would not do: the detector's ROI of a person is often half or twice the
tracked one (IoU under 0.5 for one body), while two people side by side a metre apart
overlap by more than that.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

MEMORY_S = 3.0  # how long a lost person's id waits to be matched again
SAME_PERSON = 0.25  # centres this close, in units of the larger ROI's side: one person
COME_BACK = 0.5  # a lost person's centre this close, in the same units: may be them (1 m)


def same_person(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether two [x0, y0, x1, y1] ROI boxes are one person (see the module's docstring)."""
    side = max(a[2] - a[0], a[3] - a[1], b[2] - b[0], b[3] - b[1])
    return _distance(a, (np.asarray(b[:2]) + np.asarray(b[2:])) / 2.0) < SAME_PERSON * side


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

    def start(self, box: np.ndarray, time_s: float, tracked: Sequence[np.ndarray] = ()) -> int:
        """The id of a person found at `box` (pixels) at `time_s`, not tracked before;
        `tracked`: the boxes of the people tracked now."""
        if self.max_people == 1:
            return 0
        self._forget_before(time_s)
        box = np.asarray(box, np.float64)
        centre = (box[:2] + box[2:]) / 2.0
        near = [lost for lost in self._lost if _come_back(lost.box, box)]
        if near:
            nearest = min(near, key=lambda lost: _distance(lost.box, centre))
            if all(_distance(nearest.box, centre) <= _distance(other, centre) for other in tracked):
                self._lost.remove(nearest)
                return nearest.person
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


def _side(box: np.ndarray) -> float:
    return float(max(box[2] - box[0], box[3] - box[1]))


def _come_back(lost: np.ndarray, box: np.ndarray) -> bool:
    """Whether `box` is near enough to a person's last box `lost` to be them."""
    centre = (box[:2] + box[2:]) / 2.0
    return _distance(lost, centre) < COME_BACK * max(_side(lost), _side(box))


def _distance(box: np.ndarray, point: np.ndarray) -> float:
    return float(np.hypot(*((box[:2] + box[2:]) / 2.0 - point)))


def duplicates(boxes: list[np.ndarray]) -> set[int]:
    """Indices of ROI boxes that are the same person as an earlier one: the later of two is
    the duplicate (the backend lists its people oldest first)."""
    found: set[int] = set()
    for later in range(len(boxes)):
        for earlier in range(later):
            if earlier not in found and same_person(boxes[earlier], boxes[later]):
                found.add(later)
                break
    return found
