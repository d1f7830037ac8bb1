"""The shipped dance model on the edge: streaming genre events, 'none' when nobody
dances, and one-line errors for short clips, missing models and mismatched metadata."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from edge.dance.classifier import NONE, DanceClassifier
from edge.dance.metadata import FORMAT_VERSION, DanceMetadata, Genre
from edge.dance.model import DEFAULT_DANCE_DIR, DanceModel, DanceModelError, load_metadata
from edge.features.dance import FEATURE_VERSION, frame_features, unit_features, windows
from edge.keypoints_io import KeypointTrack, from_coco17, load_npz, save_npz
from tests.conftest import REPO, dancepose, shared_path


def aist_track(genre_folder: str) -> KeypointTrack:
    root = shared_path("data", "aistpp_small")
    scaler = np.load(root / "kps_scaler_extracted.npz")
    path = sorted((root / genre_folder / "nor_k_feat").glob("*.npy"))[0]
    pixels = np.load(path).reshape(-1, 17, 2) * scaler["scale"] + scaler["mean"]
    return from_coco17(pixels, fps=60.0, width=1920, height=1080, source=path.name)


def test_metadata_names_the_genres_and_the_window():
    meta = load_metadata()
    assert meta.codes == ("gMH", "gHO", "gKR", "chacha", "none", "rumba", "waltz")
    assert [meta.name_of(c) for c in meta.codes[:3]] == ["middle hip-hop", "house", "krump"]
    assert meta.name_of("waltz") == "waltz" and meta.name_of("none") == NONE
    assert (meta.format_version, meta.feature_version) == (FORMAT_VERSION, FEATURE_VERSION)
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
        [events[0].probabilities[g] for g in meta.codes], model.probabilities(batch[0]), atol=1e-4
    )
    genres = [e.genre for e in events]
    assert genres.count("gKR") > len(genres) / 2, genres  # trained on this dancer: a sanity check


def test_the_shipped_model_names_ballroom_and_says_none_for_its_exercise_clips():
    """In-sample (both are in its training data): a sanity check that the folder genres and
    the none class made it into the shipped files."""
    waltz = load_npz(shared_path("data", "ballroom", "waltz", "DANCE_W_1.npz"))
    classifier = DanceClassifier(waltz.fps)
    events = [
        e
        for i in range(waltz.num_frames)
        if (e := classifier.push(waltz.landmarks[i] if waltz.present[i] else None, i / 25))
    ]
    assert [e.genre_name for e in events].count("waltz") > 0.8 * len(events)


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
    assert {"time_s", "genre", "genre_name", "dancing", "confidence", "probabilities"} <= set(
        lines[0]
    )
    names = {g.code: g.name for g in load_metadata().genres} | {"none": "none", None: None}
    assert all(line["genre_name"] == names[line["genre"]] for line in lines)
    assert all(0 <= line["dancing"] <= 1 for line in lines)
    assert np.mean([line["genre"] != "none" for line in lines]) > 0.9  # a real dance


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


def test_metadata_round_trips_through_its_one_reader_and_writer(tmp_path):
    meta = DanceMetadata(
        genres=(Genre("gBR", "break"), Genre("gWA", "waack")), units_per_window=4,
        unit_s=0.25, model_file="m.tflite", min_motion_energy=0.01, min_confidence=0.4,
        training_data={"sequences": ["a", "b"]}, notes="n",
    )  # fmt: skip
    path = meta.write(tmp_path)
    data = json.loads(path.read_text())
    assert list(data)[:2] == ["format_version", "feature_version"]
    assert data["genres"] == [{"code": "gBR", "name": "break"}, {"code": "gWA", "name": "waack"}]
    assert DanceMetadata.read(tmp_path) == meta
    assert meta.codes == ("gBR", "gWA") and meta.name_of("gWA") == "waack"
    with pytest.raises(KeyError, match="'gHO' is not one of"):
        meta.name_of("gHO")


def shipped_copy(tmp_path: Path, **changes: object) -> Path:
    """models/dance/ copied, its metadata.json with some keys changed (None: deleted)."""
    folder = tmp_path / "dance"
    shutil.copytree(DEFAULT_DANCE_DIR, folder)
    data = json.loads((folder / "metadata.json").read_text())
    for key, value in changes.items():
        if value is None:
            del data[key]
        else:
            data[key] = value
    (folder / "metadata.json").write_text(json.dumps(data))
    return folder


def test_a_model_built_for_other_features_is_refused_in_one_line(tmp_path):
    folder = shipped_copy(tmp_path, feature_version=FEATURE_VERSION + 1)
    with pytest.raises(DanceModelError) as error:
        DanceModel(folder)
    message = str(error.value)
    assert str(folder / "metadata.json") in message and "\n" not in message
    assert f"features version {FEATURE_VERSION + 1}" in message
    assert f"computes version {FEATURE_VERSION}" in message and "make dance-model" in message
    result = dancepose("dance", "x.npz", "--model", str(folder))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert f"features version {FEATURE_VERSION + 1}" in result.stderr


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"format_version": None}, "metadata format 1, this DancePose reads format 2"),
        ({"format_version": 3}, "metadata format 3, this DancePose reads format 2"),
        ({"feature_version": None}, "has no 'feature_version'"),
        ({"feature_dims": 126}, "feature_dims is 126, edge.features.dance gives 252"),
        ({"units_per_window": "8"}, "units_per_window must be int, got '8'"),
        ({"min_confidence": None}, "has no 'min_confidence'"),
        ({"genres": ["gHO", "gKR", "gMH"]}, 'genres must be a non-empty list of {"code"'),
    ],
)
def test_malformed_metadata_names_the_file_the_key_and_the_fix(tmp_path, changes, expected):
    folder = shipped_copy(tmp_path, **changes)
    with pytest.raises(DanceModelError, match="make dance-model") as error:
        load_metadata(folder)
    assert expected in str(error.value) and str(folder / "metadata.json") in str(error.value)


def test_metadata_that_disagrees_with_the_model_file_is_refused(tmp_path):
    meta = load_metadata(shipped_copy(tmp_path))
    folder = tmp_path / "dance"
    dataclasses.replace(meta, genres=meta.genres[:2]).write(folder)
    with pytest.raises(DanceModelError, match=r"output \(1, 7\), metadata names 2 genres"):
        DanceModel(folder)


def test_a_window_is_dancing_with_a_genre_only_when_the_model_is_sure_of_one():
    from edge.dance.classifier import decide

    meta = DanceMetadata(
        genres=(Genre("gHO", "house"), Genre(NONE, NONE), Genre("waltz", "waltz")),
        units_per_window=8, unit_s=1 / 3, model_file="m.tflite", min_motion_energy=0.01,
        min_confidence=0.5, min_dancing=0.5,
    )  # fmt: skip
    assert decide(np.array([0.8, 0.1, 0.1]), 0.1, meta) == pytest.approx((0.9, "gHO"))
    # dancing (none is 0.2) but no genre is sure: dancing, style not known
    assert decide(np.array([0.4, 0.2, 0.4]), 0.1, meta) == pytest.approx((0.8, None))
    assert decide(np.array([0.3, 0.6, 0.1]), 0.1, meta) == pytest.approx((0.4, NONE))
    assert decide(np.array([0.8, 0.1, 0.1]), 0.001, meta) == (0.0, NONE)  # a still body
    # without a class "none" every moving window is dancing
    two = dataclasses.replace(meta, genres=(Genre("gHO", "house"), Genre("waltz", "waltz")))
    assert decide(np.array([0.45, 0.55]), 0.1, two) == (1.0, "waltz")
    assert decide(np.array([0.5, 0.5]), 0.001, two) == (0.0, NONE)


def test_every_window_of_the_shipped_model_says_dancing_and_agrees_with_its_genre():
    track = aist_track("house_dance")
    classifier = DanceClassifier(track.fps, DEFAULT_DANCE_DIR)
    events = [
        e
        for i in range(track.num_frames)
        if (e := classifier.push(track.landmarks[i], i / track.fps))
    ]
    assert events
    for event in events:
        assert 0.0 <= event.dancing <= 1.0
        assert (event.genre == NONE) == (event.dancing < classifier.model.metadata.min_dancing)
        assert (event.genre is None) == (event.genre_name is None)
    assert np.mean([e.is_dancing for e in events]) > 0.9
