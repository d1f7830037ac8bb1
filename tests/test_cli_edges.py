"""The CLI's edges as a user meets them: bad options refused in one line before any work,
--version, no native log spam, browser-playable overlays, every keypoint format, and what
check-config can and cannot say about a camera."""

from __future__ import annotations

import json
import os
import sys
import tomllib
from pathlib import Path

import cv2
import numpy as np
import pytest

from edge.overlay import count_caption, draw_caption, genre_caption
from edge.stderr_filter import dropping_lines
from tests.conftest import REPO, dancepose, shared_path
from tests.helpers import assert_one_clear_line

WEBM_MAGIC = b"\x1a\x45\xdf\xa3"  # EBML, the container WebM is


def clip(name: str) -> str:
    return str(shared_path("data", "exercise_videos", name))


@pytest.fixture(scope="module")
def bridge(tmp_path_factory, model_paths) -> tuple[Path, Path]:
    """glute_bridge_1.mp4 (91 frames) through `dancepose pose --out --overlay`, once."""
    folder = tmp_path_factory.mktemp("bridge")
    out, overlay = folder / "bridge.npz", folder / "bridge.webm"
    result = dancepose("pose", clip("glute_bridge_1.mp4"), "--out", str(out),
                       "--overlay", str(overlay))  # fmt: skip
    assert result.returncode == 0, result.stderr
    return out, overlay


def video_facts(path: Path) -> tuple[str, int, list[np.ndarray]]:
    """FOURCC, frame count and the first and last frames of a written video."""
    capture = cv2.VideoCapture(str(path))
    fourcc = int(capture.get(cv2.CAP_PROP_FOURCC)).to_bytes(4, "little").decode()
    frames = []
    ok, image = capture.read()
    while ok:
        frames.append(image)
        ok, image = capture.read()
    capture.release()
    return fourcc, len(frames), [frames[0], frames[-1]]


