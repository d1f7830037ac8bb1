"""AIST Dance Video DB metadata: which videos to use for genre classification, and the split.

The ISMIR 2019 AIST Dance DB paper's genre task uses the front camera (c01) of the advanced
choreographies (situation sFM): 10 genres x 3 dancers x 7 choreographies = 210 videos.
Per genre one dancer is held out for test (70 videos), so the score measures the genre and
not the dancer; the other two dancers give 126 train + 14 validation videos.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from training.datasets import GENRES, DatasetError

# The columns used, as the official table (refined_10M_sFM_all.csv) names them. Its other
# columns (FILE_NAME, URL, FILE_SIZE, SEC) are ignored.
HEADER: tuple[str, ...] = (
    "BASE_NAME", "GENRE", "SITUATION", "CAMERA", "DANCER", "MUSIC", "CHOREOGRAPHY",
)  # fmt: skip
# Other spellings accepted for the video-name column (FILE_NAME loses its ".mp4").
NAME_ALIASES: tuple[str, ...] = ("BASE_NAME", "VIDEO_NAME", "VIDEO", "FILE_NAME")
ADVANCED, FRONT = "sFM", "c01"
VAL_SHARE = 0.1  # 14 of the 140 train-side videos, as in the paper


@dataclass(frozen=True)
class AistVideo:
    """One row of the table: a video and the facts the split needs."""

    name: str
    genre: str
    situation: str
    camera: str
    dancer: str
    music: str
    choreography: str


def _key(header: str) -> str:
    """Headers compared case- and space-insensitively ("video name" == "VIDEO_NAME")."""
    return header.strip().upper().replace(" ", "_")


def read_videos(path: Path) -> list[AistVideo]:
    """Read the AIST Dance DB video table (refined_10M_<situation>_all.csv layout)."""
    path = Path(path)
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            by_key = {_key(h): h for h in reader.fieldnames or ()}
            name_col = next((by_key[a] for a in NAME_ALIASES if a in by_key), None)
            if name_col is None:
                raise DatasetError(
                    f"AIST table {path}: no video-name column (one of {', '.join(NAME_ALIASES)}); "
                    "use the official refined_10M_sFM_all.csv or add a BASE_NAME column"
                )
            for column in HEADER[1:]:
                if column not in by_key:
                    raise DatasetError(
                        f"AIST table {path}: missing column {column!r}; the table needs "
                        f"{', '.join(HEADER)} (the official refined_10M_sFM_all.csv has them)"
                    )
            videos = []
            for line, row in enumerate(reader, start=2):
                values = [(row[by_key[c]] or "").strip() for c in HEADER[1:]]
                if values[0] not in GENRES:
                    raise DatasetError(
                        f"AIST table {path} line {line}: unknown genre {values[0]!r}; "
                        f"fix the row (genres: {', '.join(GENRES)})"
                    )
                name = (row[name_col] or "").strip().removesuffix(".mp4")
                videos.append(AistVideo(name, *values))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise DatasetError(f"AIST table {path}: cannot read it ({exc}); check the path") from exc
    return videos


def select_advanced_front(videos: Iterable[AistVideo]) -> list[AistVideo]:
    """The front camera of the advanced choreographies: the paper's 210 videos.

    One camera only, because the 9 cameras film the same performance: spread over train and
    test they would leak it.
    """
    return [v for v in videos if v.situation == ADVANCED and v.camera == FRONT]


def _test_dancer(genre: str, dancers: list[str], choice: int | Mapping[str, str] | None) -> str:
    if choice is None:
        return dancers[-1]
    if isinstance(choice, Mapping):
        if choice.get(genre) not in dancers:
            raise DatasetError(f"test dancer for {genre} must be one of {dancers}, got {choice}")
        return choice[genre]
    if not -len(dancers) <= choice < len(dancers):
        raise DatasetError(f"test dancer index {choice} out of range for {genre}: {dancers}")
    return dancers[choice]


def split_by_dancer(
    videos: Iterable[AistVideo], test_dancer: int | Mapping[str, str] | None = None
) -> tuple[list[AistVideo], list[AistVideo], list[AistVideo]]:
    """(train, val, test): per genre one dancer's videos are test, no dancer in two sets.

    test_dancer: None = each genre's highest dancer id; an int = that position in each
    genre's sorted dancer ids (0..2, for 3-fold cross-validation); a mapping = genre -> id.

    Validation rule (deterministic, exactly 14 of 140 on the full table): sort each genre's
    train-side videos by (dancer, choreography); the k-th validation video, k = 0 .. 10% of
    the train side - 1, is video k of genre k mod 10 (genres in code order). So every genre
    has 1 or 2 validation videos from different dancers and choreography positions. Unlike
    the test split, validation shares dancers with training: it only picks epochs.
    """
    videos = list(videos)
    seen: dict[tuple[str, str, str], str] = {}
    for v in videos:
        performance = (v.dancer, v.music, v.choreography)
        if performance in seen:
            raise DatasetError(
                f"{v.name} and {seen[performance]} film the same performance; pass one camera "
                "(select_advanced_front) so it cannot land in two splits"
            )
        seen[performance] = v.name
    by_genre: dict[str, list[AistVideo]] = defaultdict(list)
    for v in videos:
        by_genre[v.genre].append(v)
    genres = [g for g in GENRES if g in by_genre]
    train_side: dict[str, list[AistVideo]] = {}
    test: list[AistVideo] = []
    for genre in genres:
        dancers = sorted({v.dancer for v in by_genre[genre]})
        held = _test_dancer(genre, dancers, test_dancer)
        test += [v for v in by_genre[genre] if v.dancer == held]
        rest = [v for v in by_genre[genre] if v.dancer != held]
        train_side[genre] = sorted(rest, key=lambda v: (v.dancer, v.choreography, v.name))
    n_val = round(VAL_SHARE * sum(len(side) for side in train_side.values()))
    val = [
        train_side[genres[k % len(genres)]][k]
        for k in range(n_val)
        if k < len(train_side[genres[k % len(genres)]])
    ]
    val_names = {v.name for v in val}
    train = [v for g in genres for v in train_side[g] if v.name not in val_names]
    leaked = {v.dancer for v in test} & {v.dancer for v in train + val}
    if leaked:
        raise DatasetError(f"dancers {sorted(leaked)} dance in two genres; hold them out by hand")
    return train, val, sorted(test, key=lambda v: v.name)
