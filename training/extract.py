"""Videos -> keypoint npz cache, in parallel, resumable: the first step of dance training.

    python -m training.extract VIDEO_OR_DIR... --cache DIR [--workers 2] [--threads 1] [--stride 1]
                               [--ray auto|ADDRESS]

OpenPose took ~35 h for the AIST Dance DB's 210 videos (5.6 fps), and a dataset is extracted
once and trained on many times: so this is built to be fast and to survive being stopped.
Each worker process builds its estimator once (training/extract_worker.py). The cache is
edge/keypoints_cache.py's: a video whose npz is there and loads is skipped, so a killed run
resumes; a half-written file is never taken for a finished one. A corrupt video is reported
and the run goes on.
--stride N processes every Nth frame and divides the npz's fps by N, so times stay right.
--ray runs the videos as tasks on a Ray cluster instead of local processes
(training/extract_ray.py): the same cache, the same keypoints, only where the model runs.
"""

from __future__ import annotations

import argparse
import multiprocessing
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

from edge.errors import UsageError, UserError
from edge.keypoints_cache import cache_path, load_cached, prepare, write_track
from edge.pose.estimator import BACKENDS
from edge.progress import Progress
from training.datasets.video_folder import VIDEO_SUFFIXES
from training.extract_worker import Outcome, init_worker, video_track


@dataclass
class ExtractionReport:
    """What one run did; `fps` counts processed frames (after stride) over the wall time."""

    done: int = 0
    skipped: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)  # (video, one-line message)
    frames: int = 0
    seconds: float = 0.0

    @property
    def fps(self) -> float:
        return self.frames / self.seconds if self.seconds > 0 else 0.0


def find_videos(inputs: list[Path]) -> list[Path]:
    """Files as given, folders recursively (hidden skipped); a missing input fails up front."""
    videos: dict[Path, Path] = {}
    for item in map(Path, inputs):
        if not item.exists():
            raise UsageError(f"{item}: no such video or folder")
        found = [item] if item.is_file() else sorted(item.rglob("*"))
        for path in found:
            hidden = any(part.startswith(".") for part in path.relative_to(item).parts)
            wanted = path == item or path.suffix.lower() in VIDEO_SUFFIXES
            if path.is_file() and wanted and not hidden:
                videos.setdefault(path.resolve(), path)
    return list(videos.values())


def _extract_one(video: Path, target: Path, stride: int) -> int:
    """Keypoints of one video into `target`; returns frames processed."""
    track = video_track(video, stride)
    write_track(track, target)
    return track.num_frames


def extract(
    videos: list[Path], cache_dir: Path, workers: int = 2, threads_per_worker: int = 1,
    stride: int = 1, backend: str = "litert", ray: str | None = None,
) -> ExtractionReport:  # fmt: skip
    """Extract every video not already cached into `cache_dir`; one bad video never raises.

    ray: None runs `workers` local processes; "auto" or a cluster's address runs one Ray
    task per video there (training/extract_ray.py), the cache still written here.
    """
    if min(workers, threads_per_worker, stride) < 1:
        raise UsageError("workers, threads and stride must each be at least 1")
    start, report = time.perf_counter(), ExtractionReport()
    cache_dir = prepare(cache_dir)
    targets = {Path(v): cache_path(Path(v), cache_dir, stride, backend) for v in videos}
    todo = {video: target for video, target in targets.items() if load_cached(target) is None}
    report.skipped = len(targets) - len(todo)
    if not todo:  # all cached: no pool, no model loading
        report.seconds = time.perf_counter() - start
        return report
    # Longest first, so the last video to finish is a short one.
    todo = dict(sorted(todo.items(), key=lambda kv: _size(kv[0]), reverse=True))
    if ray is None:
        outcomes = _pool_outcomes(todo, workers, threads_per_worker, stride, backend)
    else:
        from training.extract_ray import ray_outcomes  # Ray: the training extra only

        outcomes = ray_outcomes(todo, threads_per_worker, stride, backend, ray)
    progress = Progress(len(todo), "extract (videos)")
    try:
        with closing(outcomes):  # Ctrl-C: the runner cancels what has not started
            for finished, (video, outcome) in enumerate(outcomes, start=1):
                if isinstance(outcome, BaseException):  # one bad video must not stop the run
                    text = (str(outcome).strip().splitlines() or [repr(outcome)])[0]
                    report.failed.append(
                        (str(video), text if str(video) in text else f"{video}: {text}")
                    )
                else:
                    report.frames += outcome
                    report.done += 1
                progress.update(finished)
    finally:
        progress.close()
    report.seconds = time.perf_counter() - start
    return report


def _size(video: Path) -> int:
    return video.stat().st_size if video.is_file() else 0


def _pool_outcomes(
    todo: dict[Path, Path], workers: int, threads: int, stride: int, backend: str
) -> Iterator[Outcome]:
    """Local worker processes, each writing its videos' npz into the cache.

    Workers are spawned, not forked: a forked child would inherit the caller's thread pools.
    """
    pool = ProcessPoolExecutor(
        max_workers=min(workers, len(todo)), mp_context=multiprocessing.get_context("spawn"),
        initializer=init_worker, initargs=(backend, threads),
    )  # fmt: skip
    try:
        futures = {pool.submit(_extract_one, v, target, stride): v for v, target in todo.items()}
        for future in as_completed(futures):
            try:
                yield futures[future], future.result()
            except Exception as exc:  # a corrupt video, or a dead worker
                yield futures[future], exc
    finally:
        pool.shutdown(wait=True, cancel_futures=True)  # do not start queued videos


RAY_HELP = (
    "run on a Ray cluster instead of --workers local processes: 'auto' (the cluster this "
    "machine is part of, `ray start`) or its address (host:port); needs the training extra"
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("inputs", nargs="+", type=Path, help="videos or folders of videos")
    parser.add_argument("--cache", type=Path, required=True, help="folder for the npz files")
    parser.add_argument("--workers", type=int, default=2, help="worker processes")
    parser.add_argument("--threads", type=int, default=1, help="interpreter threads per worker")
    parser.add_argument("--stride", type=int, default=1, help="process every Nth frame")
    parser.add_argument("--backend", choices=BACKENDS, default="litert")
    parser.add_argument("--ray", metavar="auto|ADDRESS", help=RAY_HELP)
    args = parser.parse_args(argv)
    try:
        videos = find_videos(args.inputs)
        report = extract(
            videos, args.cache, args.workers, args.threads, args.stride, args.backend, args.ray
        )
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for _, message in report.failed:  # each message names its video
        print(f"failed: {message}", file=sys.stderr)
    summary = f"{report.done} extracted, {report.skipped} cached, {len(report.failed)} failed"
    rate = f"{report.frames} frames in {report.seconds:.1f} s = {report.fps:.1f} fps"
    print(f"{summary}; {rate} -> {args.cache}", file=sys.stderr)
    return 1 if report.failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