def caption_text_pixels(image: np.ndarray) -> int:
    """White pixels (every channel > 200) in the top-left corner, where captions go."""
    corner = image[: image.shape[0] // 8, : image.shape[1] // 3]
    return int((corner.min(axis=2) > 200).sum())


# --- count --start / --end ---------------------------------------------------------------


def test_count_refuses_an_end_before_the_start():
    result = dancepose("count", clip("squat_side_3.mp4"), "--start", "8", "--end", "2")
    assert_one_clear_line(result, "--end 2", "start (8 s)")


@pytest.mark.parametrize("start", ["60", "10.8"])
def test_count_refuses_a_start_past_the_clip(start):
    result = dancepose("count", clip("squat_side_3.mp4"), "--start", start)  # 10.73 s long
    assert_one_clear_line(result, f"--start {start}", "past the end", "10.73 s")


def test_count_refuses_a_negative_start():
    result = dancepose("count", clip("squat_side_3.mp4"), "--start", "-1")
    assert_one_clear_line(result, "--start -1", "0 or more")


def test_count_refuses_a_start_past_the_keypoints(bridge):
    out, _ = bridge
    result = dancepose("count", str(out), "--start", "5")  # 91 frames at 30 fps
    assert_one_clear_line(result, "--start 5", "past the end", "3.03 s")
    inside = dancepose("count", str(out), "--start", "1", "--end", "2.5", "--json")
    assert inside.returncode == 0, inside.stderr


# --- --threads, --out, --version ---------------------------------------------------------


@pytest.mark.parametrize("threads", ["0", "-2", "two"])
def test_threads_below_one_is_refused_when_parsing(tmp_path, threads):
    result = dancepose("pose", clip("glute_bridge_1.mp4"), "--out", str(tmp_path / "x.npz"),
                       "--threads", threads)  # fmt: skip
    assert_one_clear_line(result, "argument --threads", threads)
    assert "corrupt" not in result.stderr


@pytest.mark.parametrize("option", ["--out", "--overlay"])
def test_unwritable_output_is_refused_before_the_clip_is_processed(tmp_path, option):
    a_file = tmp_path / "notes.txt"
    a_file.write_text("a file, not a folder\n")
    target = a_file / ("x.npz" if option == "--out" else "x.webm")
    paths = {"--out": tmp_path / "x.npz", "--overlay": tmp_path / "x.webm", option: target}
    # A missing model would fail at the first frame: the output check must come first.
    result = dancepose("pose", clip("glute_bridge_1.mp4"), "--out", str(paths["--out"]),
                       "--overlay", str(paths["--overlay"]),
                       "--landmark-model", str(tmp_path / "absent.tflite"))  # fmt: skip
    assert_one_clear_line(result, option, str(target), "is a file, not a folder")
    assert not paths["--out"].exists()


def test_an_existing_folder_is_not_an_output_file(tmp_path):
    result = dancepose("pose", clip("glute_bridge_1.mp4"), "--out", str(tmp_path))
    assert_one_clear_line(result, "--out", "is a folder")


def test_version_is_the_installed_package_version():
    with (REPO / "pyproject.toml").open("rb") as handle:
        declared = tomllib.load(handle)["project"]["version"]
    result = dancepose("--version")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"dancepose {declared}"


# --- native log spam ---------------------------------------------------------------------


def test_count_prints_no_tflite_or_library_start_up_lines(model_paths):
    result = dancepose("count", clip("glute_bridge_1.mp4"))
    assert result.returncode == 0, result.stderr
    assert ": " in result.stdout  # "<exercise>: N reps"
    for noise in ("XNNPACK", "INFO", "W0000", "absl", "OpenCV: FFMPEG"):
        assert noise not in result.stderr, result.stderr


def test_dropping_lines_keeps_what_does_not_match(capfd):
    with dropping_lines((b"INFO: ",)):
        os.write(2, b"INFO: Created TensorFlow Lite XNNPACK delegate for CPU.\n")
        os.write(2, b"ERROR: Didn't find op for builtin opcode\n")
        print("python's own stderr line", file=sys.stderr)
    err = capfd.readouterr().err
    assert "XNNPACK" not in err
    assert "ERROR: Didn't find op" in err and "python's own stderr line" in err


# --- overlays ----------------------------------------------------------------------------


def test_pose_overlay_is_vp8_webm_with_every_frame(bridge):
    _, overlay = bridge
    assert overlay.read_bytes()[:4] == WEBM_MAGIC
    fourcc, frames, _ = video_facts(overlay)
    assert (fourcc, frames) == ("VP80", 91)


def test_overlay_must_be_named_webm(tmp_path):
    result = dancepose("pose", clip("glute_bridge_1.mp4"), "--out", str(tmp_path / "x.npz"),
                       "--overlay", str(tmp_path / "x.mp4"))  # fmt: skip
    assert_one_clear_line(result, "x.mp4", "WebM", "x.webm")


def test_count_overlay_shows_the_count(bridge, tmp_path):
    out, _ = bridge
    overlay = tmp_path / "count.webm"
    result = dancepose("count", str(out), "--exercise", "squat", "--overlay", str(overlay))
    assert result.returncode == 0, result.stderr
    fourcc, frames, (first, _) = video_facts(overlay)
    assert (fourcc, frames) == ("VP80", 91)
    assert caption_text_pixels(first) > 50  # "squat: 0 reps" drawn on the canvas


def test_dance_overlay_shows_the_genre(bridge, tmp_path):
    out, _ = bridge
    overlay = tmp_path / "dance.webm"
    result = dancepose("dance", str(out), "--overlay", str(overlay))
    assert result.returncode == 0, result.stderr
    fourcc, frames, (first, last) = video_facts(overlay)
    assert (fourcc, frames) == ("VP80", 91)
    assert caption_text_pixels(first) > 50 and caption_text_pixels(last) > 50


def test_overlay_of_a_camera_is_refused(tmp_path):
    result = dancepose("count", "0", "--overlay", str(tmp_path / "x.webm"))
    assert_one_clear_line(result, "--overlay", "camera or stream")


def test_count_caption_counts_reps_by_each_frames_time():
    times = np.arange(10) / 2.0  # 0, 0.5, ... 4.5 s
    caption = count_caption(times, "squat", [1.0, 3.2])
    assert [caption(i)[0] for i in (0, 2, 3, 7, 9)] == [
        "squat: 0 reps", "squat: 1 rep", "squat: 1 rep", "squat: 2 reps", "squat: 2 reps",
    ]  # fmt: skip
    assert count_caption(times, "none", [])(0) == ["no exercise recognised"]


def test_genre_caption_is_the_newest_finished_window():
    times = np.arange(6) / 1.0
    caption = genre_caption(times, [(2.0, "gKR", 0.9), (4.0, "gHO", 0.55)])
    lines = [caption(i)[0] for i in range(6)]
    assert lines[0].startswith("genre: (") and lines[1] == lines[0]
    assert lines[2:4] == ["genre: gKR (0.90)"] * 2 and lines[4:] == ["genre: gHO (0.55)"] * 2


def test_draw_caption_writes_only_the_top_left_box():
    image = np.full((480, 640, 3), 128, np.uint8)
    draw_caption(image, ["squat: 3 reps", "genre: gHO"])
    changed = np.argwhere((image != 128).any(axis=2))
    assert caption_text_pixels(image) > 50
    assert changed[:, 0].max() < 480 // 4 and changed[:, 1].max() < 640 // 2


# --- keypoint formats --------------------------------------------------------------------


def test_count_of_a_pose_csv_says_what_to_do_with_it():
    csv = shared_path("data", "pose_samples", "squats_up.csv")
    result = dancepose("count", str(csv))
    assert_one_clear_line(result, str(csv), "one pose per photo", "from-csv")


@pytest.fixture(scope="module")
def aist_npy(tmp_path_factory) -> Path:
    """A real AIST++ krump sequence as the COCO-17 (T, 17, 2) pixel array a user has."""
    root = shared_path("data", "aistpp_small")
    scaler = np.load(root / "kps_scaler_extracted.npz")
    source = sorted((root / "krump_dance" / "nor_k_feat").glob("*.npy"))[0]
    pixels = np.load(source).reshape(-1, 17, 2) * scaler["scale"] + scaler["mean"]
    path = tmp_path_factory.mktemp("aist") / "krump.npy"
    np.save(path, pixels.astype(np.float32))
    return path


def test_coco17_npy_needs_a_frame_rate(aist_npy):
    assert_one_clear_line(dancepose("dance", str(aist_npy)), str(aist_npy), "--fps")


def test_dance_and_count_read_a_coco17_npy(aist_npy):
    frames = len(np.load(aist_npy))
    dance = dancepose("dance", str(aist_npy), "--fps", "60", "--json")
    assert dance.returncode == 0, dance.stderr
    windows = dance.stdout.splitlines()
    assert len(windows) >= frames / 60 * 3 - 10  # one per 1/3 s once the window is full
    count = dancepose("count", str(aist_npy), "--fps", "60", "--start", "2", "--json")
    assert count.returncode == 0, count.stderr


# BODY_25 index of each COCO-17 joint (nose, eyes, ears, shoulders, elbows, wrists, hips,
# knees, ankles); OpenPose's neck, mid-hip and feet have no COCO counterpart.
BODY25_OF_COCO = (0, 16, 15, 18, 17, 5, 2, 6, 3, 7, 4, 12, 9, 13, 10, 14, 11)


def test_dance_reads_an_openpose_folder(aist_npy, tmp_path):
    coco = np.load(aist_npy)[:300]  # 5 s at 60 fps
    for index, pose in enumerate(coco):
        body = np.zeros((25, 3), np.float32)  # x = y = c = 0: a joint OpenPose did not find
        body[list(BODY25_OF_COCO), :2], body[list(BODY25_OF_COCO), 2] = pose, 0.9
        people = [{"pose_keypoints_2d": body.ravel().tolist()}]
        (tmp_path / f"clip_{index:012d}_keypoints.json").write_text(json.dumps({"people": people}))
    needs_fps = dancepose("dance", str(tmp_path))
    assert_one_clear_line(needs_fps, str(tmp_path), "OpenPose folder", "--fps")
    dance = dancepose("dance", str(tmp_path), "--fps", "60", "--json")
    assert dance.returncode == 0, dance.stderr
    assert len(dance.stdout.splitlines()) >= 5 * 3 - 10


def test_an_openpose_folder_without_files_is_one_line(tmp_path):
    result = dancepose("count", str(tmp_path), "--fps", "30")
    assert_one_clear_line(result, str(tmp_path), "_keypoints.json")


# --- check-config and cameras ------------------------------------------------------------


def camera_config(tmp_path: Path, index: int) -> Path:
    path = tmp_path / "camera.toml"
    path.write_text(f'[source]\nkind = "camera"\ncamera_index = {index}\n')
    return path


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/dev/video<N> is Linux's")
def test_check_config_refuses_a_camera_that_does_not_exist(tmp_path):
    if Path("/dev/video63").exists():
        pytest.skip("this machine has a /dev/video63")
    config = camera_config(tmp_path, 63)
    result = dancepose("check-config", str(config))
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.strip() == (
        f"{config}: source.camera_index: /dev/video63 does not exist; plug the camera in, "
        "or set an index that `ls /dev/video*` lists"
    )
    unchecked = dancepose("check-config", str(config), "--no-path-checks")
    assert unchecked.returncode == 0, unchecked.stderr
    assert "opened only by `dancepose run`, not checked here" in unchecked.stdout


def test_check_config_says_a_pi_camera_is_not_checked():
    result = dancepose("check-config", str(REPO / "firmware_config" / "dancepose.toml"))
    assert result.returncode == 0, result.stderr
    assert "opened only by `dancepose run`, not checked here" in result.stdout
