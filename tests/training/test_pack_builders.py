"""`python -m training.packs`: the three ways a gym builds a pack, run as a user runs them,
on real photos, real landmark CSVs and a real clip. Each built pack must load on the edge
and classify or count what it was built from.

Runs in .venv-train (TensorFlow converts the classifier).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("tensorflow", reason="training tests run in .venv-train")

from edge.counting.classifier import TfliteVotes
from edge.counting.clip import count_track
from edge.counting.pack import load_pack
from edge.keypoints_io import load_npz, read_pose_csv
from tests.conftest import REPO, dancepose, shared_path


def build(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "training.packs", *args], cwd=REPO, capture_output=True,
        text=True, timeout=600,
    )  # fmt: skip


def agreement(pack_folder: Path) -> float:
    """Share of the pack's own samples its TFLite classifier votes into their own class."""
    pack = load_pack(pack_folder)
    landmarks, labels = pack.load_samples()
    classifier = TfliteVotes(pack)
    votes = np.array([classifier.votes(pose) for pose in landmarks])
    return float(np.mean(votes.argmax(axis=1) == labels))


def test_from_images_runs_the_pose_model_and_writes_the_csvs(tmp_path):
    photos = shared_path("data", "pose_samples", "images")
    for state in ("up", "down"):
        (tmp_path / "photos" / state).mkdir(parents=True)
        for photo in sorted((photos / f"squats_{state}").glob("*.jpg"))[:12]:
            shutil.copy(photo, tmp_path / "photos" / state / photo.name)
    (tmp_path / "photos" / "up" / "broken.jpg").write_bytes(b"not a jpeg")

    result = build("--out", str(tmp_path / "packs"), "from-images", "mysquat",
                   str(tmp_path / "photos"), "--min-hold", "0.4")  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "broken.jpg: not a readable image" in result.stderr
    pack = load_pack(tmp_path / "packs" / "mysquat")
    names, up = read_pose_csv(tmp_path / "photos" / "up.csv")  # MediaPipe's CSV format
    _, down = read_pose_csv(tmp_path / "photos" / "down.csv")
    assert "broken.jpg" not in names
    assert pack.spec.sample_counts == (len(up), len(down)) and len(up) >= 10 <= len(down)
    assert pack.spec.min_hold_s == 0.4
    assert agreement(pack.folder) >= 0.9


def test_from_csv_builds_from_mediapipe_landmark_csvs(tmp_path):
    samples = shared_path("data", "pose_samples")
    result = build("--out", str(tmp_path), "from-csv", "squat_csv",
                   "--up", str(samples / "squats_up.csv"),
                   "--down", str(samples / "squats_down.csv"))  # fmt: skip
    assert result.returncode == 0, result.stderr
    pack = load_pack(tmp_path / "squat_csv")
    rows = [len(read_pose_csv(samples / f"squats_{s}.csv")[1]) for s in ("up", "down")]
    assert list(pack.spec.sample_counts) == rows
    assert pack.spec.provenance["built_by"] == "from-csv"
    assert agreement(pack.folder) >= 0.9


def test_from_video_pack_counts_its_own_clip(tmp_path, model_paths):
    clip = shared_path("data", "exercise_videos", "squat_side_3.mp4")
    keypoints = tmp_path / "squat.npz"
    assert dancepose("pose", str(clip), "--out", str(keypoints)).returncode == 0
    result = build("--out", str(tmp_path / "packs"), "from-video", "squat_v", str(keypoints),
                   "--joints", "shoulder", "hip", "knee", "ankle")  # fmt: skip
    assert result.returncode == 0, result.stderr
    pack = load_pack(tmp_path / "packs" / "squat_v")
    spec = json.loads((pack.folder / "pack.json").read_text())
    assert spec["provenance"]["reps_seen"] == 3 and spec["min_hold_s"] == 0.0
    assert count_track(load_npz(keypoints), pack).reps == 3


def test_a_missing_photo_folder_or_csv_is_one_line(tmp_path):
    (tmp_path / "photos" / "up").mkdir(parents=True)
    result = build("--out", str(tmp_path / "packs"), "from-images", "x", str(tmp_path / "photos"))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "photos/down not found" in result.stderr
    result = build("--out", str(tmp_path), "from-csv", "x", "--up", "no.csv", "--down", "no.csv")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "pose CSV no.csv: cannot read it" in result.stderr


def test_a_negative_min_hold_is_refused(tmp_path):
    result = build("from-csv", "x", "--up", "a.csv", "--down", "b.csv", "--min-hold", "-1")
    assert result.returncode == 2 and "not a duration in seconds" in result.stderr
