"""AIST++ sequences -> (n, k, 252) windows: the numbers StreamingFeatures gives the Pi."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import numpy as np

from edge.features import dance as features
from edge.keypoints_io import KeypointTrack, from_coco17
from edge.skeleton import MIRROR
from training.datasets import (
    GENRE_CODES,
    GENRES,
    DatasetError,
    aistpp,
    genre_of,
    labelled_folder,
    parse_name,
)
from training.datasets.aistpp import Sequence

UNIT_S, DIMS = features.DEFAULT_UNIT_S, features.UNIT_DIMS
VAL_FRACTION = 0.2

Parts = list[tuple[np.ndarray, int]]  # per sequence: its windows and its genre index


def track_windows(track: KeypointTrack, k: int) -> np.ndarray:
    """A track -> (n, k, 252): the numbers StreamingFeatures gives the Pi on the same frames.

    Too short for one window raises: zero windows would pass for "no answer" silently.
    """
    units = features.unit_features(
        features.frame_features(track.landmarks, track.fps),
        features.frames_per_unit(track.fps, UNIT_S),
    )
    if len(units) < k:
        raise ValueError(
            f"clip {track.source or '(unnamed)'} is {track.num_frames / track.fps:.2f} s "
            f"({len(units)} units of {UNIT_S:.2f} s); a window needs k={k} units "
            f"({k * UNIT_S:.2f} s): use a longer clip or a smaller k"
        )
    return features.windows(units, k)


def mirrored(seq: Sequence) -> Sequence:
    """The same dance seen in a mirror: x flipped, left and right joints swapped.

    A genre does not change in a mirror, and a class (or a studio) may lead with one side:
    training on both halves the side-specific cues and doubles the windows.
    """
    t = seq.track
    landmarks = t.landmarks[:, MIRROR].copy()
    landmarks[..., 0] = t.width - landmarks[..., 0]
    world = t.world[:, MIRROR].copy()
    world[..., 0] = -world[..., 0]
    track = dataclasses.replace(t, landmarks=landmarks, world=world)
    return dataclasses.replace(seq, name=f"{seq.name}~mirror", track=track)


def with_mirrors(sequences: list[Sequence]) -> list[Sequence]:
    """Training sequences and their mirror images (never applied to test sequences)."""
    return [*sequences, *map(mirrored, sequences)]


def named_dataset(
    sequences: list[Sequence], k: int, genres: tuple[str, ...]
) -> tuple[list[str], Parts]:
    """(names, windows per sequence); sequences shorter than one window are skipped, and
    said so."""
    names, parts = [], []
    for seq in sequences:
        try:
            parts.append((track_windows(seq.track, k), genres.index(seq.genre)))
            names.append(seq.name)
        except ValueError as exc:
            print(f"skipped: {exc}", file=sys.stderr)
    return names, parts


def dataset(sequences: list[Sequence], k: int, genres: tuple[str, ...]) -> Parts:
    """Training windows; a genre left with none (every clip shorter than a window) is an
    error naming it, not a class the model never sees."""
    parts = named_dataset(sequences, k, genres)[1]
    for index, genre in enumerate(genres):
        if not any(len(w) for w, g in parts if g == index):
            mine = [s for s in sequences if s.genre == genre and not s.name.endswith("~mirror")]
            longest = max((s.track.num_frames / s.track.fps for s in mine), default=0.0)
            raise DatasetError(
                f"genre {genre}: none of its {len(mine)} training clip(s) "
                f"({', '.join(s.name for s in mine)}) is long enough for one window of k={k} "
                f"units ({k * UNIT_S:.2f} s; the longest is {longest:.2f} s): add longer "
                "clips or use a smaller --k"
            )
    return parts


def stack(parts: Parts) -> tuple[np.ndarray, np.ndarray]:
    if not parts or not sum(len(w) for w, _ in parts):
        raise ValueError("no windows: every sequence is shorter than one window")
    labels = [np.full(len(w), g, np.int64) for w, g in parts]
    return np.concatenate([w for w, _ in parts]).astype(np.float32), np.concatenate(labels)


def split_tail(parts: Parts, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(train x, y, val x, y): the last VAL_FRACTION of each sequence validates.

    Early stopping needs windows the optimiser does not see, and the test choreography must
    not be them. Up to k-1 windows before the cut are dropped so that few val windows share
    units with train windows, keeping at least half of each sequence to train on.
    """
    train, val = [], []
    for w, g in parts:
        cut = len(w) - max(1, round(len(w) * VAL_FRACTION))
        train.append((w[: max(cut - (k - 1), (cut + 1) // 2)], g))
        val.append((w[cut:], g))
    return *stack(train), *stack(val)


def genres_of(sequences: list[Sequence]) -> tuple[str, ...]:
    """Output order: AIST order of the AIST genres present, then other labels sorted; never
    the order files were read in."""
    present = {s.genre for s in sequences}
    return (*(g for g in GENRE_CODES if g in present), *sorted(present - set(GENRE_CODES)))


def genre_name(code: str) -> str:
    """What a person reads: the AIST name of an AIST code, else the folder's own label."""
    return GENRES.get(code, code)


def _is_folder_data(seq: Sequence) -> bool:
    return seq.name.count("/") == 1  # labelled_folder's genre/clip; AIST names have no "/"


def hold_out(
    sequences: list[Sequence], fold: int = labelled_folder.HOLD_OUT_EVERY - 1
) -> tuple[list[Sequence], list[Sequence]]:
    """(train, test) by each source's own rule: AIST++ holds out a choreography per genre, a
    labelled folder (and the negatives) 1 performer (or clip) in 3 per genre."""
    folder = [s for s in sequences if _is_folder_data(s)]
    aist = [s for s in sequences if not _is_folder_data(s)]
    train: list[Sequence] = []
    test: list[Sequence] = []
    if aist:
        a, b = aistpp.hold_out_one_choreography_per_genre(aist)
        train, test = train + a, test + b
    if folder:
        a, b = labelled_folder.hold_out(folder, fold)
        train, test = train + a, test + b
    return train, test


def split_rule(sequences: list[Sequence]) -> str:
    """hold_out's rule in words, for the report."""
    rules = []
    if any(not _is_folder_data(s) for s in sequences):
        rules.append("one AIST++ choreography per genre held out (the highest ch id)")
    folder = [s for s in sequences if _is_folder_data(s)]
    if any(s.dancer != s.name for s in folder):
        rules.append(f"per genre 1 performer in {labelled_folder.HOLD_OUT_EVERY} (sorted) of "
                     "performers.csv held out, with all their clips")  # fmt: skip
    elif folder:
        rules.append(f"per genre 1 clip in {labelled_folder.HOLD_OUT_EVERY} (sorted by name) "
                     "held out; no performers.csv: a performer may be on both sides")  # fmt: skip
    return "; ".join(rules)


def load_sequences(
    data: Path, splits: Path | None = None, split: str = "all", fps: float | None = None,
    cache: Path | None = None, ray: str | None = None,
) -> list[Sequence]:  # fmt: skip
    """A labelled folder (<genre>/<clip>), aistpp_small (<genre>_dance/nor_k_feat/*.npy) or
    the AIST++ release (keypoints2d/*.pkl). `fps`, `cache` and `ray`: labelled folders only
    (OpenPose JSON's frame rate; the video extraction cache, and the Ray cluster that fills
    it: training.extract --ray).

    The release (~1,400 sequences) is about 2 GB of tracks in memory: fine for training.
    """
    data = Path(data)
    if not data.is_dir():
        raise DatasetError(
            f"dance data {data}: no such folder; give a <genre>/<clip> folder, aistpp_small "
            "or the AIST++ release"
        )
    if labelled_folder.is_labelled_folder(data):
        return labelled_folder.load_folder(data, fps, cache, ray)
    if not (data / "keypoints2d").is_dir():
        return aistpp.load_small(data)
    split_dir = Path(splits) if splits else data / "splits"
    sequences = []
    for s in (s for s in aistpp.SPLITS if split in ("all", s)):
        for name in aistpp.load_split(split_dir, s):
            points = aistpp.load_keypoints2d(data / "keypoints2d" / f"{name}.pkl")
            track = from_coco17(points, aistpp.FPS, aistpp.WIDTH, aistpp.HEIGHT, source=name)
            t = parse_name(name)
            sequences.append(Sequence(name, genre_of(name), t["dancer"], t["choreography"], track))
    return sequences
