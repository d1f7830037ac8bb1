"""A routine folder: the one reader and writer.

    routine.json   {"version", "name", "fps", "frames", "mirror", "parts"}
    features.npy   (frames, FEATURE_SIZE) float32: edge/features/follow.py per frame
    moves.txt      one move a line, "START_S END_S NAME" (editable; '#' starts a comment)
    beats.json     optional, with the music file: edge/follow/music.py

The moves are found when the routine is recorded (`auto`: cut where the body slows down
most, every MOVE_S or so; with music each cut then moves to the nearest point of the
music's move grid, so a move is a whole number of beats) or read from a file in the same
format as moves.txt.
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np

from edge.errors import UserError
from edge.features.follow import (
    FEATURE_SIZE,
    HEIGHTS,
    PARTS,
    follow_features,
    torso_length,
    torso_px,
)
from edge.follow import music as musics
from edge.follow.music import Music
from edge.pose.result import KeypointTrack

# 3: heights in the clip's long torso length (features.follow.TORSO_PERCENTILE); 2: in its
# median torso length; 1: per-part x, y vectors
VERSION: Final = 3
MOVE_S: Final = 2.0  # an automatic move's typical length
MIN_MOVE_S: Final = 0.5  # no move is shorter; a clip shorter than this is no routine
# The folder's files (edge/follow/teacher.py adds the optional pose.npy; beats.json, also
# optional, names the music file beside it)
META: Final = "routine.json"
FEATURES: Final = "features.npy"
MOVES: Final = "moves.txt"
FILES: Final = (META, FEATURES, MOVES, musics.BEATS)


def recorded(routines_dir: Path) -> list[str]:
    """The names of the routines recorded under routines_dir (folders with a routine.json)."""
    return sorted(p.parent.name for p in Path(routines_dir).glob(f"*/{META}"))


class RoutineError(UserError, ValueError):
    """A routine folder or moves file that cannot be used; the message names the fix."""


@dataclass(frozen=True)
class Move:
    name: str
    start_s: float
    end_s: float


@dataclass(frozen=True)
class Routine:
    name: str
    fps: float
    features: np.ndarray  # (frames, FEATURE_SIZE)
    moves: tuple[Move, ...]
    mirror: bool = False  # the student faces the teacher as in a mirror
    music: Music | None = None  # with music, the follower's clock (edge/follow/align.py)

    @property
    def length_s(self) -> float:
        return len(self.features) / self.fps


def record(
    track: KeypointTrack,
    name: str,
    mirror: bool = False,
    moves_file: Path | None = None,
    music: Music | None = None,
) -> Routine:
    """The routine a teacher's clip shows (to `music`, its beats found: music.analyse);
    RoutineError for a clip that holds none."""
    if not track.present.any():
        raise RoutineError(
            f"no person found in {track.source or 'the clip'} ({track.num_frames} frames); "
            "record the teacher with the whole body in view"
        )
    torso = torso_length(torso_px(track.landmarks[track.present]))
    features = _filled(follow_features(track.landmarks, torso))
    length_s = len(features) / track.fps
    if length_s < MIN_MOVE_S:
        raise RoutineError(
            f"{track.source or 'the clip'} is {length_s:.2f} s long, shorter than one move "
            f"({MIN_MOVE_S} s); record a longer clip"
        )
    if moves_file is not None:
        moves = read_moves(moves_file, length_s)
    elif music is not None:
        moves = on_beats(auto_moves(features, track.fps), music.grid(length_s))
    else:
        moves = auto_moves(features, track.fps)
    return Routine(name, track.fps, features, moves, mirror, music)


def _filled(features: np.ndarray) -> np.ndarray:
    """Columns not seen on a frame take their last seen value (the first seen one before)."""
    out = features.copy()
    for column in out.T:
        seen = np.flatnonzero(np.isfinite(column))
        if not len(seen):
            column[:] = 0.0
            continue
        index = np.maximum.accumulate(np.where(np.isfinite(column), np.arange(len(column)), 0))
        index[: seen[0]] = seen[0]
        column[:] = column[index]
    return out


def auto_moves(features: np.ndarray, fps: float) -> tuple[Move, ...]:
    """Cut where the body moves least, one cut every MOVE_S or so (each move at least half
    of that long); a clip shorter than 1.5 moves is one move."""
    length_s = len(features) / fps
    speed = np.linalg.norm(np.diff(features[:, HEIGHTS], axis=0), axis=1)
    width = max(int(fps * 0.25), 1)
    speed = np.convolve(np.r_[speed, speed[-1:]], np.ones(width) / width, mode="same")
    cuts = [0]
    while (len(features) - cuts[-1]) / fps >= 1.5 * MOVE_S:
        lo = cuts[-1] + int(0.5 * MOVE_S * fps)
        hi = min(cuts[-1] + int(1.5 * MOVE_S * fps), len(features) - int(0.5 * MOVE_S * fps))
        cuts.append(lo + int(np.argmin(speed[lo:hi])))
    bounds = [c / fps for c in cuts] + [length_s]
    return tuple(
        Move(f"move {i + 1}", round(a, 3), round(b, 3))
        for i, (a, b) in enumerate(itertools.pairwise(bounds))
    )


def on_beats(moves: tuple[Move, ...], grid: np.ndarray) -> tuple[Move, ...]:
    """The moves from the first grid point to the last, each cut between two moves at
    the grid point nearest to it (cuts that land on the same point are one)."""
    if len(grid) < 2 or grid[-1] - grid[0] < MIN_MOVE_S:
        raise RoutineError(
            "the music has no two beats a move apart within the clip; check --music-offset "
            "(the music's second at the clip's first frame) or record without --music"
        )
    cuts = {0, len(grid) - 1}
    cuts |= {int(np.abs(grid - m.start_s).argmin()) for m in moves[1:]}
    bounds = [float(grid[i]) for i in sorted(cuts)]
    return tuple(
        Move(f"move {i + 1}", round(a, 3), round(b, 3))
        for i, (a, b) in enumerate(itertools.pairwise(bounds))
    )


def read_moves(path: Path, length_s: float) -> tuple[Move, ...]:
    """A moves file: "START_S END_S NAME" per line, in order, within the routine."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise RoutineError(f"{path}: cannot read the moves file ({exc})") from None
    moves: list[Move] = []
    for number, line in enumerate(lines, 1):
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        fields = text.split(None, 2)
        try:
            start, end = float(fields[0]), float(fields[1])
            name = fields[2].strip() if len(fields) > 2 else f"move {len(moves) + 1}"
        except (IndexError, ValueError):
            raise RoutineError(
                f"{path}:{number}: expected 'START_S END_S NAME', got {text[:40]!r}"
            ) from None
        previous = moves[-1].end_s if moves else 0.0
        if not (previous - 1e-6 <= start and end - start >= MIN_MOVE_S and end <= length_s + 1e-3):
            raise RoutineError(
                f"{path}:{number}: move {start:g}-{end:g} s must start after the last one ends, "
                f"last at least {MIN_MOVE_S} s and end within the routine ({length_s:.2f} s)"
            )
        moves.append(Move(name, start, end))
    if not moves:
        raise RoutineError(f"{path}: no moves; write one 'START_S END_S NAME' a line")
    return tuple(moves)


