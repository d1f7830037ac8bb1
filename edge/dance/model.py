"""The dance model folder (models/dance/): metadata.json and the TFLite LSTM it names."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from edge.errors import UserError
from edge.pose.interpreter import load_interpreter

REPO = Path(__file__).resolve().parents[2]
DEFAULT_DANCE_DIR = REPO / "models" / "dance"


class DanceModelError(UserError, ValueError):
    """The dance model folder is missing a file or its metadata is malformed."""


@dataclass(frozen=True)
class DanceMetadata:
    genres: tuple[str, ...]  # output order, AIST codes (gHO, ...)
    genre_names: tuple[str, ...]
    units_per_window: int
    unit_s: float
    model_file: str
    min_motion_energy: float  # below: "none" (nobody is dancing)
    min_confidence: float  # top probability below: "none" (not sure which genre)
    raw: dict[str, Any]


def load_metadata(folder: Path = DEFAULT_DANCE_DIR) -> DanceMetadata:
    path = Path(folder) / "metadata.json"
    if not path.is_file():
        raise DanceModelError(f"dance model metadata {path} is missing; run `make dance-model`")
    try:
        data = json.loads(path.read_text())
        return DanceMetadata(
            genres=tuple(data["genres"]),
            genre_names=tuple(data.get("genre_names", data["genres"])),
            units_per_window=int(data["units_per_window"]),
            unit_s=float(data["unit_s"]),
            model_file=str(data["model_file"]),
            min_motion_energy=float(data.get("min_motion_energy", 0.0)),
            min_confidence=float(data.get("min_confidence", 0.0)),
            raw=data,
        )
    except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        raise DanceModelError(f"dance model metadata {path}: {exc!r}; rebuild the model") from exc


class DanceModel:
    """One window (k, 252) of unit features -> genre probabilities, through LiteRT.

    Handles float and int8 input/output tensors (the quantization parameters are in the
    model), so either export runs unchanged.
    """

    def __init__(self, folder: Path = DEFAULT_DANCE_DIR, num_threads: int = 1) -> None:
        self.metadata = load_metadata(folder)
        self._interpreter = load_interpreter(Path(folder) / self.metadata.model_file, num_threads)
        self._input = self._interpreter.get_input_details()[0]
        self._output = self._interpreter.get_output_details()[0]
        expected = (1, self.metadata.units_per_window, 252)
        if tuple(self._input["shape"]) != expected:
            raise DanceModelError(
                f"{self.metadata.model_file}: input {tuple(self._input['shape'])}, metadata "
                f"says {expected}; rebuild the model"
            )

    def probabilities(self, window: np.ndarray) -> np.ndarray:
        tensor = window[None].astype(np.float32)
        if self._input["dtype"] != np.float32:
            scale, zero = self._input["quantization"]
            info = np.iinfo(self._input["dtype"])
            tensor = np.clip(np.round(tensor / scale + zero), info.min, info.max)
            tensor = tensor.astype(self._input["dtype"])
        self._interpreter.set_tensor(self._input["index"], tensor)
        self._interpreter.invoke()
        out = self._interpreter.get_tensor(self._output["index"])[0]
        if self._output["dtype"] != np.float32:
            scale, zero = self._output["quantization"]
            out = (out.astype(np.float32) - zero) * scale
        return out.astype(np.float32)
