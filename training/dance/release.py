"""The shipped model folder: both TFLite files and metadata.json (edge/dance/metadata.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from edge.dance.metadata import DanceMetadata, Genre
from edge.features import dance as features
from training.dance.export import QUANTIZATIONS, to_tflite
from training.dance.model import train_lstm
from training.dance.windows import (
    UNIT_S,
    dataset,
    genre_name,
    genres_of,
    split_tail,
    stack,
    with_mirrors,
)
from training.datasets.aistpp import Sequence
from training.datasets.labelled_folder import NONE

# Edge defaults (metadata.json). Energy: under every AIST++ sequence's 5th percentile (0.045)
# so dancing is never muted, above a still pose's ~0; but ballroom (smooth, 25 fps) has a
# median of 0.015, so a model's floor is the lower of this and the 1st percentile of its own
# dance training windows (motion_floor). Confidence: under it the edge says "none".
MIN_MOTION_ENERGY, MIN_CONFIDENCE = 0.03, 0.5
FLOOR_PERCENTILE = 1


def motion_floor(dance_windows: np.ndarray) -> float:
    """min_motion_energy for a model trained on these (non-"none") windows: at most 1 % of
    them would be muted; the "none" class, not this floor, is what rejects exercise."""
    energy = features.motion_energy(dance_windows)
    return min(MIN_MOTION_ENERGY, float(np.percentile(energy, FLOOR_PERCENTILE)))


def model_file(k: int, quantization: str) -> str:
    return f"dance_k{k}_{quantization}.tflite"


def train_release(
    sequences: list[Sequence], k: int, out: Path, data: str, bench: Path,
    k_choice: dict[str, Any] | None = None,
) -> None:  # fmt: skip
    """Train on every sequence given; write both TFLite files and metadata.json for the edge.
    `k_choice`: how k was chosen (training.dance.choose_k), recorded in the metadata."""
    genres = genres_of(sequences)
    parts = dataset(with_mirrors(sequences), k, genres)
    x_tr, y_tr, x_val, y_val = split_tail(parts, k)
    dance = [w for w, g in parts if genres[g] != NONE]
    model = train_lstm(x_tr, y_tr, x_val, y_val, k, len(genres))
    out.mkdir(parents=True, exist_ok=True)
    for q in QUANTIZATIONS:
        (out / model_file(k, q)).write_bytes(to_tflite(model, k, q, x_tr))
    report = json.loads(bench.read_text()) if bench.is_file() else {"rows": []}
    scores = next((r for r in report["rows"] if r["k"] == k), {})
    DanceMetadata(
        genres=tuple(Genre(g, genre_name(g)) for g in genres), units_per_window=k, unit_s=UNIT_S,
        model_file=model_file(k, "int8"), float32_model_file=model_file(k, "float32"),
        min_motion_energy=motion_floor(np.concatenate(dance)), min_confidence=MIN_CONFIDENCE,
        training_data={
            "data": data, "sequences": [s.name for s in sequences],
            "dancers": sorted({s.dancer for s in sequences}), "windows": len(x_tr) + len(x_val),
            "motion_energy_p5": float(np.percentile(features.motion_energy(stack(parts)[0]), 5)),
            "tensorflow": tf.__version__, "keras": keras.__version__,
            "k_choice": k_choice or {"chosen": k, "rule": "given (--k)"},
        },
        evaluation={
            "source": str(bench), "data": report.get("data"),
            "held_out": report.get("test_sequences"),
            **{key: v for key, v in scores.items() if key != "int8_confusion"},
        },
        notes="fps: differences are per 1/60 s as in AIST++; the edge passes its camera fps "
        "to StreamingFeatures. With one dancer per genre, accuracy measures dancer + genre.",
    ).write(out)  # fmt: skip
