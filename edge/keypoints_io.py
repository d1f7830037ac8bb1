"""Keypoint files, read and written in one place.

Formats: our npz (what `dancepose pose` writes), MediaPipe's pose-classification CSV,
COCO-17 arrays (AIST++), and OpenPose BODY_25 JSON. Whatever comes in leaves as a
`KeypointTrack` (edge/pose/result.py, importable from here too) in the BlazePose-33 layout
(edge.skeleton), so every consumer reads one shape: joints a format lacks are NaN.
"""

from __future__ import annotations

import csv
import json
import zipfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from edge.errors import UserError
from edge.pose.result import KeypointTrack
from edge.skeleton import NUM_LANDMARKS, to_blazepose

NPZ_KEYS = ("landmarks", "world", "present", "fps", "width", "height")


class KeypointFileError(UserError, ValueError):
    """A keypoint file is missing, malformed or of an unknown kind; says which and why."""


def npz_arrays(track: KeypointTrack) -> dict[str, np.ndarray | np.generic]:
    """The npz keys of one track (what save_npz writes), each in the type it is stored as."""
    return dict(
        landmarks=track.landmarks.astype(np.float32),
        world=track.world.astype(np.float32), present=track.present.astype(bool),
        fps=np.float64(track.fps), width=np.int32(track.width), height=np.int32(track.height),
        source=np.str_(track.source), backend=np.str_(track.backend),
    )  # fmt: skip


def save_npz(track: KeypointTrack, path: Path) -> None:
    """Write the track to exactly `path` (numpy would append ".npz" to a bare file name)."""
    with Path(path).open("wb") as handle:
        np.savez_compressed(handle, **npz_arrays(track))


def _number(what: str, key: str, value: np.ndarray) -> float:
    """A positive, finite number from a one-element npz entry (fps, width, height)."""
    if value.size != 1 or not np.issubdtype(value.dtype, np.number):
        raise KeypointFileError(f"{what}: {key} must be one number, got {value.shape}")
    number = float(value.reshape(()))
    if not np.isfinite(number) or number <= 0:
        raise KeypointFileError(f"{what}: {key} must be positive, got {number}")
    return number


def load_npz(path: Path) -> KeypointTrack:
    """Read a `dancepose pose` npz, checking every key and shape."""
    path = Path(path)
    what = f"keypoints file {path}"
    try:
        return _read_npz(path, what)
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        if isinstance(exc, KeypointFileError):
            raise
        raise KeypointFileError(f"{what}: not a readable npz ({exc}); write it again") from exc


def _read_npz(path: Path, what: str) -> KeypointTrack:
    data = np.load(path, allow_pickle=False)
    if not isinstance(data, np.lib.npyio.NpzFile):
        raise KeypointFileError(f"{what}: a single .npy array, not an npz archive")
    with data:
        for key in NPZ_KEYS:
            if key not in data.files:
                raise KeypointFileError(
                    f"{what}: missing key {key!r} (expected an npz written by `dancepose pose`)"
                )
        try:
            landmarks, world, present = data["landmarks"], data["world"], data["present"]
            extra = {key: str(data[key]) for key in ("source", "backend") if key in data.files}
        except ValueError as exc:  # object arrays: refused, as they would need pickle
            raise KeypointFileError(f"{what}: {exc}") from exc
        fps = _number(what, "fps", data["fps"])
        width, height = (int(_number(what, key, data[key])) for key in ("width", "height"))
    try:  # astype refuses text arrays; the constructor checks every shape
        return KeypointTrack(
            landmarks.astype(np.float32), world.astype(np.float32), present.astype(bool),
            fps, width, height, **extra,
        )  # fmt: skip
    except ValueError as exc:
        raise KeypointFileError(f"{what}: {exc}") from exc


def read_pose_csv(path: Path) -> tuple[list[str], np.ndarray]:
    """MediaPipe pose-classification CSV -> (names, (N, 33, 3) float32 pixels)."""
    path = Path(path)
    names: list[str] = []
    rows: list[list[float]] = []
    try:
        with path.open(newline="") as handle:
            for line_number, row in enumerate(csv.reader(handle), start=1):
                if not row:
                    continue
                where = f"pose CSV {path} line {line_number}"
                if len(row) != 1 + NUM_LANDMARKS * 3:
                    raise KeypointFileError(
                        f"{where}: {len(row)} columns, expected {1 + NUM_LANDMARKS * 3} "
                        "(name, then x, y, z for 33 landmarks)"
                    )
                try:
                    rows.append([float(v) for v in row[1:]])
                except ValueError as exc:
                    raise KeypointFileError(f"{where}: {exc}") from exc
                names.append(row[0])
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise KeypointFileError(f"pose CSV {path}: cannot read it ({exc})") from exc
    points = np.array(rows, np.float32).reshape(-1, NUM_LANDMARKS, 3)
    return names, points


