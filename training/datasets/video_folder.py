"""A folder of labelled videos, `<root>/<genre>/<clip>.mp4`: the simplest way to add data.

A studio that films its own classes can train on them without writing any metadata: the
folder a clip sits in is its label. AIST codes (gHO) and free names (salsa) are both
accepted, since a studio's genres need not be AIST's; a folder spelled like an AIST code in
another case ("gho") is read as that code, so it does not become a second class.
"""

from __future__ import annotations

from pathlib import Path

from training.datasets import GENRES, DatasetError

VIDEO_SUFFIXES: tuple[str, ...] = (".mp4", ".mov", ".avi", ".mkv", ".webm", ".m4v")
_CODES = {code.lower(): code for code in GENRES}


def genre_label(folder_name: str) -> str:
    """The label a genre folder gives: the AIST code if it is one, else the name as is."""
    return _CODES.get(folder_name.lower(), folder_name)


def list_labelled_videos(root: Path) -> list[tuple[Path, str]]:
    """(video path, genre) for every video one level below `root`, sorted by path.

    Hidden files and folders (".DS_Store", ".git") are skipped; a video lying directly in
    `root` is an error rather than silently unlabelled data.
    """
    root = Path(root)
    if not root.is_dir():
        raise DatasetError(
            f"video folder {root}: not a folder; create it with one sub-folder per genre "
            "holding that genre's clips (<root>/<genre>/<clip>.mp4)"
        )
    loose = sorted(p.name for p in root.iterdir() if p.suffix.lower() in VIDEO_SUFFIXES)
    if loose:
        raise DatasetError(
            f"video folder {root}: {', '.join(loose)} not inside a genre folder; move each "
            "clip into <root>/<genre>/ so its label is known"
        )
    videos = [
        (path, genre_label(folder.name))
        for folder in sorted(root.iterdir())
        if folder.is_dir() and not folder.name.startswith(".")
        for path in sorted(folder.iterdir())
        if path.is_file() and path.suffix.lower() in VIDEO_SUFFIXES and path.name[0] != "."
    ]
    if not videos:
        raise DatasetError(
            f"video folder {root}: no videos ({'/'.join(VIDEO_SUFFIXES)}) in any genre "
            "sub-folder; put clips at <root>/<genre>/<clip>.mp4"
        )
    return videos
