"""The Frame every source yields and the small interface sources share."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from edge.errors import UserError


class SourceError(UserError, RuntimeError):
    """A frame source could not be opened or read; the message says which and what to do."""


@dataclass(frozen=True)
class Frame:
    """One BGR uint8 image, its position in the stream and its capture time in seconds."""

    image: np.ndarray
    index: int
    timestamp_s: float


class FrameSource(Protocol):
    description: str
    fps: float
    width: int
    height: int
    frame_count: int  # 0 when unknown (cameras, streams)

    def frames(self) -> Iterator[Frame]: ...

    def close(self) -> None: ...
