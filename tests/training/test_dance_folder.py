"""A studio's labelled folder (<genre>/<clip>.npz): read, split, train, and run on the edge.

Real clips: the ballroom keypoint files of ../shared/data/ballroom (linked, not copied).
Runs in .venv-train (TensorFlow) for the training parts.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from edge.keypoints_io import load_npz
from tests.conftest import dancepose, shared_path
from training.datasets import DatasetError
from training.datasets.labelled_folder import hold_out, load_folder

BALLROOM = shared_path("data", "ballroom")


def link_folder(root: Path, clips: dict[str, list[str]]) -> Path:
    for genre, names in clips.items():
        (root / genre).mkdir(parents=True)
        for name in names:
            (root / genre / f"{name}.npz").symlink_to(BALLROOM / genre / f"{name}.npz")
    return root


SMALL = {
    "chacha": ["DANCE_C_2", "DANCE_C_4", "DANCE_C_6"],
    "waltz": ["DANCE_W_1", "DANCE_W_11", "DANCE_W_13"],
}


def test_a_folder_is_read_with_its_labels_and_split_by_clip(tmp_path: Path) -> None:
    sequences = load_folder(link_folder(tmp_path, SMALL))
    assert [(s.name, s.genre, s.dancer) for s in sequences][:2] == [
        ("chacha/DANCE_C_2", "chacha", "chacha/DANCE_C_2"),
        ("chacha/DANCE_C_4", "chacha", "chacha/DANCE_C_4"),
    ]
    assert sequences[0].track.fps == 25.0 and sequences[0].track.num_frames > 1000
    train, test = hold_out(sequences)
    assert [s.name for s in test] == ["chacha/DANCE_C_6", "waltz/DANCE_W_13"]
    assert not {s.name for s in train} & {s.name for s in test}
    folds = [[s.name for s in hold_out(sequences, fold)[1]] for fold in (0, 1)]
    assert folds == [
        ["chacha/DANCE_C_2", "waltz/DANCE_W_1"], ["chacha/DANCE_C_4", "waltz/DANCE_W_11"],
    ]  # fmt: skip
    with pytest.raises(DatasetError, match=r"fold 3: use 0\.\.2"):
        hold_out(sequences, 3)


def test_performers_csv_keeps_a_performer_on_one_side(tmp_path: Path) -> None:
    root = link_folder(tmp_path, SMALL)
    csv = root / "performers.csv"
    rows = "chacha/DANCE_C_2.npz,ann\nchacha/DANCE_C_4.npz,bob\nchacha/DANCE_C_6.npz,ann\n"
    csv.write_text(f"clip,performer\n{rows}waltz/DANCE_W_1.npz,ann\nwaltz/DANCE_W_11.npz,dee\n"
                   "waltz/DANCE_W_13.npz,eve\n")  # fmt: skip
    train, test = hold_out(load_folder(root))
    # chacha: ann, bob -> no 3rd, so the last (bob); waltz: ann, dee, eve -> eve
    assert [(s.name, s.dancer) for s in test] == [
        ("chacha/DANCE_C_4", "bob"), ("waltz/DANCE_W_13", "eve"),
    ]  # fmt: skip
    assert "ann" in {s.dancer for s in train} and "ann" not in {s.dancer for s in test}
    csv.write_text(f"clip,performer\n{rows}waltz/DANCE_W_1.npz,dee\nwaltz/DANCE_W_11.npz,dee\n"
                   "waltz/DANCE_W_13.npz,dee\n")  # fmt: skip
    with pytest.raises(DatasetError, match="genre waltz: 0 training and 3 test clips"):
        hold_out(load_folder(root))
    csv.write_text("file,who\nchacha/DANCE_C_2.npz,ann\n")
    with pytest.raises(DatasetError, match=r"performers\.csv: needs the columns clip,performer"):
        load_folder(root)


def test_bad_folders_are_one_clear_error_naming_them(tmp_path: Path) -> None:
    one = link_folder(tmp_path / "one", {"waltz": ["DANCE_W_1"]})
    with pytest.raises(DatasetError, match=r"one: 1 genre folder\(s\) \(waltz\).*at least two"):
        load_folder(one)
    empty = link_folder(tmp_path / "empty", SMALL)
    (empty / "rumba").mkdir()
    (empty / "rumba" / "notes.txt").write_text("clips to come\n")
    with pytest.raises(DatasetError, match=r"genre folder .*empty/rumba: no usable clip"):
        load_folder(empty)
    broken = link_folder(tmp_path / "broken", SMALL)
    (broken / "waltz" / "bad.npz").write_bytes(b"not a zip")
    with pytest.raises(DatasetError, match=r"clip .*broken/waltz/bad.npz: unreadable"):
        load_folder(broken)
    with pytest.raises(DatasetError, match="no such folder"):
        from training.dance.windows import load_sequences

        load_sequences(tmp_path / "absent")


def test_train_on_a_folder_then_dancepose_dance_with_that_model(tmp_path: Path) -> None:
    """`python -m training.dance train --data DIR` -> a model dir the edge runs by --model,
    its events named by the folder's genres."""
    pytest.importorskip("tensorflow", reason="training runs in .venv-train")
    from edge.dance.metadata import DanceMetadata
    from training.dance import cli

    root = link_folder(tmp_path / "data", SMALL)
    out = tmp_path / "model"
    argv = ["train", "--data", str(root), "--k", "4", "--out", str(out)]
    assert cli.main([*argv, "--bench", str(tmp_path / "absent.json")]) == 0
    meta = DanceMetadata.read(out)
    assert [(g.code, g.name) for g in meta.genres] == [("chacha", "chacha"), ("waltz", "waltz")]
    clip = BALLROOM / "rumba" / "DANCE_R_2.npz"  # a genre it never saw: still names one
    result = dancepose("dance", str(clip), "--model", str(out), "--json")
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    frames = load_npz(clip).num_frames
    assert len(lines) > frames / 25 * 3 - 10
    assert {line["genre_name"] for line in lines} <= {"chacha", "waltz", "none"}
    assert set(lines[0]["probabilities"]) == {"chacha", "waltz"}


