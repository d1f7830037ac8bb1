"""Option types and pre-flight checks the commands share: a bad value is one line at once,
not a confusing failure (or a traceback) after minutes of pose estimation."""

from __future__ import annotations

import argparse
from pathlib import Path

from edge.errors import UsageError


def positive_int(text: str) -> int:
    """An argparse type: a whole number >= 1 (thread counts)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def positive_float(text: str) -> float:
    """An argparse type: a finite number > 0 (frame rates)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"must be above 0, got {text}")
    return value


def frame_size(text: str) -> tuple[int, int]:
    """An argparse type: WIDTHxHEIGHT in pixels, e.g. 1920x1080."""
    width, _, height = text.lower().partition("x")
    if not (width.isdigit() and height.isdigit() and int(width) > 0 and int(height) > 0):
        raise argparse.ArgumentTypeError(f"{text!r} is not WIDTHxHEIGHT, e.g. 1920x1080")
    return int(width), int(height)


def check_writable(path: Path, option: str) -> None:
    """Refuse an output path that cannot be written, before any work: creates missing
    folders, then opens the file for append (an existing file is left as it was)."""
    if path.is_dir():
        raise UsageError(f"{option} {path}: is a folder; give a file name inside it")
    nearest = next(parent for parent in path.parents if parent.exists())
    if not nearest.is_dir():
        raise UsageError(f"{option} {path}: {nearest} is a file, not a folder; choose another path")
    existed = path.exists()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("ab"):
            pass
    except OSError as exc:
        raise UsageError(
            f"{option} {path}: cannot write there ({exc.strerror or exc}); "
            "choose a path in a writable folder"
        ) from exc
    if not existed:
        path.unlink()
