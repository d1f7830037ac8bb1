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

A person found anew is also the one already tracked whose face their face lies on (the
face landmarks' median distance under SAME_FACE of the smaller ROI's side, an eighth
of a body height): the detector can read one body twice, its hips somewhere else. A
person lying on the floor beside others was detected again with the hips a body's length
away on the empty floor, the skeleton's head on theirs and its body across the floor
(faces 0.03 to 0.06 of the smaller side apart, ROI centres 0.4 of the larger); for a
few frames the landmark model saw someone there, each time a new id. Two people tracked
for a while whose faces meet as they cross (0.06 at the closest in Pose2Sim's demo, cam03)
are both kept: only a newcomer's first frame is checked.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

import numpy as np

MEMORY_S = 3.0  # how long a lost person's id waits to be matched again
SAME_PERSON = 0.25  # centres this close, in units of the larger ROI's side: one person
COME_BACK = 0.5  # a lost person's centre this close, in the same units: may be them (1 m)
SAME_FACE = 0.1  # a newcomer's face this close to someone's, in the smaller side: them
FACE = slice(0, 11)  # BlazePose's face landmarks: nose, eyes, ears, mouth


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

    def awaited(self, time_s: float) -> bool:
        """Whether someone lost within MEMORY_S of `time_s` may still come back as themselves."""
        return any(0.0 <= time_s - lost.time_s <= self.memory_s for lost in self._lost)

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


def same_face(a: np.ndarray, b: np.ndarray, side: float) -> bool:
    """Whether two people's face landmarks (FACE rows, x and y in pixels) are one face,
    `side` the smaller of their ROIs' sides (see the module's docstring)."""
    gap = np.median(np.hypot(*(np.asarray(a)[FACE, :2] - np.asarray(b)[FACE, :2]).T))
    return bool(gap < SAME_FACE * side)


def _same_face(landmarks: Sequence[np.ndarray], boxes: list[np.ndarray], a: int, b: int) -> bool:
    return same_face(landmarks[a], landmarks[b], min(_side(boxes[a]), _side(boxes[b])))


def duplicates(
    boxes: list[np.ndarray],
    landmarks: Sequence[np.ndarray] | None = None,
    new: Collection[int] = (),
) -> set[int]:
    """Indices of ROI boxes that are the same person as an earlier one: the later of two is
    the duplicate (the backend lists its people oldest first). `landmarks` (pixels, one
    array per box) and `new` (indices of people found on this frame): a new person whose
    face is an earlier one's is a duplicate too."""
    found: set[int] = set()
    for later in range(len(boxes)):
        for earlier in range(later):
            if earlier in found:
                continue
            face = later in new and landmarks is not None
            if same_person(boxes[earlier], boxes[later]) or (
                face and _same_face(landmarks, boxes, earlier, later)
            ):
                found.add(later)
                break
    return found
