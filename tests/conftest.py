"""Shared fixtures: where the real data and the fetched models are."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


def shared_path(*parts: str) -> Path:
    """A path under ../shared, or skip (fresh clone) / fail (CI) with the reason."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        message = f"real data {path} is absent (it lives beside the repo as ../shared)"
        if os.environ.get("CI"):
            pytest.fail(message + "; CI must have it")
        pytest.skip(message + "; a fresh clone without it skips the real-data tests")
    return path


def dancepose(
    *args: str, timeout: float = 600, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    """Run the real console entry point, as a user would, capturing its output; `env`:
    variables added to this process's environment."""
    return subprocess.run(
        [sys.executable, "-m", "edge.cli", *args], cwd=REPO, capture_output=True, text=True,
        timeout=timeout, env=None if env is None else {**os.environ, **env},
    )  # fmt: skip


@pytest.fixture(scope="session")
def exercise_clips() -> list[Path]:
    return sorted(shared_path("data", "exercise_videos").glob("*.mp4"))


@pytest.fixture(scope="session")
def model_paths():
    from edge.pose.model_files import ModelFileError, resolve_models

    try:
        return resolve_models()
    except ModelFileError as exc:
        pytest.fail(f"{exc} (make test runs `make models` first)")


@pytest.fixture(scope="session")
def clip_track(model_paths):
    """Keypoints of a real clip by our LiteRT pipeline (edge.bench.counting.keypoints),
    computed once per test session: several tests count the same clips. A developer may set
    DANCEPOSE_KEYPOINT_CACHE to a folder to keep them between sessions (CI never does)."""
    from edge.bench.counting import cached

    cache = os.environ.get("DANCEPOSE_KEYPOINT_CACHE")
    keypoints = cached(Path(cache) if cache else None)
    tracks: dict[Path, object] = {}

    def track_of(video: Path):
        if video not in tracks:
            tracks[video] = keypoints(video)
        return tracks[video]

    return track_of
