"""AIST++ 2D keypoints: the official release layout and the standardised small subset.

Official: `keypoints2d/<seq>.pkl`, each a dict whose "keypoints2d" is (9 views, T, 17, 3)
COCO-17 x, y, confidence in 1920x1080 pixels, plus `splits/crossmodal_{train,test}.txt` and
`ignore_list.txt` (sequences with bad annotations, to skip).
Small (../shared/data/aistpp_small): `<genre>_dance/nor_k_feat/<seq>.npy`, (T, 34) x, y
interleaved and standardised; `kps_scaler_extracted.npz` holds the mean and scale to undo.
Both leave as BlazePose-33 `KeypointTrack`s (edge.keypoints_io.from_coco17), the same shape
the live pose backend produces, so training and the Pi compute features from one layout.
"""

from __future__ import annotations

import pickle
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from edge.keypoints_io import KeypointTrack, from_coco17
from training.datasets import GENRES, DatasetError, genre_of, parse_name

FPS, WIDTH, HEIGHT = 60.0, 1920, 1080  # every AIST++ video
VIEWS, JOINTS = 9, 17
SPLITS = ("train", "test")
SCALER_FILE = "kps_scaler_extracted.npz"


def load_keypoints2d(path: Path, view: int = 0) -> np.ndarray:
    """(T, 17, 3) x, y, confidence of one camera view from an official AIST++ pickle.

    Pickles can run code when loaded: read only the AIST++ release itself.
    """
    path = Path(path)
    try:
        with path.open("rb") as handle:
            data = pickle.load(handle)
        points = np.asarray(data["keypoints2d"], dtype=np.float32)
    except (OSError, pickle.UnpicklingError, EOFError, KeyError, TypeError, ValueError) as exc:
        raise DatasetError(
            f"AIST++ keypoints {path}: not a keypoints2d pickle ({exc!r}); use the files of "
            "the official release (aist_plusplus_final/keypoints2d/<seq>.pkl)"
        ) from exc
    if points.ndim != 4 or points.shape[0] != VIEWS or points.shape[2:] != (JOINTS, 3):
        raise DatasetError(
            f"AIST++ keypoints {path}: keypoints2d has shape {points.shape}, expected "
            f"({VIEWS} views, T, {JOINTS}, 3); is this an AIST++ keypoints2d file?"
        )
    if not 0 <= view < VIEWS:
        raise DatasetError(f"AIST++ keypoints {path}: view {view} out of range 0..{VIEWS - 1}")
    return points[view]


def _names(path: Path) -> list[str]:
    try:
        return [line.strip() for line in path.read_text().splitlines() if line.strip()]
    except (OSError, UnicodeDecodeError) as exc:
        raise DatasetError(
            f"AIST++ split list {path}: cannot read it ({exc}); point at the release's "
            "splits/ folder (crossmodal_train.txt, crossmodal_test.txt, ignore_list.txt)"
        ) from exc


def load_split(split_dir: Path, split: str) -> list[str]:
    """Sequence names of the cross-modal "train" or "test" split, ignore list removed."""
    if split not in SPLITS:
        raise DatasetError(f"AIST++ split {split!r}: use one of {SPLITS}")
    split_dir = Path(split_dir)
    ignored = set(_names(split_dir / "ignore_list.txt"))
    return [n for n in _names(split_dir / f"crossmodal_{split}.txt") if n not in ignored]


@dataclass(frozen=True)
class Sequence:
    """One AIST++ sequence: its labels (from the name) and its keypoints."""

    name: str
    genre: str  # AIST code, e.g. "gHO"
    dancer: str  # e.g. "d19"
    choreography: str  # e.g. "ch02": what the held-out split holds out
    track: KeypointTrack
    music: str = ""  # e.g. "mHO1"; two choreographies may share a music piece


def _scaler(root: Path) -> tuple[np.ndarray, np.ndarray]:
    path = root / SCALER_FILE
    try:
        with np.load(path) as data:
            mean, scale = (np.asarray(data[k], np.float32).reshape(2) for k in ("mean", "scale"))
    except (OSError, KeyError, ValueError) as exc:
        raise DatasetError(
            f"AIST++ scaler {path}: needs 'mean' and 'scale' (2 values each) ({exc}); "
            "it ships beside the <genre>_dance folders of aistpp_small"
        ) from exc
    return mean, scale


def load_small(root: Path) -> list[Sequence]:
    """The standardised subset as pixel tracks (60 fps, 1920x1080), sorted by name."""
    root = Path(root)
    files = sorted(root.glob("*/nor_k_feat/*.npy"), key=lambda f: f.name)
    if not files:
        raise DatasetError(
            f"AIST++ small set {root}: no <genre>_dance/nor_k_feat/*.npy files; "
            "point at the aistpp_small folder"
        )
    mean, scale = _scaler(root)
    sequences = []
    for file in files:
        try:
            arr = np.load(file, allow_pickle=False)
        except (OSError, ValueError) as exc:
            raise DatasetError(f"AIST++ small file {file}: not a readable .npy ({exc})") from exc
        if arr.ndim != 2 or arr.shape[1] != 2 * JOINTS:
            raise DatasetError(f"AIST++ small file {file}: shape {arr.shape}, expected (T, 34)")
        pixels = arr.reshape(len(arr), JOINTS, 2).astype(np.float32) * scale + mean
        track = from_coco17(pixels, FPS, WIDTH, HEIGHT, source=str(file))
        f = parse_name(file.stem)
        labels = (f.get("dancer", ""), f.get("choreography", ""))
        sequences.append(
            Sequence(file.stem, genre_of(file.stem), *labels, track, f.get("music", ""))
        )
    return sequences


def hold_out_one_choreography_per_genre(
    sequences: Iterable[Sequence],
) -> tuple[list[Sequence], list[Sequence]]:
    """(train, test): per genre, the sequence(s) of the highest choreography id are test.

    The rule is fixed (no random draw) so every run and every report scores the same
    sequences. It keeps unseen moves out of training; it does not hold out the dancer, and
    aistpp_small has one dancer per genre, so scores on it measure dancer + genre together.
    """
    by_genre: dict[str, list[Sequence]] = defaultdict(list)
    for seq in sequences:
        by_genre[seq.genre].append(seq)
    train: list[Sequence] = []
    test: list[Sequence] = []
    for genre in (g for g in GENRES if g in by_genre):
        choreographies = sorted({s.choreography for s in by_genre[genre]})
        if len(choreographies) < 2:
            raise DatasetError(
                f"genre {genre}: only choreography {choreographies} present, none left to "
                "train on; add sequences of another choreography or leave the genre out"
            )
        last = choreographies[-1]
        for seq in by_genre[genre]:
            (test if seq.choreography == last else train).append(seq)
    return train, test
