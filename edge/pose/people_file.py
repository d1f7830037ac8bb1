"""Everyone's keypoints in one `dancepose pose` npz, beside the one-person keys.

The file keeps every key a one-person reader knows (edge/keypoints_io.py: `landmarks`,
`world`, `present` = the main person, the one found on the most frames; `fps`, `width`,
`height`, `source`, `backend`) and adds every person's track:

    people            (P,) int32        the person ids, ascending
    people_landmarks  (P, T, 33, 4)     float32, as `landmarks`, NaN where not found
    people_world      (P, T, 33, 3)     float32, as `world`
    people_present    (P, T)            bool, as `present`

A file without `people` (an older one, or another tool's) reads as one person, id 0.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from edge.keypoints_io import KeypointFileError, load_keypoints, npz_arrays
from edge.pose.result import KeypointTrack, PeopleTracks
from edge.skeleton import NUM_LANDMARKS

PEOPLE_KEYS = ("people", "people_landmarks", "people_world", "people_present")


def save_people_npz(people: PeopleTracks, path: Path) -> None:
    """Write the main track's keys and every person's to exactly `path`."""
    main = people.main
    ids = sorted(people.tracks)
    frames = main.num_frames
    stack = [people.tracks[i] for i in ids]
    with Path(path).open("wb") as handle:
        np.savez_compressed(
            handle, **npz_arrays(main),
            people=np.array(ids, np.int32),
            people_landmarks=np.array(
                [t.landmarks for t in stack], np.float32).reshape(-1, frames, NUM_LANDMARKS, 4),
            people_world=np.array(
                [t.world for t in stack], np.float32).reshape(-1, frames, NUM_LANDMARKS, 3),
            people_present=np.array([t.present for t in stack], bool).reshape(-1, frames),
        )  # fmt: skip


def load_people_npz(path: Path) -> PeopleTracks:
    """Every person in a `dancepose pose` npz; a one-person file is person 0."""
    main = load_keypoints(path)
    empty = KeypointTrack(
        np.full_like(main.landmarks, np.nan), np.full_like(main.world, np.nan),
        np.zeros_like(main.present), main.fps, main.width, main.height, main.source, main.backend,
    )  # fmt: skip
    with np.load(path, allow_pickle=False) as data:
        if "people" not in data.files:
            return PeopleTracks({0: main} if main.present.any() else {}, empty)
        missing = [key for key in PEOPLE_KEYS if key not in data.files]
        if missing:
            raise KeypointFileError(f"keypoints file {path}: has people but not {missing}")
        ids, landmarks = data["people"], data["people_landmarks"]
        world, present = data["people_world"], data["people_present"]
    tracks = {}
    for row, person in enumerate(ids.tolist()):
        try:
            tracks[int(person)] = KeypointTrack(
                landmarks[row].astype(np.float32), world[row].astype(np.float32),
                present[row].astype(bool), main.fps, main.width, main.height,
                main.source, main.backend,
            )  # fmt: skip
        except (ValueError, IndexError) as exc:
            raise KeypointFileError(f"keypoints file {path}: person {person}: {exc}") from exc
    return PeopleTracks(tracks, empty)