def test_negatives_are_the_none_class_and_clips_without_a_person_are_skipped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import dataclasses

    import numpy as np

    from edge.keypoints_io import save_npz
    from training.datasets.labelled_folder import NONE, load_negatives

    track = load_npz(BALLROOM / "waltz" / "DANCE_W_1.npz")  # real motion, standing in here
    save_npz(track, tmp_path / "walk.npz")
    hidden = np.arange(track.num_frames) % 2 == 0  # the person found on half of the frames
    landmarks = np.where(hidden[:, None, None], np.nan, track.landmarks)
    save_npz(dataclasses.replace(track, landmarks=landmarks, present=~hidden), tmp_path / "x.npz")
    sequences = load_negatives([tmp_path])
    assert [(s.name, s.genre) for s in sequences] == [(f"{NONE}/walk", NONE)]
    assert "skipped negative" in capsys.readouterr().err
    with pytest.raises(DatasetError, match=r"negatives .*absent: no such file or folder"):
        load_negatives([tmp_path / "absent"])


def test_a_mirror_swaps_sides_and_twice_is_the_clip_again() -> None:
    import numpy as np

    from edge.skeleton import JOINT, MIRROR
    from training.dance.windows import mirrored

    assert MIRROR[JOINT["left_shoulder"]] == JOINT["right_shoulder"] and MIRROR[0] == 0
    seq = load_folder(BALLROOM)[0]
    once = mirrored(seq)
    left, right = JOINT["left_wrist"], JOINT["right_wrist"]
    np.testing.assert_allclose(once.track.landmarks[:, left, 0],
                               seq.track.width - seq.track.landmarks[:, right, 0])  # fmt: skip
    np.testing.assert_allclose(mirrored(once).track.landmarks, seq.track.landmarks, atol=1e-3)


def test_the_edge_names_a_genre_only_past_none_confidence_and_motion() -> None:
    pytest.importorskip("tensorflow", reason="training.dance.evaluate imports TensorFlow")
    import numpy as np

    from training.dance.evaluate import edge_verdicts

    probs = np.array([[0.9, 0.1], [0.2, 0.8], [0.55, 0.45], [0.45, 0.55], [0.9, 0.1]])
    energy = np.array([0.1, 0.1, 0.1, 0.1, 0.001])
    dancing, named = edge_verdicts(probs, energy, ("waltz", "none"), floor=0.01)
    # dancing needs "none" at most 1 - MIN_DANCING (0.1)
    assert dancing.tolist() == [True, False, False, False, False]
    assert named.tolist() == [True, False, False, False, False]
    # dancing, style not known: "none" under 0.1 but no genre reaches min_confidence
    three = np.array([[0.47, 0.48, 0.05]])
    dancing, named = edge_verdicts(three, np.array([0.1]), ("gHO", "waltz", "none"), 0.01)
    assert (dancing.tolist(), named.tolist()) == ([True], [False])


# BODY_25 index -> BlazePose index (neck and mid-hip are the shoulder / hip midpoints)
BODY25 = {0: 0, 2: 12, 3: 14, 4: 16, 5: 11, 6: 13, 7: 15, 9: 24, 10: 26, 11: 28, 12: 23,
          13: 25, 14: 27, 15: 5, 16: 2, 17: 8, 18: 7, 19: 31, 21: 29, 22: 32, 24: 30}  # fmt: skip


