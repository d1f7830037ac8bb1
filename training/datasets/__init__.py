"""Readers for the dance data sets the genre classifier is trained and measured on.

Four readers, one vocabulary: the AIST Dance Video DB metadata table (`aist_db`), AIST++
keypoints (`aistpp`), a folder of labelled videos (`video_folder`) and a studio's labelled
clips of any kind: keypoints, videos or OpenPose folders (`labelled_folder`). An AIST genre
is named by its AIST code (gBR, gHO, ...), parsed here from the AIST file-naming rule, so a
label means the same thing whichever reader produced it; a studio's folders may also use
free names (video_folder.genre_label).
"""

from __future__ import annotations

import re
from pathlib import PurePath


class DatasetError(ValueError):
    """A data set file or folder is missing or malformed; the message names it and the fix."""


# The 10 AIST Dance DB genres, code -> name, in the order the AIST papers list them.
GENRES: dict[str, str] = {
    "gBR": "break",
    "gPO": "pop",
    "gLO": "lock",
    "gMH": "middle hip-hop",
    "gLH": "LA-style hip-hop",
    "gHO": "house",
    "gWA": "waack",
    "gKR": "krump",
    "gJS": "street jazz",
    "gJB": "ballet jazz",
}
GENRE_CODES: tuple[str, ...] = tuple(GENRES)

# AIST naming rule: gBR_sFM_c01_d04_mBR0_ch01 (videos) or gBR_sFM_cAll_... (AIST++ sequences).
# Each token is recognised by its own prefix, so group names with several dancers
# (gBR_sGR_c01_d01_d02_d03_mBR3_ch04) parse too.
_TOKENS: dict[str, re.Pattern[str]] = {
    "genre": re.compile(r"g[A-Za-z]{2}"),
    "situation": re.compile(r"s[A-Z]{2}"),
    "camera": re.compile(r"c(\d{2}|All)"),
    "dancer": re.compile(r"d\d{2}"),
    "music": re.compile(r"m[A-Z]{2}\d"),
    "choreography": re.compile(r"ch\d{2}"),
}


def _stem(name: str) -> str:
    """A bare sequence name from a name, file name or path (extension dropped)."""
    return PurePath(str(name)).name.split(".")[0]


def parse_name(name: str) -> dict[str, str]:
    """The tokens of an AIST video or sequence name: genre, situation, camera, dancer, music,
    choreography (the first dancer for group videos; absent tokens are left out).

    Reading them from the name, not a side table, is what lets AIST++ files and downloaded
    videos be labelled and split with no metadata beside them.
    """
    fields: dict[str, str] = {}
    for token in _stem(name).split("_"):
        for field, pattern in _TOKENS.items():
            if field not in fields and pattern.fullmatch(token):
                fields[field] = token
                break
    return fields


def genre_of(name: str) -> str:
    """The AIST genre code of a video or sequence name, e.g. "gHO_sFM_c01_d19_mHO1_ch04" -> gHO.

    An unknown code raises rather than becoming an 11th class: a typo in a file name would
    otherwise train a genre nobody asked for.
    """
    code = _stem(name).split("_")[0]
    if code not in GENRES:
        raise DatasetError(
            f"{name!r}: genre code {code!r} is not an AIST genre; rename the file so it "
            f"starts with one of {', '.join(GENRE_CODES)} (AIST naming: gXX_sXX_cXX_dXX_...)"
        )
    return code
