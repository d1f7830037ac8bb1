"""Dataset readers: AIST Dance DB table and split, AIST++ keypoints, labelled video folders."""

from __future__ import annotations

import csv
import pickle
from pathlib import Path

import cv2
import numpy as np
import pytest

from edge.skeleton import JOINT
from tests.conftest import shared_path
from training.datasets import GENRE_CODES, GENRES, DatasetError, genre_of, parse_name
from training.datasets.aist_db import (
    HEADER,
    read_videos,
    select_advanced_front,
    split_by_dancer,
)
from training.datasets.aistpp import (
    hold_out_one_choreography_per_genre,
    load_keypoints2d,
    load_small,
    load_split,
)
from training.datasets.video_folder import list_labelled_videos

OFFICIAL_COLUMNS = ["BASE_NAME", "FILE_NAME", "URL", "FILE_SIZE", "SEC", *HEADER[1:]]


def write_table(path: Path, drop: str | None = None) -> Path:
    """A table in the refined_10M_sFM_all.csv layout: all 10 genres x 3 dancers x 7
    advanced choreographies x 3 cameras, plus basic-choreography (sBM) rows that must be
    left out. Dancer ids are unique per genre, as in the AIST Dance DB."""
    rows = []
    for g, genre in enumerate(GENRE_CODES):
        for d in range(3):
            dancer = f"d{3 * g + d + 1:02d}"
            moves = [("sFM", f"ch{7 * d + c + 1:02d}", c % 6) for c in range(7)]
            moves += [("sBM", f"ch{c + 1:02d}", c) for c in range(2)]
            for situation, choreo, music in moves:
                for camera in ("c01", "c02", "c08"):
                    music_id = f"m{genre[1:]}{music}"
                    name = f"{genre}_{situation}_{camera}_{dancer}_{music_id}_{choreo}"
                    url = f"https://x/{name}.mp4"
                    facts = [genre, situation, camera, dancer, music_id, choreo]
                    rows.append([name, f"{name}.mp4", url, 1, 30.0, *facts])
    columns = [c for c in OFFICIAL_COLUMNS if c != drop]
    keep = [i for i, c in enumerate(OFFICIAL_COLUMNS) if c != drop]
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        writer.writerows([row[i] for i in keep] for row in rows)
    return path


def test_genre_codes_and_names() -> None:
    assert len(GENRES) == 10 and GENRES["gHO"] == "house" and GENRES["gJB"] == "ballet jazz"
    assert genre_of("gHO_sFM_c01_d19_mHO1_ch04") == "gHO"
    assert genre_of("/data/gKR_sBM_cAll_d28_mKR1_ch02.pkl") == "gKR"
    assert parse_name("gHO_sBM_cAll_d19_mHO1_ch02") == {
        "genre": "gHO", "situation": "sBM", "camera": "cAll", "dancer": "d19",
        "music": "mHO1", "choreography": "ch02",
    }  # fmt: skip


def test_unknown_genre_code_is_a_clear_error() -> None:
    with pytest.raises(DatasetError, match=r"'gXX'.*gBR, gPO"):
        genre_of("gXX_sFM_c01_d19_mHO1_ch04")


def test_aist_table_selection_and_dancer_split(tmp_path: Path) -> None:
    videos = read_videos(write_table(tmp_path / "refined_10M_sFM_all.csv"))
    assert len(videos) == 10 * 3 * 9 * 3
    chosen = select_advanced_front(videos)
    assert len(chosen) == 210
    train, val, test = split_by_dancer(chosen)
    assert (len(train), len(val), len(test)) == (126, 14, 70)
    assert {v.name for v in train + val + test} == {v.name for v in chosen}
    assert not {v.dancer for v in test} & {v.dancer for v in train + val}
    for genre in GENRES:  # one test dancer per genre; every genre in validation
        assert len({v.dancer for v in test if v.genre == genre}) == 1
        assert 1 <= sum(v.genre == genre for v in val) <= 2
    assert split_by_dancer(chosen) == (train, val, test)  # deterministic


def test_every_dancer_position_can_be_the_test_dancer(tmp_path: Path) -> None:
    chosen = select_advanced_front(read_videos(write_table(tmp_path / "t.csv")))
    folds = [split_by_dancer(chosen, test_dancer=i)[2] for i in range(3)]
    assert sorted(v.name for fold in folds for v in fold) == sorted(v.name for v in chosen)
    held = split_by_dancer(chosen, test_dancer={g: f"d{3 * i + 1:02d}" for i, g in
                                                enumerate(GENRE_CODES)})[2]  # fmt: skip
    assert {v.dancer for v in held} == {f"d{3 * i + 1:02d}" for i in range(10)}


def test_split_refuses_several_cameras(tmp_path: Path) -> None:
    videos = [v for v in read_videos(write_table(tmp_path / "t.csv")) if v.situation == "sFM"]
    with pytest.raises(DatasetError, match="same performance"):
        split_by_dancer(videos)


def test_table_missing_a_column_names_it(tmp_path: Path) -> None:
    path = write_table(tmp_path / "no_dancer.csv", drop="DANCER")
    with pytest.raises(DatasetError, match=r"no_dancer\.csv: missing column 'DANCER'"):
        read_videos(path)


def test_table_with_an_unknown_genre_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(",".join(HEADER) + "\nx,gZZ,sFM,c01,d01,mZZ0,ch01\n")
    with pytest.raises(DatasetError, match=r"bad\.csv line 2: unknown genre 'gZZ'"):
        read_videos(path)


def write_pickle(path: Path, array: np.ndarray) -> Path:
    with path.open("wb") as handle:
        pickle.dump({"keypoints2d": array, "det_scores": None, "timestamps": None}, handle)
    return path


