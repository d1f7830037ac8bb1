"""The dance model folder (models/dance/): metadata.json and the TFLite LSTM it names."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from edge.dance.metadata import DanceMetadata, DanceModelError
from edge.paths import DEFAULT_DANCE_DIR
from edge.pose.interpreter import load_interpreter


def load_metadata(folder: Path = DEFAULT_DANCE_DIR) -> DanceMetadata:
    return DanceMetadata.read(folder)


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
        expected = (1, self.metadata.units_per_window, self.metadata.feature_dims)
        if tuple(self._input["shape"]) != expected:
            raise DanceModelError(
                f"{self.metadata.model_file}: input {tuple(self._input['shape'])}, metadata "
                f"says {expected}; rebuild the model"
            )
        genres = len(self.metadata.genres)
        if tuple(self._output["shape"]) != (1, genres):
            raise DanceModelError(
                f"{self.metadata.model_file}: output {tuple(self._output['shape'])}, metadata "
                f"names {genres} genres; rebuild the model"
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
