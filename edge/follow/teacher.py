"""The teacher's skeleton as the kiosk page draws it beside the student: pose.npy in a
routine folder.

    pose.npy   (frames, 33, 2) float32: each routine frame's landmarks, x and y in the
               teacher's median torso length, around the median mid-hip of the clip (so a
               step across the floor or a jump still shows); NaN where a joint was not seen
               (also where the pose model placed it outside the picture: a guess)

The file is optional and read apart from the routine (edge/follow/routine.py): a routine
recorded without it still loads and is followed as before; the page then draws no teacher.
Scoring never reads it.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Final

import numpy as np

from edge.pose.result import KeypointTrack
from edge.skeleton import JOINT, NUM_LANDMARKS

FILE: Final = "pose.npy"


def drawn_pose(track: KeypointTrack) -> np.ndarray:
    """(frames, 33, 2): the track in the teacher's size around the teacher's place; a
    frame without the teacher repeats the last one seen (the first before it)."""
    xy = np.asarray(track.landmarks, np.float64)[..., :2].copy()
    xy[~track.present] = np.nan
    with np.errstate(invalid="ignore"):
        outside = (xy < 0).any(axis=-1) | (xy[..., 0] > track.width) | (xy[..., 1] > track.height)
    xy[outside] = np.nan
    hips = (xy[:, JOINT["left_hip"]] + xy[:, JOINT["right_hip"]]) / 2
    shoulders = (xy[:, JOINT["left_shoulder"]] + xy[:, JOINT["right_shoulder"]]) / 2
    torso = np.linalg.norm(shoulders - hips, axis=-1)
    seen = np.isfinite(torso) & (torso > 0)
    if not seen.any():
        return np.full((len(xy), NUM_LANDMARKS, 2), np.nan, np.float32)
    centre = np.median(hips[seen], axis=0)
    pose = (xy - centre) / float(np.median(torso[seen]))
    last = int(np.flatnonzero(seen)[0])
    for i in range(len(pose)):  # hold the last seen frame where the teacher is not seen
        if seen[i]:
            last = i
        else:
            pose[i] = pose[last]
    return pose.astype(np.float32)


def save(folder: Path, pose: np.ndarray) -> None:
    """Into a routine folder, whole or not at all."""
    folder = Path(folder)
    handle, temporary = tempfile.mkstemp(prefix=".pose.", suffix=".npy", dir=folder)
    try:
        with os.fdopen(handle, "wb") as out:
            np.save(out, np.asarray(pose, np.float32))
        os.chmod(temporary, 0o644)  # as the routine's other files (mkstemp makes it 0600)
        os.replace(temporary, folder / FILE)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


def load(folder: Path, frames: int) -> np.ndarray | None:
    """The routine's drawn pose, or None where it has none (recorded before it was kept)
    or one that does not fit its `frames` (then the page draws no teacher)."""
    try:
        pose = np.load(Path(folder) / FILE, allow_pickle=False)
    except (OSError, ValueError):
        return None
    if pose.shape != (frames, NUM_LANDMARKS, 2):
        return None
    return pose
