"""A studio's own labelled clips, `<root>/<genre>/<clip>.{npz,mp4,...}` or OpenPose folders.

The folder a clip sits in is its label (video_folder.genre_label: AIST codes or free names
such as "waltz"). A clip is one of:

- a keypoint `.npz` from `dancepose pose` (or `training.extract`);
- a video (video_folder.VIDEO_SUFFIXES), run through training.extract's resumable cache;
- a folder of OpenPose BODY_25 `*_keypoints.json`, one per frame (needs `fps`; the
  features are angles, so the image size does not matter).

`<root>/performers.csv` (columns `clip,performer`; clip is `<genre>/<clip file or folder>`)
names who dances each clip; without it every clip is its own performer. The held-out split
(hold_out) keeps a performer's clips on one side.
"""

from __future__ import annotations

import csv
import sys
from collections import defaultdict
from pathlib import Path

from edge.dance.metadata import NONE  # the label of non-dance motion
from edge.errors import UserError
from edge.keypoints_cache import cache_path
from edge.keypoints_io import KeypointTrack, load_npz, read_openpose_folder
from training.datasets import DatasetError
from training.datasets.aistpp import Sequence
from training.datasets.video_folder import VIDEO_SUFFIXES, genre_label

PERFORMERS_FILE = "performers.csv"
HOLD_OUT_EVERY = 3  # per genre, clips 3, 6, 9, ... (sorted by name) are the test split
OPENPOSE_SIZE = (1920, 1080)  # recorded in the track only; the features are scale-free


def is_labelled_folder(root: Path) -> bool:
    """A folder of genre folders (not an AIST++ layout): what `load_folder` reads."""
    root = Path(root)
    return (
        root.is_dir() and not (root / "keypoints2d").is_dir() and not any(root.glob("*/nor_k_feat"))
    )


def _clips(folder: Path) -> list[Path]:
    """The clip entries of one genre folder, sorted by name; hidden ones skipped."""
    found = []
    for path in sorted(folder.iterdir()):
        if path.name.startswith("."):
            continue
        suffix = path.suffix.lower()
        clip_file = path.is_file() and (suffix == ".npz" or suffix in VIDEO_SUFFIXES)
        if clip_file or (path.is_dir() and any(path.glob("*_keypoints.json"))):
            found.append(path)
    return found


def _performers(root: Path) -> dict[str, str]:
    path = root / PERFORMERS_FILE
    if not path.is_file():
        return {}
    try:
        with path.open(newline="") as handle:
            rows = list(csv.DictReader(handle))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise DatasetError(
            f"{path}: cannot read it ({exc}); write it as CSV clip,performer"
        ) from None
    if rows and not {"clip", "performer"} <= set(rows[0]):
        raise DatasetError(
            f"{path}: needs the columns clip,performer (clip = <genre>/<clip file>), "
            f"has {', '.join(rows[0])}"
        )
    return {r["clip"].strip(): r["performer"].strip() for r in rows if r["clip"] and r["performer"]}


def _cache_dir(cache: Path | None) -> Path:
    return cache or Path("out") / "keypoints"


def extract_videos(clips: list[Path], cache: Path | None, ray: str | None = None) -> None:
    """Run every video among `clips` through training.extract's cache at once (one pool,
    one model load a worker; or Ray tasks when `ray` names a cluster, training.extract's
    --ray); a video already cached is not redone."""
    videos = [c for c in clips if c.is_file() and c.suffix.lower() in VIDEO_SUFFIXES]
    if not videos:
        return
    from training.extract import extract  # videos only: cv2 and the pose model

    report = extract(videos, _cache_dir(cache), workers=2, ray=ray)
    if report.failed:
        more = f" ({len(report.failed) - 1} more failed)" if len(report.failed) > 1 else ""
        raise DatasetError(
            f"pose extraction failed: {report.failed[0][1]}{more}; re-encode or remove it"
        )


def _read_clip(path: Path, fps: float | None, cache: Path | None) -> KeypointTrack:
    if path.is_dir():
        if fps is None:
            raise DatasetError(
                f"clip {path}: OpenPose JSON carries no frame rate; pass --fps (AIST: 60)"
            )
        return read_openpose_folder(path, fps, *OPENPOSE_SIZE)
    if path.suffix.lower() == ".npz":
        return load_npz(path)
    extract_videos([path], cache)  # a no-op when load_* extracted it already
    return load_npz(cache_path(path, _cache_dir(cache)))


