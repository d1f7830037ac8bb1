"""The committed exercise packs on the edge: they load, agree with the k-NN they encode,
count nothing when nobody exercises, and fail with one clear line when broken."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from edge.counting.classifier import NumpyKnn, TfliteVotes
from edge.counting.clip import count_track
from edge.counting.pack import DEFAULT_PACKS_DIR, PackError, find_pack, installed_packs, load_pack
from edge.features.embedding import mirror
from edge.keypoints_io import KeypointTrack, save_npz
from tests.conftest import dancepose, shared_path
from training.bench.counting import keypoints

DEFAULT_PACKS = ("lunge", "pushup", "squat")


@pytest.fixture(scope="module")
def walking(model_paths) -> KeypointTrack:
    return keypoints(shared_path("data", "dance_videos", "jacky_walk.mp4"))


def test_default_packs_are_installed_small_and_documented():
    packs = installed_packs()
    assert set(DEFAULT_PACKS) <= set(packs)
    for name in DEFAULT_PACKS:
        pack = load_pack(packs[name])
        size = sum(f.stat().st_size for f in pack.folder.iterdir())
        assert size < 1_000_000, f"{name} pack is {size} bytes"
        assert pack.spec.provenance.get("samples"), "provenance must say where samples came from"
        assert sum(pack.spec.sample_counts) == len(pack.load_samples()[1])


@pytest.mark.parametrize("name", DEFAULT_PACKS)
def test_pack_model_agrees_with_the_numpy_knn(name):
    pack = find_pack(name)
    tflite, reference = TfliteVotes(pack), NumpyKnn(pack)
    landmarks, _ = pack.load_samples()
    poses = np.concatenate([landmarks, mirror(landmarks)])
    same = [int(np.argmax(tflite.votes(p))) == int(np.argmax(reference.votes(p))) for p in poses]
    assert np.mean(same) >= 0.99, f"{name}: {np.mean(same):.3f} of decisions agree"


@pytest.mark.parametrize("name", DEFAULT_PACKS)
def test_walking_in_and_out_counts_no_reps(walking, name):
    assert count_track(walking, find_pack(name)).reps == 0


def test_count_json_on_a_keypoints_file(tmp_path, walking):
    npz = tmp_path / "walk.npz"
    save_npz(walking, npz)
    result = dancepose("count", str(npz), "--exercise", "squat", "--json")
    assert result.returncode == 0, result.stderr
    counted = json.loads(result.stdout)
    assert {k: counted[k] for k in ("exercise", "reps", "partial", "rep_times_s")} == {
        "exercise": "squat",
        "reps": 0,
        "partial": 0,
        "rep_times_s": [],
    }


def test_unknown_exercise_lists_the_installed_packs():
    result = dancepose("count", "whatever.mp4", "--exercise", "burpee")
    assert result.returncode == 2
    assert "unknown exercise 'burpee'" in result.stderr
    for name in DEFAULT_PACKS:
        assert name in result.stderr
    assert "Traceback" not in result.stderr


def test_broken_pack_names_the_missing_file(tmp_path):
    broken = tmp_path / "packs" / "squat"
    shutil.copytree(DEFAULT_PACKS_DIR / "squat", broken)
    (broken / "classifier.tflite").unlink()
    with pytest.raises(PackError, match=r"missing classifier\.tflite"):
        load_pack(broken)
    result = dancepose("count", "x.npz", "--exercise", "squat", "--packs", str(tmp_path / "packs"))
    assert result.returncode == 2 and "missing classifier.tflite" in result.stderr


def test_video_with_no_person_says_so(tmp_path, walking):
    empty = KeypointTrack.from_results([None] * 10, 30.0, 320, 240)
    save_npz(empty, tmp_path / "empty.npz")
    result = dancepose("count", str(tmp_path / "empty.npz"), "--exercise", "squat")
    assert result.returncode == 2 and "no person found" in result.stderr


def test_default_packs_are_built_from_the_shared_photos():
    """Provenance names the exact photos (a digest per state) that `make packs` ran the
    pose model on, and the samples are the photos where a person was found."""
    from training.packs import folder_digest

    samples_dir = shared_path("data", "pose_samples")
    for name in DEFAULT_PACKS:
        pack = find_pack(name)
        recorded = pack.spec.provenance["samples"]
        for state, count in zip(pack.spec.class_names, pack.spec.sample_counts, strict=True):
            photos = samples_dir / recorded[state]["folder"]
            assert recorded[state]["sha256"] == folder_digest(photos)
            assert recorded[state]["with_person"] == count <= recorded[state]["images"]


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        ({"min_hold_s": -0.5}, "min_hold_s must be >= 0"),
        ({"exit_threshold": 7.0}, "exit_threshold must not exceed enter_threshold"),
        ({"count_class": "middle"}, "count_class 'middle' not in class_names"),
        ({"holdtime": 1}, "unknown keys ['holdtime']"),
        ({"ema_tau_s": 0.0}, "ema_window_s and ema_tau_s must be > 0"),
    ],
)
def test_malformed_pack_json_names_the_file_and_the_field(tmp_path, edit, message):
    broken = tmp_path / "squat"
    shutil.copytree(DEFAULT_PACKS_DIR / "squat", broken)
    spec = json.loads((broken / "pack.json").read_text())
    (broken / "pack.json").write_text(json.dumps({**spec, **edit}))
    with pytest.raises(PackError) as failure:
        load_pack(broken)
    assert str(broken / "pack.json") in str(failure.value)
    assert message in str(failure.value)


def test_a_pack_with_the_smoothing_in_frames_still_loads(tmp_path):
    """Packs written before the smoothing was in seconds carry ema_window (frames) and
    ema_alpha: read at 30 fps, they smooth exactly as the seconds defaults do."""
    old = tmp_path / "squat"
    shutil.copytree(DEFAULT_PACKS_DIR / "squat", old)
    spec = json.loads((old / "pack.json").read_text())
    del spec["ema_window_s"], spec["ema_tau_s"]
    (old / "pack.json").write_text(json.dumps({**spec, "ema_window": 10, "ema_alpha": 0.2}))
    current = find_pack("squat").spec
    loaded = load_pack(old).spec
    assert loaded.ema_window_s == pytest.approx(current.ema_window_s)
    assert loaded.ema_tau_s == pytest.approx(current.ema_tau_s)
    (old / "pack.json").write_text(json.dumps({**spec, "ema_window": 10, "ema_tau_s": 0.1}))
    with pytest.raises(PackError, match="either in seconds"):
        load_pack(old)
