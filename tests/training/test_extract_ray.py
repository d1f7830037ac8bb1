"""training.extract --ray on a real local Ray instance that this file starts (2 CPUs, on
loopback only): the same keypoints as the local process pool, the same resumable cache, a
corrupt video named in one line, and an address where no cluster answers refused at once.

Two short real clips (91 + 65 frames). Runs in .venv-train (Ray is in the training extra).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import ray

from edge.keypoints_cache import cache_path
from edge.keypoints_io import load_npz
from tests.conftest import REPO, shared_path
from training.extract import extract

# Ray otherwise binds this machine's network address; one machine needs only loopback.
LOOPBACK = {"RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0"}


@pytest.fixture(scope="module")
def cluster() -> Iterator[str]:
    """A local Ray instance; its address, which another driver process can join."""
    saved = {name: os.environ.get(name) for name in LOOPBACK}
    os.environ.update(LOOPBACK)
    ray.init(
        num_cpus=2, include_dashboard=False, object_store_memory=100 * 1024**2,
        log_to_driver=False, logging_level="WARNING",
    )  # fmt: skip
    try:
        yield ray.get_runtime_context().gcs_address
    finally:
        ray.shutdown()
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@pytest.fixture(scope="module")
def clips() -> tuple[Path, Path]:
    return (
        shared_path("data", "exercise_videos", "glute_bridge_1.mp4"),  # 91 frames
        shared_path("data", "dance_videos", "jacky_dance.mp4"),  # 65 frames
    )


def run_extract(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "training.extract", *args], cwd=REPO, capture_output=True,
        text=True, timeout=300, env={**os.environ, **LOOPBACK},
    )  # fmt: skip


def test_ray_gives_the_local_pools_keypoints_into_the_same_cache(tmp_path, clips, cluster):
    bridge, dance = clips
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"\x00\x00\x00\x18ftypmp42 not really a video" * 40)
    local, remote = tmp_path / "local", tmp_path / "ray"
    assert extract([bridge, dance], local, workers=2).done == 2

    # Another driver joins the cluster by its address, as on a real cluster.
    result = run_extract(str(bridge), str(broken), str(dance), "--cache", str(remote),
                         "--ray", cluster)  # fmt: skip
    assert result.returncode == 1, result.stderr
    failed = [line for line in result.stderr.splitlines() if line.startswith("failed:")]
    assert len(failed) == 1 and str(broken) in failed[0]
    assert "2 extracted, 0 cached, 1 failed" in result.stderr
    for clip in (bridge, dance):
        a, b = load_npz(cache_path(clip, local)), load_npz(cache_path(clip, remote))
        assert b.num_frames > 60 and b.source == str(clip) and b.present.mean() > 0.9
        np.testing.assert_array_equal(a.landmarks, b.landmarks)  # NaN where NaN, same bits
        np.testing.assert_array_equal(a.world, b.world)
        assert (a.present == b.present).all() and (a.fps, a.backend) == (b.fps, b.backend)
    assert sorted(p.name for p in remote.iterdir()) == sorted(
        cache_path(clip, remote).name for clip in (bridge, dance)
    )  # no temp file, nothing for the corrupt video

    # Resumable: in this process (already connected), the cached clips are not redone.
    again = extract([bridge, dance], remote, ray=cluster)
    assert (again.skipped, again.done, again.failed) == (2, 0, [])
    strided = extract([bridge], remote, stride=2, ray=cluster)  # a new cache entry
    assert (strided.done, strided.frames) == (1, 46)
    assert load_npz(cache_path(bridge, remote, stride=2)).fps == pytest.approx(15.0)


def test_an_address_where_no_cluster_answers_is_one_line(tmp_path, clips):
    with socket.socket() as probe:  # a port that was free a moment ago: nobody listens
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    address = f"127.0.0.1:{port}"
    result = run_extract(str(clips[1]), "--cache", str(tmp_path), "--ray", address)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"error: --ray {address}: nothing answers there (Connection refused); give the address "
        "`ray start --head` printed, or 'auto' on a node of the cluster"
    ]


def test_a_labelled_folder_of_videos_is_extracted_on_ray(tmp_path, clips, cluster):
    """training.dance's --ray: a <genre>/<clip>.mp4 folder's videos go through Ray tasks."""
    import shutil

    from training.datasets.labelled_folder import load_folder

    bridge, dance = clips
    root = tmp_path / "videos"
    for genre, clip in (("gHO", dance), ("none", bridge)):
        (root / genre).mkdir(parents=True)
        shutil.copy(clip, root / genre / "take1.mp4")  # a copy: a path Ray has not seen
    cache = tmp_path / "cache"
    sequences = load_folder(root, cache=cache, ray=cluster)
    assert [(s.name, s.genre, s.track.num_frames) for s in sequences] == [
        ("gHO/take1", "gHO", 65), ("none/take1", "none", 91),
    ]  # fmt: skip
    assert len(list(cache.glob("take1-*.npz"))) == 2