def load_folder(
    root: Path, fps: float | None = None, cache: Path | None = None, ray: str | None = None
) -> list[Sequence]:
    """Every clip of every genre folder as a Sequence (choreography = clip name).

    A genre with no readable clip, an unreadable clip, or fewer than two genres is a
    DatasetError naming the folder or file: a classifier of one genre answers nothing.
    """
    root = Path(root)
    if not root.is_dir():
        raise DatasetError(f"dance data {root}: not a folder; lay it out as <genre>/<clip>.npz")
    performers, sequences = _performers(root), []
    genres: dict[str, list[Sequence]] = defaultdict(list)
    folders = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    extract_videos([c for f in folders for c in _clips(f)], cache, ray)
    for folder in folders:
        clips = _clips(folder)
        if not clips:
            raise DatasetError(
                f"genre folder {folder}: no usable clip (.npz, "
                f"{'/'.join(VIDEO_SUFFIXES)} or a folder of *_keypoints.json); add clips or "
                "remove the folder"
            )
        genre = genre_label(folder.name)
        for clip in clips:
            try:
                track = _read_clip(clip, fps, cache)
            except DatasetError:
                raise
            except (UserError, OSError, ValueError) as exc:
                raise DatasetError(
                    f"clip {clip}: unreadable ({exc}); re-extract or remove it"
                ) from None
            name = f"{folder.name}/{clip.stem}"  # also the performer when none is named
            who = performers.get(f"{folder.name}/{clip.name}", performers.get(name, name))
            seq = Sequence(name, genre, who, clip.stem, track)
            genres[genre].append(seq)
            sequences.append(seq)
    if len(genres) < 2:
        raise DatasetError(
            f"dance data {root}: {len(genres)} genre folder(s) ({', '.join(genres) or 'none'}); "
            "a genre classifier needs at least two <genre>/ folders of clips"
        )
    return sequences


def hold_out(
    sequences: list[Sequence], fold: int = HOLD_OUT_EVERY - 1
) -> tuple[list[Sequence], list[Sequence]]:
    """(train, test): per genre, every HOLD_OUT_EVERY-th performer (sorted) is test,
    starting at index `fold` (0..HOLD_OUT_EVERY-1: the folds of a cross-validation; a genre
    with too few performers for that fold holds out its last one).

    Without performers.csv each clip is its own performer, so this is a split by clip. All
    clips of a test performer are test, in every genre, so nobody is on both sides.
    """
    if not 0 <= fold < HOLD_OUT_EVERY:
        raise DatasetError(f"fold {fold}: use 0..{HOLD_OUT_EVERY - 1}")
    by_genre: dict[str, list[str]] = defaultdict(list)
    for seq in sequences:
        if seq.dancer not in by_genre[seq.genre]:
            by_genre[seq.genre].append(seq.dancer)
    test_people: set[str] = set()
    for people in by_genre.values():
        ordered = sorted(people)
        chosen = ordered[fold::HOLD_OUT_EVERY] or ordered[-1:]
        test_people.update(chosen)
    train = [s for s in sequences if s.dancer not in test_people]
    test = [s for s in sequences if s.dancer in test_people]
    for genre in by_genre:
        sides = [sum(s.genre == genre for s in side) for side in (train, test)]
        if not all(sides):
            raise DatasetError(
                f"genre {genre}: {sides[0]} training and {sides[1]} test clips after holding "
                "out performers; it needs clips of at least two performers"
            )
    return train, test


MIN_PERSON_SHARE = 0.8  # a negative clip where the person is found less often is skipped


def load_negatives(
    paths: list[Path], cache: Path | None = None, ray: str | None = None
) -> list[Sequence]:
    """Real non-dance motion (exercise, walking, sport) as sequences labelled "none".

    Each path is a clip (.npz or video) or a folder searched recursively for them. A clip
    where the pose model found the person on under MIN_PERSON_SHARE of frames is skipped
    and said so: a window with nobody in it is the motion threshold's job, not a class.
    """
    clips: list[Path] = []
    for path in map(Path, paths):
        if not path.exists():
            raise DatasetError(f"negatives {path}: no such file or folder")
        found = [path] if path.is_file() else sorted(path.rglob("*"))
        for clip in found:
            suffix = clip.suffix.lower()
            if clip.is_file() and (suffix == ".npz" or suffix in VIDEO_SUFFIXES):
                clips.append(clip)
    if not clips:
        raise DatasetError(f"negatives {', '.join(map(str, paths))}: no .npz or video clip")
    sequences = []
    extract_videos(clips, cache, ray)
    for clip in clips:
        try:
            track = _read_clip(clip, None, cache)
        except (UserError, OSError, ValueError) as exc:
            raise DatasetError(
                f"clip {clip}: unreadable ({exc}); re-extract or remove it"
            ) from None
        share = float(track.present.mean()) if track.num_frames else 0.0
        if share < MIN_PERSON_SHARE:
            print(f"skipped negative {clip}: person on {share:.0%} of frames", file=sys.stderr)
            continue
        name = f"{NONE}/{clip.stem}"
        sequences.append(Sequence(name, NONE, name, clip.stem, track))
    return sequences
