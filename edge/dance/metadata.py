"""models/dance/metadata.json: the one reader and writer, used by training and the edge.

Training (training.dance.release) builds a DanceMetadata and calls `write`; the edge calls
`read`. Both stamp or check two versions, so a model never meets features it was not
trained on:

- `format_version`: the layout of this file (FORMAT_VERSION below);
- `feature_version`: edge.features.dance.FEATURE_VERSION when the model was trained.

A mismatch is one line naming the file and the fix (`make dance-model`).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from edge.errors import UserError
from edge.features.dance import FEATURE_VERSION, REFERENCE_FPS, UNIT_DIMS

METADATA_FILE = "metadata.json"
# The class of non-dance motion, and what a verdict says when no genre is named.
NONE = "none"
# 1: parallel "genres" / "genre_names" lists and a duplicate "k" (no format_version key).
# 2: "genres" is a list of {"code", "name"}; format_version and feature_version checked.
FORMAT_VERSION = 2
# A window is dancing when the model gives "none" at most 1 - this. 0.5 ("none" less likely
# than not) called 10.5 % of held-out non-dance windows dancing, 0.9 3.5 %, with held-out
# AIST++ and ballroom still 1.00 and 0.98 (docs/dance_features.md, "Dancing, and which genre").
MIN_DANCING = 0.9
REBUILD = "rebuild it with `make dance-model` (or install a models/dance/ built for this version)"


class DanceModelError(UserError, ValueError):
    """The dance model folder is missing a file or its metadata is malformed."""


@dataclass(frozen=True)
class Genre:
    code: str  # AIST code: gBR, gHO, ...
    name: str  # what a person reads: "break", "house", ...


@dataclass(frozen=True)
class DanceMetadata:
    genres: tuple[Genre, ...]  # in the model's output order
    units_per_window: int  # k: the LSTM's input is (k, feature_dims)
    unit_s: float
    model_file: str  # the one the edge runs (int8)
    min_motion_energy: float  # below: "none" (nobody is dancing)
    min_confidence: float  # a genre's probability below: no genre named (not sure which)
    float32_model_file: str | None = None
    fps: float = REFERENCE_FPS  # differences in the features are per 1/fps s
    min_dancing: float = MIN_DANCING  # 1 - P("none") below: not dancing
    feature_dims: int = UNIT_DIMS
    training_data: dict[str, Any] = field(default_factory=dict)  # provenance, free-form
    evaluation: dict[str, Any] = field(default_factory=dict)  # held-out scores, free-form
    notes: str = ""
    feature_version: int = FEATURE_VERSION
    format_version: int = FORMAT_VERSION

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(g.code for g in self.genres)

    def name_of(self, code: str) -> str:
        """The human name of a genre code of this model ("gHO" -> "house")."""
        for genre in self.genres:
            if genre.code == code:
                return genre.name
        raise KeyError(f"genre {code!r} is not one of this model's {self.codes}")

    def to_json(self) -> str:
        data = asdict(self)
        versions = {key: data.pop(key) for key in ("format_version", "feature_version")}
        return json.dumps(versions | data, indent=2) + "\n"  # the versions read first

    def write(self, folder: Path) -> Path:
        path = Path(folder) / METADATA_FILE
        path.write_text(self.to_json())
        return path

    @classmethod
    def from_json(cls, text: str, source: Path | str = METADATA_FILE) -> DanceMetadata:
        """Parse and check; any problem is a DanceModelError naming `source` and the fix."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise DanceModelError(f"{source} is not JSON ({exc}); {REBUILD}") from None
        if not isinstance(data, dict):
            raise DanceModelError(f"{source} must hold a JSON object; {REBUILD}")
        fields = _Fields(data, source)
        fmt = data.get("format_version", 1)
        if fmt != FORMAT_VERSION:
            raise DanceModelError(
                f"{source} is dance model metadata format {fmt}, this DancePose reads format "
                f"{FORMAT_VERSION}; {REBUILD}"
            )
        version = fields.get("feature_version", int)
        if version != FEATURE_VERSION:
            raise DanceModelError(
                f"{source}: the dance model was trained on dance features version {version}, "
                f"this DancePose computes version {FEATURE_VERSION} (edge/features/dance.py); "
                f"{REBUILD}"
            )
        dims = fields.get("feature_dims", int)
        if dims != UNIT_DIMS:
            raise DanceModelError(
                f"{source}: feature_dims is {dims}, edge.features.dance gives {UNIT_DIMS}; "
                f"{REBUILD}"
            )
        genres = fields.get("genres", list)
        if not genres or not all(
            isinstance(g, dict) and all(isinstance(g.get(key), str) for key in ("code", "name"))
            for g in genres
        ):
            raise DanceModelError(
                f'{source}: genres must be a non-empty list of {{"code": ..., "name": ...}}; '
                f"{REBUILD}"
            )
        meta = cls(
            genres=tuple(Genre(g["code"], g["name"]) for g in genres),
            units_per_window=fields.get("units_per_window", int),
            unit_s=fields.get("unit_s", float),
            model_file=fields.get("model_file", str),
            min_motion_energy=fields.get("min_motion_energy", float),
            min_confidence=fields.get("min_confidence", float),
            float32_model_file=fields.get("float32_model_file", str, optional=True),
            fps=fields.get("fps", float),
            min_dancing=_default(fields.get("min_dancing", float, optional=True), MIN_DANCING),
            feature_dims=dims,
            training_data=fields.get("training_data", dict, optional=True) or {},
            evaluation=fields.get("evaluation", dict, optional=True) or {},
            notes=fields.get("notes", str, optional=True) or "",
            feature_version=version,
            format_version=fmt,
        )
        if len(set(meta.codes)) != len(meta.codes):
            raise DanceModelError(f"{source}: genre codes repeat ({meta.codes}); {REBUILD}")
        if not 0 < meta.min_dancing <= 1:
            raise DanceModelError(f"{source}: min_dancing must be in (0, 1]; {REBUILD}")
        if meta.units_per_window < 1 or meta.unit_s <= 0 or meta.fps <= 0:
            raise DanceModelError(
                f"{source}: units_per_window, unit_s and fps must be positive; {REBUILD}"
            )
        return meta

    @classmethod
    def read(cls, folder: Path) -> DanceMetadata:
        path = Path(folder) / METADATA_FILE
        if not path.is_file():
            raise DanceModelError(f"dance model metadata {path} is missing; run `make dance-model`")
        return cls.from_json(path.read_text(), path)


def _default(value: Any, default: Any) -> Any:
    return default if value is None else value


class _Fields:
    """Typed look-ups in the parsed JSON, each failure naming the key."""

    def __init__(self, data: dict[str, Any], source: Path | str) -> None:
        self.data, self.source = data, source

    def get(self, key: str, kind: type, optional: bool = False) -> Any:
        if key not in self.data or (optional and self.data[key] is None):
            if optional:
                return None
            raise DanceModelError(f"{self.source} has no {key!r}; {REBUILD}")
        value = self.data[key]
        numeric = kind is float and isinstance(value, int | float)
        if isinstance(value, bool) or not (numeric or isinstance(value, kind)):
            raise DanceModelError(
                f"{self.source}: {key} must be {kind.__name__}, got {value!r}; {REBUILD}"
            )
        return float(value) if kind is float else value
