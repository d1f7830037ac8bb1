"""The routine the device follows, as the kiosk page draws it: GET /api/routine.

Its moves (name, start and end in routine seconds) for the progress bar and the move's
name, and the teacher's skeleton per frame (edge/follow/teacher.py) with the bones to
draw (edge/skeleton.py), at most MAX_FPS frames a second, and its music's offset and tempo
(null: none; GET /api/routine/music serves the file). The page places the teacher, and
plays the music, by the view's `routine_t_s` (edge/app/state.py). Read once per routine
folder and kept while its files do not change.
"""

from __future__ import annotations

import json
import math
import threading
from pathlib import Path
from typing import Any, Final

import numpy as np

from edge.follow import routine as routines
from edge.follow import teacher
from edge.skeleton import BONES, JOINT

MAX_FPS: Final = 30.0  # the page draws no faster; a 60 fps routine is sent at 30
DECIMALS: Final = 3  # torso lengths: a millimetre on a person


def reference(folder: Path) -> bytes:
    """The page's view of a routine folder as JSON; RoutineError where it is not one."""
    followed = routines.load(folder)
    pose = teacher.load(folder, len(followed.features))
    step = max(math.ceil(followed.fps / MAX_FPS - 1e-9), 1)
    head: dict[str, Any] = {
        "routine": followed.name,
        "length_s": round(followed.length_s, 3),
        "moves": [{"name": m.name, "start_s": m.start_s, "end_s": m.end_s} for m in followed.moves],
        "pose_fps": followed.fps / step,
        "bones": [[JOINT[a], JOINT[b]] for a, b in BONES],
        "music": None if followed.music is None else {
            "offset_s": followed.music.offset_s, "tempo_bpm": followed.music.tempo_bpm,
        },
    }  # fmt: skip
    # per frame: x0, y0, x1, y1, ... of the 33 landmarks (null: not seen); null: no pose.
    # Encoded whole by numpy and json (a long routine is a few MB), NaN written as null.
    frames = "null"
    if pose is not None:
        rounded = np.round(pose[::step].astype(np.float64), DECIMALS).reshape(-1, pose[0].size)
        frames = json.dumps(rounded.tolist(), separators=(",", ":")).replace("NaN", "null")
    return (json.dumps(head, separators=(",", ":"))[:-1] + f',"pose":{frames}}}').encode()


class ReferenceCache:
    """reference() as JSON bytes, made again only when the folder or its files change."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._key: tuple[Any, ...] | None = None
        self._body = b""

    def body(self, folder: Path) -> bytes:
        key = (str(folder), *(_stamp(folder / name) for name in _FILES))
        with self._lock:
            if key != self._key:
                self._body = reference(folder)
                self._key = key
            return self._body


_FILES: Final = (*routines.FILES, teacher.FILE)


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return (stat.st_mtime_ns, stat.st_size)