def write_openpose_clip(folder: Path, landmarks) -> None:
    import numpy as np

    folder.mkdir(parents=True)
    for i, frame in enumerate(landmarks):
        body = np.zeros((25, 3))
        for b, p in BODY25.items():
            body[b] = (*frame[p, :2], 0.9)
        body[1] = (*(frame[11, :2] + frame[12, :2]) / 2, 0.9)
        body[8] = (*(frame[23, :2] + frame[24, :2]) / 2, 0.9)
        person = {"pose_keypoints_2d": np.nan_to_num(body).ravel().tolist()}
        (folder / f"f_{i:05d}_keypoints.json").write_text(json.dumps({"people": [person]}))


def test_openpose_json_folders_are_clips_given_their_fps(tmp_path: Path) -> None:
    root = link_folder(tmp_path / "data", {"waltz": ["DANCE_W_1"]})
    chacha = load_npz(BALLROOM / "chacha" / "DANCE_C_2.npz")
    write_openpose_clip(root / "chacha" / "take1", chacha.landmarks[:150])
    with pytest.raises(DatasetError, match=r"clip .*chacha/take1: OpenPose JSON .* pass --fps"):
        load_folder(root)
    sequences = load_folder(root, fps=25.0)
    assert [(s.name, s.genre) for s in sequences] == [
        ("chacha/take1", "chacha"), ("waltz/DANCE_W_1", "waltz"),
    ]  # fmt: skip
    track = sequences[0].track
    assert (track.num_frames, track.fps) == (150, 25.0) and track.present.all()


def test_the_command_says_a_bad_folder_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("tensorflow", reason="training.dance's command imports TensorFlow")
    from training.dance import cli

    one = link_folder(tmp_path / "one", {"waltz": ["DANCE_W_1"]})
    assert cli.main(["evaluate", "--data", str(one), "--out", str(tmp_path / "r.md")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"error: dance data {one}: 1 genre folder")
    assert not (tmp_path / "r.md").exists()


def test_a_corrupt_video_and_a_genre_too_short_for_a_window_are_one_line_naming_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("tensorflow", reason="training.dance's command imports TensorFlow")
    import dataclasses

    from edge.keypoints_io import save_npz
    from training.dance import cli

    broken = link_folder(tmp_path / "broken", {"chacha": ["DANCE_C_2"]})
    (broken / "waltz").mkdir()
    video = broken / "waltz" / "take1.mp4"
    video.write_bytes(b"\x00\x00\x00\x18ftypmp42 not really a video" * 40)
    argv = ["--cache", str(tmp_path / "cache"), "--out", str(tmp_path / "r.md")]
    assert cli.main(["evaluate", "--data", str(broken), *argv]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        f"error: pose extraction failed: video {video} could not be opened; is it a readable "
        "video?; re-encode or remove it"
    ]

    short = link_folder(tmp_path / "short", {"chacha": ["DANCE_C_2"]})
    waltz = load_npz(BALLROOM / "waltz" / "DANCE_W_1.npz")
    (short / "waltz").mkdir()
    frames = slice(0, 50)  # 2 s at 25 fps: under one window of 8 units (2.67 s)
    cut = dataclasses.replace(waltz, landmarks=waltz.landmarks[frames],
                              world=waltz.world[frames], present=waltz.present[frames])  # fmt: skip
    save_npz(cut, short / "waltz" / "take1.npz")
    assert cli.main(["train", "--data", str(short), "--k", "8", *argv]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith(
        "error: genre waltz: none of its 1 training clip(s) (waltz/take1) is long enough for "
        "one window of k=8 units (2.67 s; the longest is 2.00 s)"
    ), err
    assert not (tmp_path / "r.md").exists()


def test_evaluate_on_a_folder_writes_the_report_its_json_and_the_confusion_png(
    tmp_path: Path,
) -> None:
    pytest.importorskip("tensorflow", reason="training.dance's command imports TensorFlow")
    from training.dance import cli

    root = link_folder(tmp_path / "data", SMALL)
    out = tmp_path / "report" / "studio.md"
    argv = ["evaluate", "--data", str(root), "--k", "2", "--seeds", "1", "--out", str(out)]
    assert cli.main(argv) == 0
    report = json.loads(out.with_suffix(".json").read_text())
    assert report["genres"] == ["chacha", "waltz"] and report["rows"][0]["k"] == 2
    assert set(report["rows"][0]["int8_genre_acc"]) == {"chacha", "waltz"}
    assert "| chacha | chacha |" in out.read_text()  # the per-genre table
    png = out.with_name("studio_confusion.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000


def test_train_picks_the_window_whose_worst_genre_is_best():
    from training.dance.choose_k import pick

    # ballroom's fold 2 inside the training data (measured): K = 8 loses chacha
    scores = {8: {"chacha": 0.71, "rumba": 0.86, "waltz": 0.98},
              16: {"chacha": 0.83, "rumba": 0.93, "waltz": 0.97}}  # fmt: skip
    assert pick(scores) == 16
    assert pick({8: {"a": 0.9, "b": 0.8}, 16: {"a": 1.0, "b": 0.8}}) == 8  # tie: sooner