def test_keypoints2d_pickle_loads_one_view(tmp_path: Path) -> None:
    data = np.random.default_rng(0).uniform(0, 1000, (9, 25, 17, 3)).astype(np.float32)
    path = write_pickle(tmp_path / "gHO_sFM_cAll_d19_mHO1_ch02.pkl", data)
    assert load_keypoints2d(path).shape == (25, 17, 3)
    np.testing.assert_array_equal(load_keypoints2d(path, view=4), data[4])


def test_keypoints2d_wrong_shape_is_a_clear_error(tmp_path: Path) -> None:
    path = write_pickle(tmp_path / "flat.pkl", np.zeros((25, 17, 3)))
    with pytest.raises(DatasetError, match=r"flat\.pkl.*\(25, 17, 3\).*\(9 views, T, 17, 3\)"):
        load_keypoints2d(path)
    other = tmp_path / "other.pkl"
    other.write_bytes(pickle.dumps([1, 2, 3]))
    with pytest.raises(DatasetError, match=r"other\.pkl: not a keypoints2d pickle"):
        load_keypoints2d(other)


def test_split_lists_drop_the_ignore_list(tmp_path: Path) -> None:
    (tmp_path / "crossmodal_train.txt").write_text("a\nb\nc\n")
    (tmp_path / "crossmodal_test.txt").write_text("d\n")
    (tmp_path / "ignore_list.txt").write_text("b\n")
    assert load_split(tmp_path, "train") == ["a", "c"]
    assert load_split(tmp_path, "test") == ["d"]
    with pytest.raises(DatasetError, match="'val': use one of"):
        load_split(tmp_path, "val")
    with pytest.raises(DatasetError, match=r"missing/ignore_list\.txt: cannot read"):
        load_split(tmp_path / "missing", "test")


def test_real_split_lists() -> None:
    splits = shared_path("data", "aistpp_small", "splits")
    named = {
        n: set((splits / f"{n}.txt").read_text().split())
        for n in ("crossmodal_train", "crossmodal_test", "ignore_list")
    }
    # These EDGE lists name 1,017 of AIST++'s 1,408 sequences, not all of them.
    assert [len(s) for s in named.values()] == [980, 20, 45]
    assert len(set.union(*named.values())) == 1017
    train, test = load_split(splits, "train"), load_split(splits, "test")
    assert (len(train), len(test)) == (952, 20)
    assert not (set(train) | set(test)) & named["ignore_list"]
    assert all(genre_of(n) in GENRES for n in train + test)


def test_real_small_set_loads_as_pixel_tracks() -> None:
    sequences = load_small(shared_path("data", "aistpp_small"))
    assert len(sequences) == 9
    assert {s.genre for s in sequences} == {"gHO", "gKR", "gMH"}
    assert {s.dancer for s in sequences} == {"d19", "d28", "d22"}
    for seq in sequences:
        track = seq.track
        assert (track.fps, track.width, track.height) == (60.0, 1920, 1080)
        assert 960 <= track.num_frames <= 1439 and track.present.all()
        xy = track.landmarks[:, [JOINT[n] for n in ("nose", "left_hip", "right_ankle")], :2]
        inside = (xy[..., 0] >= 0) & (xy[..., 0] < 1920) & (xy[..., 1] >= 0) & (xy[..., 1] < 1080)
        assert inside.mean() > 0.95, seq.name
        nose_y, ankle_y = (
            np.median(track.landmarks[:, JOINT[n], 1]) for n in ("nose", "left_ankle")
        )
        assert nose_y < ankle_y  # image y grows downward: the mapping kept the pose upright
        assert np.isnan(track.landmarks[:, JOINT["left_heel"]]).all()  # COCO has no heels
    train, test = hold_out_one_choreography_per_genre(sequences)
    assert (len(train), len(test)) == (6, 3)
    assert sorted(s.name for s in test) == [
        "gHO_sFM_cAll_d19_mHO2_ch03", "gKR_sFM_cAll_d28_mKR2_ch03", "gMH_sFM_cAll_d22_mMH1_ch07",
    ]  # fmt: skip


def write_video(path: Path, frames: int = 5) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 10.0, (64, 48))
    assert writer.isOpened()
    for i in range(frames):
        writer.write(np.full((48, 64, 3), i * 40, np.uint8))
    writer.release()


def test_video_folder_lists_labelled_clips(tmp_path: Path) -> None:
    write_video(tmp_path / "gho" / "clip1.mp4")
    write_video(tmp_path / "salsa" / "clip2.mp4")
    (tmp_path / "salsa" / "notes.txt").write_text("not a video")
    videos = list_labelled_videos(tmp_path)
    assert videos == [
        (tmp_path / "gho" / "clip1.mp4", "gHO"),
        (tmp_path / "salsa" / "clip2.mp4", "salsa"),
    ]
    capture = cv2.VideoCapture(str(videos[0][0]))
    assert capture.isOpened() and int(capture.get(cv2.CAP_PROP_FRAME_COUNT)) == 5
    capture.release()


def test_video_folder_errors(tmp_path: Path) -> None:
    (tmp_path / "empty" / "gHO").mkdir(parents=True)
    with pytest.raises(DatasetError, match=r"empty: no videos"):
        list_labelled_videos(tmp_path / "empty")
    with pytest.raises(DatasetError, match="not a folder"):
        list_labelled_videos(tmp_path / "absent")
    write_video(tmp_path / "loose" / "clip.mp4")
    write_video(tmp_path / "loose" / "stray.mp4")
    (tmp_path / "loose" / "clip.mp4").rename(tmp_path / "loose" / "gHO_clip.mp4")
    with pytest.raises(DatasetError, match=r"gHO_clip\.mp4, stray\.mp4 not inside a genre"):
        list_labelled_videos(tmp_path / "loose")