def write(routine: Routine, folder: Path) -> None:
    """Write the folder whole or not at all (a temporary folder renamed into place)."""
    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    temporary = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    try:
        meta = {
            "version": VERSION, "name": routine.name, "fps": routine.fps,
            "frames": len(routine.features), "mirror": routine.mirror, "parts": list(PARTS),
        }  # fmt: skip
        (temporary / META).write_text(json.dumps(meta, indent=2) + "\n")
        np.save(temporary / FEATURES, routine.features.astype(np.float32))
        lines = ["# START_S END_S NAME (seconds into the routine; edit freely)"]
        lines += [f"{m.start_s:.3f} {m.end_s:.3f} {m.name}" for m in routine.moves]
        (temporary / MOVES).write_text("\n".join(lines) + "\n")
        if routine.music is not None:
            musics.write(routine.music, temporary)
        if folder.exists():
            shutil.rmtree(folder)
        os.replace(temporary, folder)
    finally:
        shutil.rmtree(temporary, ignore_errors=True)


def load(folder: Path) -> Routine:
    """Read a routine folder; RoutineError (one line with the fix) if it is not one."""
    folder = Path(folder)
    meta_path = folder / META
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RoutineError(
            f"{folder}: not a routine folder (no routine.json); record one with "
            "`dancepose routine record`"
        ) from None
    except (OSError, ValueError) as exc:
        raise RoutineError(f"{meta_path}: unreadable ({exc}); record the routine again") from None
    if not isinstance(meta, dict) or meta.get("version") != VERSION:
        version = meta.get("version") if isinstance(meta, dict) else None
        raise RoutineError(
            f"{folder}: routine version {version!r}, this DancePose reads version {VERSION}; "
            "record the routine again with `dancepose routine record`"
        )
    try:
        features = np.load(folder / FEATURES, allow_pickle=False)
        fps = float(meta["fps"])
        mirror = bool(meta.get("mirror", False))
    except (OSError, ValueError, KeyError) as exc:
        raise RoutineError(f"{folder}: damaged routine ({exc}); record it again") from None
    if features.ndim != 2 or features.shape[1] != FEATURE_SIZE or not fps > 0:
        raise RoutineError(
            f"{folder}: features.npy is {features.shape}, expected (frames, {FEATURE_SIZE}); "
            "record the routine again"
        )
    moves = read_moves(folder / MOVES, len(features) / fps)
    music = musics.load(folder)
    if music is not None and not music.path.is_file():
        raise RoutineError(f"{folder}: {music.path.name} is missing; record the routine again")
    return Routine(str(meta.get("name", folder.name)), fps, features, moves, mirror, music)
