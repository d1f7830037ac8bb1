"""The shipped dance model on the edge: streaming genre events, 'none' when nobody
dances, and one-line errors for short clips and missing models."""

from __future__ import annotations

import json

import numpy as np
import pytest

from edge.dance.classifier import NONE, DanceClassifier
from edge.dance.model import DanceModel, DanceModelError, load_metadata
from edge.features.dance import frame_features, unit_features, windows
from edge.keypoints_io import KeypointTrack, from_coco17, save_npz
from tests.conftest import REPO, dancepose, shared_path


def aist_track(genre_folder: str) -> KeypointTrack:
    root = shared_path("data", "aistpp_small")
    scaler = np.load(root / "kps_scaler_extracted.npz")
    path = sorted((root / genre_folder / "nor_k_feat").glob("*.npy"))[0]
    pixels = np.load(path).reshape(-1, 17, 2) * scaler["scale"] + scaler["mean"]
    return from_coco17(pixels, fps=60.0, width=1920, height=1080, source=path.name)


def test_metadata_names_the_genres_and_the_window():
    meta = load_metadata()
    assert set(meta.genres) == {"gHO", "gKR", "gMH"}
    assert meta.units_per_window == 8 and meta.unit_s == pytest.approx(1 / 3)
    sizes = {p.name: p.stat().st_size for p in (REPO / "models" / "dance").glob("*.tflite")}
    assert sizes["dance_k8_int8.tflite"] <= sizes["dance_k8_float32.tflite"] / 3


def test_streaming_classifier_gives_one_event_per_unit_after_the_window_fills():
    track = aist_track("krump_dance")
    classifier = DanceClassifier(track.fps)
    events = [
        e
        for i in range(track.num_frames)
        if (e := classifier.push(track.landmarks[i] if track.present[i] else None, i / 60))
        is not None
    ]
    meta = classifier.model.metadata
    units = track.num_frames // 20
    assert len(events) == units - meta.units_per_window + 1
    assert all(abs(sum(e.probabilities.values()) - 1.0) < 0.02 for e in events)
    # the events are the batch windows, classified
    batch = windows(unit_features(frame_features(track.landmarks, 60.0), 20), 8)
    model = DanceModel()
    assert np.allclose(
        [events[0].probabilities[g] for g in meta.genres], model.probabilities(batch[0]), atol=1e-4
    )
    genres = [e.genre for e in events]
    assert genres.count("gKR") > len(genres) / 2, genres  # trained on this dancer: a sanity check


def test_a_person_standing_still_is_not_dancing():
    track = aist_track("house_dance")
    still = track.landmarks[100]
    classifier = DanceClassifier(60.0)
    events = [e for i in range(60 * 5) if (e := classifier.push(still, i / 60)) is not None]
    assert events and all(e.genre == NONE for e in events)


def test_dance_command_prints_a_line_per_window(tmp_path):
    track = aist_track("middlehiphop_dance")
    short = KeypointTrack(
        track.landmarks[:400], track.world[:400], track.present[:400], 60.0, 1920, 1080
    )
    save_npz(short, tmp_path / "mh.npz")
    result = dancepose("dance", str(tmp_path / "mh.npz"), "--json")
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(lines) == 400 // 20 - 8 + 1
    assert {"time_s", "genre", "confidence", "probabilities"} <= set(lines[0])


def test_a_clip_shorter_than_one_window_says_how_long_it_must_be(tmp_path):
    track = aist_track("house_dance")
    tiny = KeypointTrack(
        track.landmarks[:60], track.world[:60], track.present[:60], 60.0, 1920, 1080
    )
    save_npz(tiny, tmp_path / "tiny.npz")
    result = dancepose("dance", str(tmp_path / "tiny.npz"))
    assert result.returncode == 2
    assert "needs at least 2.7 s" in result.stderr and "Traceback" not in result.stderr


def test_a_missing_dance_model_names_the_folder(tmp_path):
    with pytest.raises(DanceModelError, match=r"metadata\.json is missing"):
        DanceModel(tmp_path)
    result = dancepose("dance", "x.npz", "--model", str(tmp_path))
    assert result.returncode == 2 and str(tmp_path) in result.stderr