def write_pose_csv(path: Path, names: Sequence[str], landmarks: np.ndarray) -> None:
    """Write (N, 33, 3|4) landmarks in the MediaPipe CSV layout (visibility dropped)."""
    if landmarks.ndim != 3 or landmarks.shape[1] != NUM_LANDMARKS or landmarks.shape[2] < 3:
        raise ValueError(f"landmarks must be (N, 33, 3 or 4), got {landmarks.shape}")
    if len(names) != len(landmarks):
        raise ValueError(f"{len(names)} names for {len(landmarks)} poses")
    with Path(path).open("w", newline="") as handle:
        writer = csv.writer(handle)
        for name, pose in zip(names, landmarks, strict=True):
            writer.writerow([name, *(f"{v:.5f}" for v in pose[:, :3].ravel())])


def _track_2d(
    landmarks: np.ndarray, fps: float, width: int, height: int, source: str
) -> KeypointTrack:
    """A track from 2D keypoints: present where any joint was seen; no world landmarks."""
    present = ~np.isnan(landmarks[..., 0]).all(axis=1)
    world = np.full((len(landmarks), NUM_LANDMARKS, 3), np.nan, np.float32)
    return KeypointTrack(landmarks, world, present, float(fps), int(width), int(height), source)


def from_coco17(
    points: np.ndarray, fps: float, width: int, height: int, score_threshold: float = 0.0,
    source: str = "",
) -> KeypointTrack:  # fmt: skip
    """(T, 17, 2|3) COCO keypoints (3rd column = confidence) -> a BlazePose-33 track.

    z is unknown in 2D keypoints: it is set to 0 for the joints COCO has, so features that
    use z see a flat pose rather than NaN. Joints COCO lacks (hands, heels, toes, mouth) and
    joints whose confidence is not above `score_threshold` are NaN in all four columns,
    visibility included, rather than visibility 0: a NaN cannot be mistaken for a joint at
    pixel (0, 0), and it propagates through any feature that wrongly uses it. Without a
    confidence column every joint has visibility 1 and only NaN coordinates mark it missing.
    """
    if points.ndim != 3 or points.shape[1:] not in ((17, 2), (17, 3)):
        label = f"keypoints {source}" if source else "COCO-17 keypoints"
        raise KeypointFileError(f"{label}: expected COCO-17 (T, 17, 2|3), got {points.shape}")
    with_confidence = points.shape[2] == 3
    confidence = points[..., 2] if with_confidence else np.ones(points.shape[:2], np.float32)
    coco = np.zeros((*points.shape[:2], 4), np.float32)
    coco[..., :2], coco[..., 3] = points[..., :2], confidence
    missing = ~np.isfinite(points[..., :2]).all(axis=-1)
    if with_confidence:
        missing |= ~(confidence > score_threshold)  # NaN confidence counts as missing too
    coco[missing] = np.nan
    return _track_2d(to_blazepose(coco, "coco17"), fps, width, height, source)


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
        body[i, seen] = np.column_stack([pose[seen, :2], np.zeros(seen.sum()), pose[seen, 2]])
    return _track_2d(to_blazepose(body, "body25"), fps, width, height, str(folder))


def load_keypoints(
    path: Path, fps: float | None = None, width: int | None = None, height: int | None = None
) -> KeypointTrack:
    """Any supported keypoint source, chosen by what the path is.

    Only our npz carries a frame rate and image size; the other formats need them given.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if not path.exists():
        raise KeypointFileError(f"keypoints {path}: no such file or folder")
    if suffix == ".npz":
        return load_npz(path)
    if not (path.is_dir() or suffix == ".npy"):
        raise KeypointFileError(
            f"keypoints {path}: unknown format; use a `dancepose pose` .npz, a COCO-17 .npy "
            "(T, 17, 2|3) or a folder of OpenPose *_keypoints.json"
        )
    if fps is None or width is None or height is None:
        raise KeypointFileError(
            f"keypoints {path}: this format carries no frame rate or size; pass fps, width "
            "and height"
        )
    if path.is_dir():
        return read_openpose_folder(path, fps, width, height)
    try:
        points = np.asarray(np.load(path, allow_pickle=False))  # an npz inside: object, refused
    except (OSError, ValueError) as exc:
        raise KeypointFileError(f"keypoints {path}: not a readable .npy ({exc})") from exc
    if not np.issubdtype(points.dtype, np.number):
        raise KeypointFileError(f"keypoints {path}: holds {points.dtype}, expected numbers")
    return from_coco17(points.astype(np.float32), fps, width, height, source=str(path))
