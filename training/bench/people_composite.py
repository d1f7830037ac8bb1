"""Several counted clips side by side in one video: a class in front of one camera whose
every person's count is known (each clip's own).

Each clip is scaled into a tile of the same size (aspect kept), tiles in a row; the rest
of a tile repeats the clip's edge pixels, as the landmark model's crop does beyond the
frame's edge when it runs on that clip alone (a black border put a person whom their clip
cuts, a close-up, on black instead: another crop than alone, other presence and
landmarks). The composite runs at the first clip's frame rate and each clip is sampled by
time, so clips of other rates keep their speed; a clip that ends holds its last frame
until the longest one ends. A tile may be mirrored (the same clip twice: two people doing the same
thing, one facing the other way). Written as MJPG (high quality, frame-exact seeking is
not needed: the file is read once, in order).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

TILE = (640, 480)  # width, height of every tile


@dataclass(frozen=True)
class Tile:
    clip: Path
    mirror: bool = False

    @property
    def label(self) -> str:
        return self.clip.stem + (" (mirrored)" if self.mirror else "")


def _fit(frame: np.ndarray, size: tuple[int, int], mirror: bool) -> np.ndarray:
    """The frame scaled into a size[0] x size[1] tile, centred, its edge pixels repeated
    to fill the tile (see the module's docstring)."""
    width, height = size
    scale = min(width / frame.shape[1], height / frame.shape[0])
    new_w, new_h = round(frame.shape[1] * scale), round(frame.shape[0] * scale)
    scaled = cv2.resize(frame, (new_w, new_h), interpolation=cv2.INTER_AREA)
    if mirror:
        scaled = scaled[:, ::-1]
    x0, y0 = (width - new_w) // 2, (height - new_h) // 2
    return cv2.copyMakeBorder(
        np.ascontiguousarray(scaled), y0, height - new_h - y0, x0, width - new_w - x0,
        cv2.BORDER_REPLICATE,
    )  # fmt: skip


class _Clip:
    """One clip read in order, sampled at times; past its end, its last frame."""

    def __init__(self, tile: Tile, size: tuple[int, int]) -> None:
        self._capture = cv2.VideoCapture(str(tile.clip))
        if not self._capture.isOpened():
            raise FileNotFoundError(f"cannot open {tile.clip}")
        self.fps = float(self._capture.get(cv2.CAP_PROP_FPS)) or 30.0
        self.frames = int(self._capture.get(cv2.CAP_PROP_FRAME_COUNT))
        self._tile, self._size = tile, size
        self._index = -1
        self._last: np.ndarray | None = None

    @property
    def duration_s(self) -> float:
        return self.frames / self.fps

    def at(self, time_s: float) -> np.ndarray:
        wanted = min(int(time_s * self.fps + 1e-6), self.frames - 1)
        while self._index < wanted:
            ok, frame = self._capture.read()
            if not ok:
                break
            self._index += 1
            self._last = _fit(frame, self._size, self._tile.mirror)
        if self._last is None:
            raise ValueError(f"{self._tile.clip}: no frame could be read")
        return self._last

    def close(self) -> None:
        self._capture.release()


def composite_frames(
    tiles: Sequence[Tile], size: tuple[int, int] = TILE
) -> tuple[float, int, Iterator[np.ndarray]]:
    """(fps, frame count, the frames): the tiles side by side, clip by clip in time."""
    clips = [_Clip(tile, size) for tile in tiles]
    fps = clips[0].fps
    count = int(np.ceil(max(c.duration_s for c in clips) * fps - 1e-6))

    def frames() -> Iterator[np.ndarray]:
        try:
            for index in range(count):
                yield np.hstack([clip.at(index / fps) for clip in clips])
        finally:
            for clip in clips:
                clip.close()

    return fps, count, frames()


def write_composite(tiles: Sequence[Tile], out: Path, size: tuple[int, int] = TILE) -> Path:
    """The composite video at `out` (.avi, MJPG); returns `out`."""
    fps, _, frames = composite_frames(tiles, size)
    writer = cv2.VideoWriter(
        str(out), cv2.VideoWriter_fourcc(*"MJPG"), fps, (size[0] * len(tiles), size[1])
    )
    if not writer.isOpened():
        raise OSError(f"cannot write {out} (no MJPG encoder?)")
    writer.set(cv2.VIDEOWRITER_PROP_QUALITY, 95)
    try:
        for frame in frames:
            writer.write(frame)
    finally:
        writer.release()
    return out
