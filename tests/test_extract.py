"""Parallel, resumable keypoint extraction (training.extract) on real clips.

The pose model runs here on two short real clips only (91 + 65 frames), once each per
setting, so the whole file stays well under a minute on two cores.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import numpy as np
import pytest

from edge.errors import UsageError
from edge.keypoints_cache import cache_path
from edge.keypoints_io import load_npz
from tests.conftest import shared_path
from training.extract import extract, find_videos, main


@pytest.fixture(scope="module")
def clips() -> tuple[Path, Path]:
    return (
        shared_path("data", "exercise_videos", "glute_bridge_1.mp4"),  # 91 frames
        shared_path("data", "dance_videos", "jacky_dance.mp4"),  # 65 frames
    )


def leftovers(folder: Path) -> list[Path]:
    """Temp files (ours are hidden: .<name>.<pid>.tmp) anywhere under `folder`."""
    return [p for p in folder.rglob("*") if p.name.endswith(".tmp")]


def test_extracts_in_parallel_resumes_and_reports_a_corrupt_video(tmp_path, clips, model_paths):
    bridge, dance = clips
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"\x00\x00\x00\x18ftypmp42 not really a video" * 40)
    cache = tmp_path / "cache"

    report = extract([bridge, broken, dance], cache, workers=2)
    assert (report.done, report.skipped, report.frames) == (2, 0, 91 + 65)
    assert [video for video, _ in report.failed] == [str(broken)]
    assert "broken.mp4" in report.failed[0][1] and "\n" not in report.failed[0][1]
    assert report.seconds > 0 and report.fps == pytest.approx(report.frames / report.seconds)
    for clip, frames in ((bridge, 91), (dance, 65)):
        track = load_npz(cache_path(clip, cache))
        assert track.num_frames == frames and track.present.mean() > 0.9, clip
        assert track.source == str(clip) and track.backend == "litert"
    assert sorted(p.name for p in cache.iterdir()) == sorted(
        cache_path(clip, cache).name for clip in (bridge, dance)
    )  # no temp file, no file for the corrupt video
    assert not leftovers(tmp_path)

    started = time.perf_counter()
    again = extract([bridge, dance], cache, workers=2)
    assert (again.skipped, again.done, again.frames, again.failed) == (2, 0, 0, [])
    assert time.perf_counter() - started < 3.0  # loads two npz; no pool, no model


def test_stride_halves_frames_and_fps_and_redoes_a_half_written_file(tmp_path, clips, model_paths):
    bridge, _ = clips
    cache = tmp_path / "cache"
    cache.mkdir()
    full_name = cache_path(bridge, cache)
    target = cache_path(bridge, cache, stride=2)
    assert target != full_name  # a full-rate cache is never reused for stride 2
    target.write_bytes(b"PK\x03\x04 truncated")  # what a crash mid-write without rename leaves
    stale = cache / f".{target.name}.99999.tmp"  # what a killed run leaves
    stale.write_bytes(b"half")

    report = extract([bridge], cache, workers=1, stride=2)
    assert (report.done, report.skipped, report.frames) == (1, 0, 46)
    track = load_npz(target)
    assert track.num_frames == 46  # frames 0, 2, ..., 90
    assert np.isclose(track.fps, 30.0 / 2)  # so times_s still spans the clip's 3 s
    assert track.times_s[-1] == pytest.approx(90 / 30.0)
    assert track.present.mean() > 0.9
    assert not leftovers(tmp_path)


def test_cli_extracts_a_labelled_folder(tmp_path, clips, model_paths, capsys):
    _, dance = clips
    root = tmp_path / "videos"
    for genre in ("gHO", "krump"):
        (root / genre).mkdir(parents=True)
        shutil.copy(dance, root / genre / "clip.mp4")  # same name in two genres
    (root / "gHO" / "._clip.mp4").write_bytes(b"macOS metadata")  # hidden: not a video
    cache = tmp_path / "cache"

    assert main([str(root), "--cache", str(cache), "--workers", "2", "--stride", "5"]) == 0
    assert "2 extracted, 0 cached, 0 failed" in capsys.readouterr().err
    files = sorted(cache.glob("clip-*-s5.npz"))
    assert len(files) == 2 and all(load_npz(f).num_frames == 13 for f in files)


def test_find_videos_and_cache_names(tmp_path):
    (tmp_path / "house").mkdir()
    (tmp_path / "krump" / ".hidden").mkdir(parents=True)
    for path in ("house/clip.mp4", "krump/clip.MOV", "krump/notes.txt", "krump/.hidden/x.mp4"):
        (tmp_path / path).write_bytes(b"")
    found = find_videos([tmp_path, tmp_path / "house" / "clip.mp4"])  # given twice: once
    assert found == [tmp_path / "house" / "clip.mp4", tmp_path / "krump" / "clip.MOV"]
    with pytest.raises(UsageError, match="nope"):
        find_videos([tmp_path / "nope"])
    with pytest.raises(UsageError):
        extract([], tmp_path, stride=0)
    names = {cache_path(tmp_path / g / "clip.mp4", tmp_path).name for g in ("house", "krump")}
    assert len(names) == 2 and all(name.startswith("clip-") for name in names)
