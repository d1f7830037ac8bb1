"""Videos -> keypoint npz cache, in parallel, resumable: the first step of dance training.

    python -m training.extract VIDEO_OR_DIR... --cache DIR [--workers 2] [--threads 1] [--stride 1]

Each worker process builds its own pose estimator once. A video whose npz is already in
the cache is skipped (a killed run resumes where it stopped; files are written to a temp
name and renamed, so no half file is ever taken for a finished one). A corrupt video is
reported and the run goes on. With --stride N only every Nth frame is processed and the
npz's fps is divided by N, so times stay right.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from edge.errors import UserError
from edge.keypoints_io import KeypointTrack, load_npz, save_npz
from edge.progress import Progress
from edge.sources import open_source

VIDEO_SUFFIXES = {".mp4", ".mov", ".avi", ".mkv", ".webm", ".m4v"}
_estimator = None  # one per worker process


@dataclass
class ExtractionReport:
    done: int = 0
    skipped: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    frames: int = 0
    seconds: float = 0.0

    @property
    def fps(self) -> float:
        return self.frames / self.seconds if self.seconds else 0.0


def cache_path(video: Path, cache_dir: Path) -> Path:
    """<stem>-<hash of the full path>.npz: same stems in different folders do not collide."""
    digest = hashlib.sha1(str(video.resolve()).encode()).hexdigest()[:10]
    return cache_dir / f"{video.stem}-{digest}.npz"


def find_videos(inputs: list[Path]) -> list[Path]:
    videos: list[Path] = []
    for item in inputs:
        if item.is_dir():
            videos += sorted(p for p in item.rglob("*") if p.suffix.lower() in VIDEO_SUFFIXES)
        else:
            videos.append(item)
    return videos


def _init_worker(backend: str, threads: int) -> None:
    global _estimator
    from edge.pose.estimator import create_estimator

    _estimator = create_estimator(backend, threads)


def _extract_one(video: Path, target: Path, stride: int) -> int:
    """Keypoints of one video into `target`; returns the frames processed."""
    assert _estimator is not None
    _estimator.reset()
    source = open_source(str(video))
    results = []
    try:
        for frame in source.frames():
            if frame.index % stride == 0:
                results.append(_estimator.process(frame))
    finally:
        source.close()
    track = KeypointTrack.from_results(
        results, source.fps / stride, source.width, source.height, str(video), _estimator.name
    )
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    save_npz(track, temporary)
    os.replace(temporary, target)
    return len(results)


def _is_cached(target: Path) -> bool:
    try:
        load_npz(target)
        return True
    except (UserError, OSError, ValueError):
        return False


def extract(
    videos: list[Path], cache_dir: Path, workers: int = 2, threads_per_worker: int = 1,
    stride: int = 1, backend: str = "litert",
) -> ExtractionReport:  # fmt: skip
    cache_dir.mkdir(parents=True, exist_ok=True)
    report = ExtractionReport()
    todo = []
    for video in videos:
        if cache_path(video, cache_dir).is_file() and _is_cached(cache_path(video, cache_dir)):
            report.skipped += 1
        else:
            todo.append(video)
    start = time.perf_counter()
    progress = Progress(len(todo), "extract")
    with ProcessPoolExecutor(
        max_workers=max(1, workers),
        initializer=_init_worker,
        initargs=(backend, threads_per_worker),
    ) as pool:
        futures = {
            pool.submit(_extract_one, video, cache_path(video, cache_dir), stride): video
            for video in todo
        }
        for finished, future in enumerate(as_completed(futures), start=1):
            video = futures[future]
            try:
                report.frames += future.result()
                report.done += 1
            except (UserError, OSError, ValueError, RuntimeError) as exc:
                report.failed.append((str(video), str(exc).splitlines()[0]))
            progress.update(finished)
    progress.close()
    report.seconds = time.perf_counter() - start
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("inputs", nargs="+", type=Path, help="videos or folders of videos")
    parser.add_argument("--cache", type=Path, required=True)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1, help="interpreter threads per worker")
    parser.add_argument("--stride", type=int, default=1)
    parser.add_argument("--backend", default="litert")
    args = parser.parse_args(argv)
    report = extract(
        find_videos(args.inputs), args.cache, args.workers, args.threads, args.stride, args.backend
    )
    for video, message in report.failed:
        print(f"failed: {video}: {message}", file=sys.stderr)
    print(
        f"{report.done} extracted, {report.skipped} cached, {len(report.failed)} failed; "
        f"{report.frames} frames in {report.seconds:.1f} s = {report.fps:.1f} fps",
        file=sys.stderr,
    )
    return 1 if report.failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
