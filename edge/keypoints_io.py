"""Keypoint files, read and written in one place.

Formats: our npz (what `dancepose pose` writes), MediaPipe's pose-classification CSV,
COCO-17 arrays (AIST++), and OpenPose BODY_25 JSON. Whatever comes in leaves as a
`KeypointTrack` in the BlazePose-33 layout (edge.skeleton), so every consumer reads one
shape: joints a format lacks are NaN.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from edge.pose.result import PoseResult
from edge.skeleton import to_blazepose

NUM_JOINTS = 33
NPZ_KEYS = ("landmarks", "world", "present", "fps", "width", "height")


class KeypointFileError(ValueError):
    """A keypoint file is missing, malformed or of an unknown kind; says which and why."""


@dataclass(frozen=True)
class KeypointTrack:
    """One person's keypoints over a clip.

    landmarks (T, 33, 4): x, y, z in pixels, visibility; NaN rows where nobody was found.
    world (T, 33, 3): metres (NaN when the source has no world landmarks).
    present (T,): whether a person was found on that frame.
    """

    landmarks: np.ndarray
    world: np.ndarray
    present: np.ndarray
    fps: float
    width: int
    height: int
    source: str = ""
    backend: str = ""

    @property
    def num_frames(self) -> int:
        return int(self.landmarks.shape[0])

    @property
    def times_s(self) -> np.ndarray:
        return np.arange(self.num_frames) / self.fps

    @classmethod
    def from_results(
        cls, results: Sequence[PoseResult | None], fps: float, width: int, height: int,
        source: str = "", backend: str = "",
    ) -> KeypointTrack:  # fmt: skip
        landmarks = np.full((len(results), NUM_JOINTS, 4), np.nan, np.float32)
        world = np.full((len(results), NUM_JOINTS, 3), np.nan, np.float32)
        for i, result in enumerate(results):
            if result is not None:
                landmarks[i], world[i] = result.landmarks, result.world
        present = np.array([r is not None for r in results], dtype=bool)
        return cls(landmarks, world, present, float(fps), int(width), int(height), source, backend)


def save_npz(track: KeypointTrack, path: Path) -> None:
    np.savez_compressed(
        path, landmarks=track.landmarks.astype(np.float32), world=track.world.astype(np.float32),
        present=track.present.astype(bool), fps=np.float64(track.fps), width=np.int32(track.width),
        height=np.int32(track.height), source=np.str_(track.source), backend=np.str_(track.backend),
    )  # fmt: skip


def load_npz(path: Path) -> KeypointTrack:
    """Read a `dancepose pose` npz, checking every key and shape."""
    path = Path(path)
    what = f"keypoints file {path}"
    try:
        data = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise KeypointFileError(f"{what}: not a readable npz ({exc})") from exc
    with data:
        for key in NPZ_KEYS:
            if key not in data.files:
                raise KeypointFileError(
                    f"{what}: missing key {key!r} (expected an npz written by `dancepose pose`)"
                )
        landmarks, world, present = data["landmarks"], data["world"], data["present"]
        frames = landmarks.shape[0] if landmarks.ndim == 3 else -1
        if landmarks.shape != (frames, NUM_JOINTS, 4):
            raise KeypointFileError(f"{what}: landmarks must be (T, 33, 4), got {landmarks.shape}")
        if world.shape != (frames, NUM_JOINTS, 3) or present.shape != (frames,):
            raise KeypointFileError(
                f"{what}: world {world.shape} / present {present.shape} do not match "
                f"{frames} frames of landmarks"
            )
        source = str(data["source"]) if "source" in data.files else ""
        backend = str(data["backend"]) if "backend" in data.files else ""
        return KeypointTrack(
            landmarks.astype(np.float32), world.astype(np.float32), present.astype(bool),
            float(data["fps"]), int(data["width"]), int(data["height"]), source, backend,
        )  # fmt: skip


def read_pose_csv(path: Path) -> tuple[list[str], np.ndarray]:
    """MediaPipe pose-classification CSV -> (names, (N, 33, 3) float32 pixels)."""
    path = Path(path)
    names: list[str] = []
    rows: list[list[float]] = []
    with path.open(newline="") as handle:
        for line_number, row in enumerate(csv.reader(handle), start=1):
            if not row:
                continue
            if len(row) != 1 + NUM_JOINTS * 3:
                raise KeypointFileError(
                    f"pose CSV {path} line {line_number}: {len(row)} columns, expected "
                    f"{1 + NUM_JOINTS * 3} (name, then x, y, z for 33 landmarks)"
                )
            try:
                rows.append([float(v) for v in row[1:]])
            except ValueError as exc:
                raise KeypointFileError(f"pose CSV {path} line {line_number}: {exc}") from exc
            names.append(row[0])
    points = np.array(rows, np.float32).reshape(-1, NUM_JOINTS, 3)
    return names, points


def write_pose_csv(path: Path, names: Sequence[str], landmarks: np.ndarray) -> None:
    """Write (N, 33, 3|4) landmarks in the MediaPipe CSV layout (visibility dropped)."""
    if landmarks.ndim != 3 or landmarks.shape[1] != NUM_JOINTS or landmarks.shape[2] < 3:
        raise ValueError(f"landmarks must be (N, 33, 3 or 4), got {landmarks.shape}")
    if len(names) != len(landmarks):
        raise ValueError(f"{len(names)} names for {len(landmarks)} poses")
    with Path(path).open("w", newline="") as handle:
        writer = csv.writer(handle)
        for name, pose in zip(names, landmarks, strict=True):
            writer.writerow([name, *(f"{v:.5f}" for v in pose[:, :3].ravel())])


def from_coco17(
    points: np.ndarray, fps: float, width: int, height: int, score_threshold: float = 0.0,
    source: str = "",
) -> KeypointTrack:  # fmt: skip
    """(T, 17, 2|3) COCO keypoints (3rd column = confidence) -> a BlazePose-33 track.

    z is unknown in 2D keypoints: it is set to 0 for the joints COCO has, so features that
    use z see a flat pose rather than NaN. Joints below `score_threshold` become NaN.
    """
    if points.ndim != 3 or points.shape[1] != 17 or points.shape[2] not in (2, 3):
        raise KeypointFileError(f"COCO-17 keypoints must be (T, 17, 2|3), got {points.shape}")
    frames = points.shape[0]
    confidence = points[..., 2] if points.shape[2] == 3 else np.ones(points.shape[:2])
    coco = np.zeros((frames, 17, 4), np.float32)
    coco[..., :2] = points[..., :2]
    coco[..., 3] = confidence
    missing = (
        (confidence <= score_threshold) if points.shape[2] == 3 else np.zeros_like(confidence, bool)
    )
    missing |= ~np.isfinite(points[..., :2]).all(axis=-1)
    coco[missing] = np.nan
    landmarks = to_blazepose(coco, "coco17")
    present = ~np.isnan(landmarks[..., 0]).all(axis=1)
    landmarks[~present] = np.nan
    world = np.full((frames, NUM_JOINTS, 3), np.nan, np.float32)
    return KeypointTrack(landmarks, world, present, float(fps), int(width), int(height), source)


def read_openpose_json(path: Path) -> np.ndarray | None:
    """One OpenPose frame -> (25, 3) x, y, confidence of its most confident person, or None."""
    path = Path(path)
    try:
        people = json.loads(path.read_text())["people"]
        poses = [np.asarray(p["pose_keypoints_2d"], np.float32).reshape(25, 3) for p in people]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise KeypointFileError(f"OpenPose file {path}: not BODY_25 JSON ({exc})") from exc
    if not poses:
        return None
    return max(poses, key=lambda pose: float(pose[:, 2].sum()))


def read_openpose_folder(folder: Path, fps: float, width: int, height: int) -> KeypointTrack:
    """A folder of `*_keypoints.json` (one per frame, sorted by name) -> a track."""
    files = sorted(Path(folder).glob("*_keypoints.json"))
    if not files:
        raise KeypointFileError(f"OpenPose folder {folder}: no *_keypoints.json files")
    body = np.full((len(files), 25, 4), np.nan, np.float32)
    for i, file in enumerate(files):
        pose = read_openpose_json(file)
        if pose is None:
            continue
        seen = pose[:, 2] > 0  # OpenPose writes x = y = c = 0 for joints it did not find
        body[i, seen, :2] = pose[seen, :2]
        body[i, seen, 2] = 0.0
        body[i, seen, 3] = pose[seen, 2]
    landmarks = to_blazepose(body, "body25")
    present = ~np.isnan(landmarks[..., 0]).all(axis=1)
    world = np.full((len(files), NUM_JOINTS, 3), np.nan, np.float32)
    return KeypointTrack(
        landmarks, world, present, float(fps), int(width), int(height), str(folder)
    )


def load_keypoints(
    path: Path, fps: float | None = None, width: int | None = None, height: int | None = None
) -> KeypointTrack:
    """Any supported keypoint source, chosen by what the path is."""
    path = Path(path)
    if path.suffix == ".npz":
        return load_npz(path)
    if path.is_dir() or path.suffix == ".npy":
        if fps is None or width is None or height is None:
            raise KeypointFileError(
                f"keypoints {path}: this format carries no frame rate or size; pass fps, width "
                "and height"
            )
        if path.is_dir():
            return read_openpose_folder(path, fps, width, height)
        return from_coco17(np.load(path), fps, width, height, source=str(path))
    raise KeypointFileError(
        f"keypoints {path}: unknown format; use a `dancepose pose` .npz, a COCO-17 .npy "
        "(T, 17, 2|3) or a folder of OpenPose *_keypoints.json"
    )
