"""`make bench` (loop): what the edge loop costs per frame besides pose inference, and
how long a rep takes from its frame to the broker's PUBACK. `--soak MINUTES` instead
runs a looped clip that long and reports RSS at start and end (`make soak`, not CI).

Runs `EdgeLoop` in this process on a real clip against a private mosquitto, in mode
"both" (counting and dance), recording every frame's stage timings.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

from edge.app.loop import EdgeLoop
from edge.app.stats import StageStats
from edge.config import load_config
from edge.paths import REPO, SHARED_DATA_DIR
from training.devkit.broker import PrivateBroker

CLIP = SHARED_DATA_DIR / "exercise_videos" / "goblet_squat_front_6.mp4"


class RecordingStats(StageStats):
    def __init__(self) -> None:
        super().__init__()
        self.frames: list[dict[str, float]] = []

    def add_frame(self, timings_ms: dict[str, float]) -> None:
        super().add_frame(timings_ms)
        self.frames.append(dict(timings_ms))


def rss_mib() -> float:
    return int(Path("/proc/self/statm").read_text().split()[1]) * 4096 / 2**20


def make_loop(broker: PrivateBroker, queue: Path, loop_clip: bool) -> EdgeLoop:
    config = load_config(REPO / "firmware_config" / "demo.toml", check_paths=False)
    config = config.replace(
        source=config.source.replace(path=CLIP, loop=loop_clip),
        mode=config.mode.replace(mode="both", exercise="squat"),
        mqtt=config.mqtt.replace(host=broker.host, port=broker.port),
        queue=config.queue.replace(path=queue),
        web=config.web.replace(listen="127.0.0.1:0"),  # served, nobody watching (bench/web.py)
    )
    return EdgeLoop(config)


def cost(out: Path) -> int:
    with PrivateBroker() as broker, tempfile.TemporaryDirectory() as tmp:
        loop = make_loop(broker, Path(tmp) / "events.sqlite", loop_clip=False)
        stats = loop.stats = RecordingStats()
        latencies: list[float] = []
        take = loop.publisher.take_latency

        def take_and_keep():
            summary = take()
            if summary.mean_ms is not None:
                latencies.extend([summary.mean_ms] * summary.samples)
            return summary

        loop.publisher.take_latency = take_and_keep  # type: ignore[method-assign]
        loop.run()
        take_and_keep()
    frames = stats.frames
    # The loop's own work: classifiers, features, and handing events to the queue/publisher.
    own = np.array([f["count"] + f["dance"] + f["publish"] for f in frames])
    pose = np.array([f["pose"] for f in frames])
    total = np.array([f["total"] for f in frames])
    report = {
        "clip": CLIP.name,
        "frames": len(frames),
        "loop_cost_ms_excluding_pose": {
            "median": float(np.median(own)), "p95": float(np.percentile(own, 95)),
            "max": float(own.max()),
        },
        "pose_ms_median": float(np.median(pose)),
        "frame_total_ms_median": float(np.median(total)),
        "put_to_puback_ms_mean": float(np.mean(latencies)) if latencies else None,
    }  # fmt: skip
    e2e = report["frame_total_ms_median"] + (report["put_to_puback_ms_mean"] or 0.0)
    report["frame_to_puback_ms"] = e2e
    c = report["loop_cost_ms_excluding_pose"]
    lines = [
        "# Edge loop: its own cost per frame, and frame-to-PUBACK latency",
        "",
        f"`EdgeLoop` on {CLIP.name} ({len(frames)} frames), mode both (squat pack and dance "
        "model), a private mosquitto on loopback. Written by `make bench`.",
        "",
        "| figure | ms |",
        "|---|---:|",
        f"| loop cost excluding pose (counting + dance + queue put), median | {c['median']:.3f} |",
        f"| same, 95th percentile | {c['p95']:.3f} |",
        f"| same, max | {c['max']:.3f} |",
        f"| pose inference, median | {report['pose_ms_median']:.2f} |",
        f"| whole frame, median | {report['frame_total_ms_median']:.2f} |",
        f"| event put -> PUBACK, mean | {report['put_to_puback_ms_mean'] or float('nan'):.2f} |",
        f"| frame -> PUBACK (whole frame + put -> PUBACK) | {e2e:.2f} |",
        "",
        "Acceptance: loop cost excluding pose under 2 ms per frame.",
        "",
    ]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(json.dumps(report, indent=2))
    out.with_suffix(".md").write_text("\n".join(lines))
    print("\n".join(lines))
    return 0


def soak(minutes: float, out: Path) -> int:
    with PrivateBroker() as broker, tempfile.TemporaryDirectory() as tmp:
        loop = make_loop(broker, Path(tmp) / "events.sqlite", loop_clip=True)
        thread = threading.Thread(target=loop.run)
        thread.start()
        time.sleep(30)  # warm-up: models loaded, caches and arenas filled
        start = rss_mib()
        samples = [(0.0, start)]
        t0 = time.monotonic()
        while time.monotonic() - t0 < minutes * 60:
            time.sleep(10)
            samples.append((time.monotonic() - t0, rss_mib()))
        loop.stop()
        thread.join(60)
    end = samples[-1][1]
    growth = 100 * (end - start) / start
    text = (
        f"# Soak: {minutes:g} min on a looped clip\n\nRSS after warm-up {start:.1f} MiB, at "
        f"the end {end:.1f} MiB: growth {growth:+.2f}% (acceptance: <= 5%). Peak "
        f"{max(s for _, s in samples):.1f} MiB. Written by `make soak`.\n"
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".md").write_text(text)
    out.with_suffix(".json").write_text(json.dumps({"rss_mib": samples, "growth_pct": growth}))
    print(text)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--soak", type=float, metavar="MINUTES")
    args = parser.parse_args(argv)
    if args.soak:
        return soak(args.soak, args.out or REPO / "docs" / "bench" / "soak")
    return cost(args.out or REPO / "docs" / "bench" / "loop")


if __name__ == "__main__":
    raise SystemExit(main())
