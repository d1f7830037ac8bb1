"""The repo root and the model folders, declared once; every default path starts here.

A checkout (or the Pi's /opt/dancepose) keeps models/ beside edge/, so the folders are
found from this file. ../shared, beside the repo, holds a developer's data sets and
reference models (read-only, absent on a Pi): only benches and tests look there.
"""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MODELS_DIR = REPO / "models"
DEFAULT_PACKS_DIR = MODELS_DIR / "packs"  # exercise packs, one folder each
DEFAULT_DANCE_DIR = MODELS_DIR / "dance"  # the dance model and its metadata.json
BLAZEPOSE_DIR = MODELS_DIR / "blazepose"  # what `make models` fetches
MODEL_CACHE_DIR = MODELS_DIR / ".cache"  # the mediapipe wheel the models come from
SHARED_DIR = REPO.parent / "shared"
SHARED_DATA_DIR = SHARED_DIR / "data"
DEFAULT_ROUTINES_DIR = MODELS_DIR / "routines"  # recorded follow-the-teacher routines
