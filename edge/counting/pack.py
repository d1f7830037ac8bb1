"""Exercise packs: one folder per exercise, everything the counter needs to count it.

    models/packs/<name>/
      pack.json          class names, which class is the rep's turning point, thresholds,
                         embedding options, visibility rule, provenance; the format's
                         `version`; a hold exercise's `hold` (a pose held, not reps)
      classifier.tflite  landmarks (1, 33, 3) -> votes (1, n_classes), embedding inside
      samples.npz        the labelled sample landmarks (N, 33, 3) and labels: the numpy
                         k-NN reference, and what `make packs` rebuilds the model from

A gym adds an exercise by dropping in a folder; no code changes.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from edge.counting.counter import ENTER_THRESHOLD, EXIT_THRESHOLD
from edge.counting.knn import KnnParams
from edge.counting.smoothing import DEFAULT_TAU_S, DEFAULT_WINDOW_S, seconds_from_frames
from edge.errors import UserError
from edge.features.embedding import EmbeddingOptions
from edge.paths import DEFAULT_PACKS_DIR
from edge.skeleton import BODY_FAMILIES, MIN_VISIBILITY

PACK_FILE, MODEL_FILE, SAMPLES_FILE = "pack.json", "classifier.tflite", "samples.npz"
# The pack format: 1, every pack until holds (no `version` key: read as 1); 2 adds `hold`.
PACK_VERSION = 2
# Packs written before the smoothing was in seconds give it in frames (read as 30 fps).
LEGACY_FRAME_KEYS = {"ema_window": 10, "ema_alpha": 0.2}


class PackError(UserError, ValueError):
    """A pack folder is incomplete or malformed; the message names the file and the fix."""


@dataclass(frozen=True)
class HoldSpec:
    """A hold exercise (plank, wall sit): the pack's count_class held, its seconds counted.

    A hold starts when the pose is entered (the pack's enter threshold) and lasts while it
    is not left (exit threshold) and the pack's key joints stay within `tolerance` torso
    lengths (RMS) of where they were as it began; it is published once it has lasted
    `min_s` (shorter: a rep's turning point, a pause). edge/counting/hold.py counts it."""

    tolerance: float = 0.25
    min_s: float = 2.0

    def check(self, where: str) -> None:
        numbers = all(isinstance(v, int | float) for v in (self.tolerance, self.min_s))
        if not (numbers and self.tolerance > 0 and self.min_s >= 0):
            raise PackError(f"{where}: hold.tolerance must be > 0 and hold.min_s >= 0 seconds")


@dataclass(frozen=True)
class PackSpec:
    """pack.json, typed. Every parameter is per exercise."""

    name: str
    class_names: tuple[str, ...] = ("up", "down")
    count_class: str = "down"  # a rep = entering this state and leaving it again
    embedding: EmbeddingOptions = field(default_factory=EmbeddingOptions)
    visible_joints: tuple[str, ...] = BODY_FAMILIES  # families one body side must show
    min_visibility: float = MIN_VISIBILITY
    knn: KnnParams = field(default_factory=KnnParams)
    balance_classes: bool = False  # divide votes by each class's share of the samples
    sample_counts: tuple[int, ...] = ()  # samples per class, in class_names order
    ema_window_s: float = DEFAULT_WINDOW_S  # votes younger than this are smoothed...
    ema_tau_s: float = DEFAULT_TAU_S  # ...weighted exp(-age / tau)
    enter_threshold: float = ENTER_THRESHOLD
    exit_threshold: float = EXIT_THRESHOLD
    min_hold_s: float = 0.0  # opt-in: a shorter visit to count_class is not a rep
    model_variant: str = "knn-float32"
    provenance: dict[str, Any] = field(default_factory=dict)
    hold: HoldSpec | None = None  # a hold exercise: seconds in count_class, not reps
    version: int = PACK_VERSION

    def to_json(self) -> str:
        data = asdict(self)
        data["embedding"] = self.embedding.as_dict()
        if self.hold is None:
            del data["hold"]
        return json.dumps(data, indent=2) + "\n"

    @classmethod
    def from_dict(cls, data: dict[str, Any], where: str) -> PackSpec:
        known = set(cls.__dataclass_fields__)
        unknown = set(data) - known - set(LEGACY_FRAME_KEYS)
        if unknown:
            raise PackError(f"{where}: unknown keys {sorted(unknown)}; known: {sorted(known)}")
        version = data.get("version", 1)  # packs before holds carry no version
        if not isinstance(version, int) or not 1 <= version <= PACK_VERSION:
            raise PackError(
                f"{where}: pack format version {version!r} is not one this dancepose reads "
                f"(1..{PACK_VERSION}); update dancepose or rebuild the pack"
            )
        try:
            values = _seconds_smoothing(dict(data), where)
            values["version"] = version
            hold = values.get("hold")
            if hold is not None:
                if version < 2:
                    raise PackError(f'{where}: `hold` needs "version": 2 or later')
                values["hold"] = HoldSpec(**hold)
            values["class_names"] = tuple(values.get("class_names", ("up", "down")))
            values["visible_joints"] = tuple(values.get("visible_joints", BODY_FAMILIES))
            values["sample_counts"] = tuple(values.get("sample_counts", ()))
            emb = values.get("embedding", {})
            values["embedding"] = EmbeddingOptions(
                upright=bool(emb.get("upright", False)),
                joints=tuple(emb.get("joints", BODY_FAMILIES)),
            )
            knn = dict(values.get("knn", {}))
            if "axes_weights" in knn:
                knn["axes_weights"] = tuple(knn["axes_weights"])
            values["knn"] = KnnParams(**knn)
            spec = cls(**values)
        except (TypeError, AttributeError) as exc:
            raise PackError(f"{where}: {exc}") from exc
        if spec.count_class not in spec.class_names:
            raise PackError(f"{where}: count_class {spec.count_class!r} not in class_names")
        if not spec.exit_threshold <= spec.enter_threshold:
            raise PackError(f"{where}: exit_threshold must not exceed enter_threshold")
        if not spec.min_hold_s >= 0:
            raise PackError(f"{where}: min_hold_s must be >= 0 seconds")
        if not (spec.ema_window_s > 0 and spec.ema_tau_s > 0):
            raise PackError(f"{where}: ema_window_s and ema_tau_s must be > 0 seconds")
        if spec.hold is not None:
            spec.hold.check(where)
        spec.embedding.pair_indices()  # raises on unknown joint families
        return spec


def _seconds_smoothing(values: dict[str, Any], where: str) -> dict[str, Any]:
    """An old pack's ema_window (frames) and ema_alpha, as ema_window_s and ema_tau_s."""
    legacy = {key: values.pop(key) for key in LEGACY_FRAME_KEYS if key in values}
    if not legacy:
        return values
    if {"ema_window_s", "ema_tau_s"} & set(values):
        raise PackError(
            f"{where}: give the smoothing either in seconds (ema_window_s, ema_tau_s) or in "
            "frames (ema_window, ema_alpha), not both; delete the frame keys"
        )
    frames = {**LEGACY_FRAME_KEYS, **legacy}
    try:
        values["ema_window_s"], values["ema_tau_s"] = seconds_from_frames(
            int(frames["ema_window"]), float(frames["ema_alpha"])
        )
    except (TypeError, ValueError) as exc:
        raise PackError(f"{where}: ema_window/ema_alpha: {exc}") from exc
    return values


@dataclass(frozen=True)
class ExercisePack:
    spec: PackSpec
    folder: Path

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def model_path(self) -> Path:
        return self.folder / MODEL_FILE

    def load_samples(self) -> tuple[np.ndarray, np.ndarray]:
        """(N, 33, 3) sample landmarks and (N,) integer labels."""
        path = self.folder / SAMPLES_FILE
        if not path.is_file():
            raise PackError(f"pack {self.folder}: missing {SAMPLES_FILE}; rebuild with make packs")
        with np.load(path) as data:
            return data["landmarks"].astype(np.float32), data["labels"].astype(np.int64)


def load_pack(folder: Path) -> ExercisePack:
    folder = Path(folder)
    for required in (PACK_FILE, MODEL_FILE):
        if not (folder / required).is_file():
            raise PackError(
                f"exercise pack {folder} is missing {required}; rebuild it "
                "(make packs, or python -m training.packs) or remove the folder"
            )
    where = f"exercise pack {folder / PACK_FILE}"
    try:
        data = json.loads((folder / PACK_FILE).read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise PackError(f"{where}: not valid JSON ({exc})") from exc
    if not isinstance(data, dict):
        raise PackError(f"{where}: expected a JSON object")
    return ExercisePack(PackSpec.from_dict(data, where), folder)


def installed_packs(packs_dir: Path = DEFAULT_PACKS_DIR) -> dict[str, Path]:
    """Exercise name -> pack folder, for every folder holding a pack.json."""
    if not packs_dir.is_dir():
        return {}
    return {p.parent.name: p.parent for p in sorted(packs_dir.glob(f"*/{PACK_FILE}"))}


def find_pack(name: str, packs_dir: Path = DEFAULT_PACKS_DIR) -> ExercisePack:
    packs = installed_packs(packs_dir)
    if name not in packs:
        listing = ", ".join(packs) or "none"
        raise PackError(f"unknown exercise {name!r}; installed packs: {listing} (in {packs_dir})")
    return load_pack(packs[name])


def write_pack(
    folder: Path, spec: PackSpec, model: bytes, landmarks: np.ndarray, labels: np.ndarray
) -> ExercisePack:
    """Write a complete pack (used by training/; the edge only reads)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / MODEL_FILE).write_bytes(model)
    np.savez_compressed(
        folder / SAMPLES_FILE, landmarks=landmarks.astype(np.float32), labels=labels.astype(np.int8)
    )
    (folder / PACK_FILE).write_text(spec.to_json())
    return ExercisePack(spec, folder)
