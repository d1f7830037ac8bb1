"""training.extract on a Ray cluster: one task per video, the cache written by the driver.

    python -m training.extract VIDEOS... --cache DIR --ray auto       # `ray start` on this node
    python -m training.extract VIDEOS... --cache DIR --ray HOST:6379  # a cluster's head

A task gets the video's bytes (through Ray's object store) and returns its KeypointTrack,
so the nodes need no shared file system: only the videos' machine reads them and only the
cache's machine writes it, by the cache's own write_track (edge/keypoints_cache.py: temp
file, rename). The resumable cache, the longest-first order and the one-line failures are
training.extract's; a task runs the same functions as a local worker
(training/extract_worker.py: init_worker, video_track), so the keypoints are the same.
Every node needs this project and its training venv (`make train-setup`) and the pose
models (`make models`), as a local worker does. Ray checks a token between the driver and
the cluster: the one `ray start` wrote to ~/.ray/auth_token, or RAY_AUTH_TOKEN, must be the
same on this machine.
"""

from __future__ import annotations

import logging
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path

from edge.errors import UsageError
from edge.keypoints_cache import write_track
from edge.pose.result import KeypointTrack
from training.extract_worker import Outcome, init_worker, video_track

CONNECT_TIMEOUT_S = 5.0
IN_FLIGHT_PER_SLOT = 2  # tasks queued per free slot: workers stay busy, the store stays small


def _keypoints(name: str, data: bytes, stride: int, backend: str, threads: int) -> KeypointTrack:
    """A Ray task: the video's bytes -> its track, named by its path on the driver.

    The Ray worker process keeps its estimator between tasks (init_worker).
    """
    import dataclasses

    init_worker(backend, threads)
    with tempfile.TemporaryDirectory(prefix="dancepose-extract-") as folder:
        local = Path(folder) / Path(name).name  # the suffix tells OpenCV the container
        local.write_bytes(data)
        try:
            track = video_track(local, stride)
        except Exception as exc:  # name the driver's file, not this node's temp copy
            raise RuntimeError(str(exc).replace(str(local), name)) from None
    return dataclasses.replace(track, source=name)


def _connect(address: str) -> bool:
    """Join the cluster at `address`; False when this process is already connected (a
    caller's own ray.init, e.g. a notebook or a test): that connection is used as is."""
    import ray

    if ray.is_initialized():
        return False
    _check_reachable(address)
    try:
        ray.init(address=address, logging_level=logging.WARNING, log_to_driver=False)
    except (ConnectionError, ValueError, RuntimeError) as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise UsageError(
            f"--ray {address}: no Ray cluster there ({first}); start one with "
            "`ray start --head` and pass 'auto' on its nodes, or give the head's host:port"
        ) from None
    return True


def _check_reachable(address: str) -> None:
    """A host:port nobody answers on is one line now, not Ray's minutes of retrying."""
    host, _, port = address.removeprefix("ray://").rpartition(":")
    if not host or not port.isdigit():  # "auto", or a form Ray itself will judge
        return
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=CONNECT_TIMEOUT_S).close()
    except OSError as exc:
        raise UsageError(
            f"--ray {address}: nothing answers there ({exc.strerror or exc}); give the address "
            "`ray start --head` printed, or 'auto' on a node of the cluster"
        ) from None


def ray_outcomes(
    todo: dict[Path, Path], threads: int, stride: int, backend: str, address: str
) -> Iterator[Outcome]:
    """(video, frames or the exception) as each task finishes; each track into the cache."""
    try:
        import ray
        import ray.exceptions
    except ImportError:
        raise UsageError(
            "--ray: Ray is not installed in this environment; it is in the training extra "
            "(make train-setup, then .venv-train/bin/python -m training.extract ...)"
        ) from None
    connected = _connect(address)
    task = ray.remote(num_cpus=threads, max_retries=1)(_keypoints)
    queue = list(todo)
    slots = max(1, int(ray.cluster_resources().get("CPU", 1) // threads))
    running: dict[ray.ObjectRef, Path] = {}
    try:
        while queue or running:
            while queue and len(running) < slots * IN_FLIGHT_PER_SLOT:
                video = queue.pop(0)
                try:
                    data = video.read_bytes()
                except OSError as exc:
                    yield video, exc
                    continue
                running[task.remote(str(video), data, stride, backend, threads)] = video
            if not running:
                continue
            (ref,), _ = ray.wait(list(running), num_returns=1)
            video = running.pop(ref)
            try:
                track = ray.get(ref)
            except ray.exceptions.RayTaskError as exc:  # the task's own exception, unwrapped
                yield video, exc.cause if isinstance(exc.cause, BaseException) else exc
                continue
            except ray.exceptions.RayError as exc:  # a lost worker or node
                yield video, exc
                continue
            write_track(track, todo[video])
            yield video, track.num_frames
    finally:
        for ref in running:  # Ctrl-C or an error: nothing more runs for this job
            ray.cancel(ref, force=True)
        if connected:
            ray.shutdown()
