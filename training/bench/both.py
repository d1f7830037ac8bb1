"""`both` mode's rule (edge/app/arbiter.py) measured on real clips -> docs/bench/both.md.

Every clip goes through edge.app.pipeline.Pipeline from its recorded keypoints (packs,
pack-free `any` and auto, exactly as `dancepose run` does after the pose model): in `count`
mode, in `dance` mode, and in `both` mode with the arbiter. Without the rule, `both` is
`count`'s reps plus `dance`'s genres (they do not see each other); with it, what the
arbiter lets out. Per clip: reps published, dance windows (verdicts) that say dancing
(genre known or not: edge/dance/classifier.py) and those that name a genre.

Held out: a clip a dance model trained on would say too little about it, so each clip is
run with a model that did not see it. The fold models are `training.dance train --fold N`
on the shipped recipe (make dance-model's data), N = 0, 1, 2; each clip of the labelled
folders and negatives is held out by exactly one fold (training.dance.windows.hold_out),
AIST++'s held-out choreographies by all three (fold 2 is used). The real dance videos of
../shared/data/dance_videos are in no training set: they are run with the shipped model.

    .venv-train/bin/python -m training.bench.both --folds out/dance-fold0 out/dance-fold1 \\
        out/dance-fold2 --out docs/bench/both
"""

from __future__ import annotations

import argparse
import csv
from dataclasses import dataclass
from pathlib import Path

from edge.app.pipeline import Pipeline
from edge.counting.classifier import TfliteVotes
from edge.counting.pack import DEFAULT_PACKS_DIR, installed_packs, load_pack
from edge.dance.classifier import NONE
from edge.dance.model import DEFAULT_DANCE_DIR
from edge.keypoints_cache import cache_path
from edge.keypoints_io import KeypointTrack, load_npz
from edge.modes import AUTO
from edge.paths import REPO, SHARED_DATA_DIR
from training.bench.report import write_report
from training.dance.windows import hold_out, load_sequences
from training.datasets.aistpp import Sequence
from training.datasets.labelled_folder import extract_videos, load_negatives

DATA = SHARED_DATA_DIR
CACHE = REPO / "out" / "keypoints"  # training.extract's cache, as make dance-model fills it
DANCE_DATA = (DATA / "aistpp_small", DATA / "ballroom")
WALK_RUN = (DATA / "dance_videos" / "jacky_walk.mp4", DATA / "dance_videos" / "jacky_run.mp4")
NEGATIVES = (DATA / "exercise_videos", DATA / "quva" / "videos", *WALK_RUN)
DANCE_VIDEOS = ("jacky_dance", "tiktok_dance", "belly_dancing", "macarena")


@dataclass
class Clip:
    name: str
    group: str  # exercise, quva, walk/run, dance video, ballroom, AIST++
    track: KeypointTrack
    model: Path
    true_reps: int | None = None
    start_s: float | None = None
    end_s: float | None = None


def run(clip: Clip, mode: str, packs: list) -> tuple[list, list]:
    """(published reps, published dance verdicts) of one clip in one mode."""
    pipeline = Pipeline.build(None, packs, TfliteVotes, clip.model, mode, AUTO)
    pipeline.start_stream(clip.track.fps)
    reps, verdicts = [], []
    times = clip.track.times_s
    for i in range(clip.track.num_frames):
        t = float(times[i])
        if (clip.start_s is not None and t < clip.start_s) or (
            clip.end_s is not None and t > clip.end_s
        ):
            continue
        present = clip.track.present[i]
        result = pipeline.process_landmarks(clip.track.landmarks[i] if present else None, t)
        reps += result.reps
        verdicts += [result.dance] if result.dance is not None else []
    reps += pipeline.finish().reps
    return [r for r in reps if not r.partial], verdicts


def _labels(path: Path) -> dict[str, dict[str, str]]:
    with path.open(newline="") as handle:
        return {row["file"]: row for row in csv.DictReader(handle)}


def clips(folds: list[Path], shipped: Path, videos_only: bool = False) -> list[Clip]:
    """Every measured clip with the model that did not see it (`videos_only`: the real dance
    videos alone, which need no fold model)."""
    sequences = [] if videos_only else [s for d in DANCE_DATA for s in load_sequences(d)]
    sequences += [] if videos_only else load_negatives(list(NEGATIVES), CACHE)
    exercise = _labels(DATA / "exercise_videos" / "labels.csv")
    quva = _labels(DATA / "quva" / "labels.csv")
    chosen: dict[str, tuple[Sequence, Path]] = {}
    for fold in (2, 0, 1):  # AIST++'s held-out choreographies: fold 2's model
        for seq in hold_out(sequences, fold)[1]:
            chosen.setdefault(seq.name, (seq, folds[fold]))
    out = []
    for name, (seq, model) in chosen.items():
        stem = name.split("/")[-1]
        if seq.genre != NONE:
            group = "ballroom" if "/" in name else "AIST++"
            out.append(Clip(name, group, seq.track, model))
        elif f"{stem}.mp4" in exercise:
            row = exercise[f"{stem}.mp4"]
            start, end = (float(row[k]) if row[k] else None for k in ("start_s", "end_s"))
            out.append(Clip(name, "exercise", seq.track, model, int(row["reps"]), start, end))
        elif f"{stem}.mp4" in quva:
            out.append(Clip(name, "QUVA", seq.track, model, int(quva[f"{stem}.mp4"]["reps"])))
        else:
            out.append(Clip(name, "walk/run", seq.track, model, 0))
    # In no training set, so the shipped model: the dance videos, and an exercise clip that
    # load_negatives skips (the person on too few frames) but counting still counts.
    videos = [DATA / "dance_videos" / f"{stem}.mp4" for stem in DANCE_VIDEOS]
    missing = [] if videos_only else [f for f in exercise if f"{NONE}/{Path(f).stem}" not in chosen]
    extract_videos([*videos, *(DATA / "exercise_videos" / f for f in missing)], CACHE)
    for video in videos:
        track = load_npz(cache_path(video, CACHE))
        out.append(Clip(f"dance_videos/{video.stem}", "dance video", track, shipped, 0))
    for file in missing:
        row = exercise[file]
        track = load_npz(cache_path(DATA / "exercise_videos" / file, CACHE))
        start, end = (float(row[k]) if row[k] else None for k in ("start_s", "end_s"))
        name = f"{NONE}/{Path(file).stem}"
        out.append(Clip(name, "exercise", track, shipped, int(row["reps"]), start, end))
    order = ["exercise", "QUVA", "walk/run", "dance video", "ballroom", "AIST++"]
    return sorted(out, key=lambda c: (order.index(c.group), c.name))


def measure(clip: Clip, packs: list) -> dict[str, object]:
    counted, _ = run(clip, "count", packs)
    _, verdicts = run(clip, "dance", packs)
    both, judged = run(clip, "both", packs)
    assert [v.time_s for v in judged] == [v.time_s for v in verdicts]  # the same windows
    return {
        "clip": clip.name, "group": clip.group, "model": clip.model.name,
        "true_reps": clip.true_reps, "reps_count": len(counted), "reps_both": len(both),
        "windows": len(verdicts), "named": sum(v.is_dancing for v in verdicts),
        "named_both": sum(v.is_dancing for v in judged),
        "genre": sum(v.genre not in (None, NONE) for v in verdicts),
    }  # fmt: skip


def render(rows: list[dict[str, object]]) -> str:
    def total(group: str, key: str) -> int:
        return sum(int(r[key]) for r in rows if r["group"] == group)  # type: ignore[call-overload]

    groups = list(dict.fromkeys(str(r["group"]) for r in rows))
    lines = [
        "# `both` mode: reps and genres, without and with the arbiter's rule",
        "",
        "Written by `python -m training.bench.both` (its docstring: how each clip gets a "
        "dance model that did not see it):",
        "",
        "```sh",
        'S=../shared/data; NEG="--negatives $S/exercise_videos $S/quva/videos '
        '$S/dance_videos/jacky_walk.mp4 $S/dance_videos/jacky_run.mp4"',
        "for f in 0 1 2; do .venv-train/bin/python -m training.dance train --data "
        "$S/aistpp_small $S/ballroom $NEG --fold $f --out out/dance-fold$f; done",
        ".venv-train/bin/python -m training.bench.both --folds out/dance-fold0 "
        "out/dance-fold1 out/dance-fold2",
        "```",
        "",
        "Reps: counted reps published (partial reps left out), "
        "exercise auto; the exercise clips inside their labelled span. Without the rule, "
        "`both` publishes `count` mode's reps and `dance` mode's genres; with it, what "
        "edge/app/arbiter.py lets out. The variant without the rule's second half (reps "
        "withheld, genres never turned to `none`) is the reps with the rule and the genres "
        "without it: the rule's reps never depend on that half.",
        "",
        "| clips | n | true reps | reps without rule | reps with rule | dance windows "
        "| dancing without rule | with rule | genre named without rule |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for g in groups:
        n = sum(r["group"] == g for r in rows)
        windows = max(total(g, "windows"), 1)
        true = "-" if g in ("ballroom", "AIST++") else str(total(g, "true_reps"))
        lines.append(
            f"| {g} | {n} | {true} | {total(g, 'reps_count')} | {total(g, 'reps_both')} | "
            f"{total(g, 'windows')} | {total(g, 'named') / windows:.3f} | "
            f"{total(g, 'named_both') / windows:.3f} | "
            f"{sum(int(r.get('genre', 0)) for r in rows if r['group'] == g) / windows:.3f} |"
        )
    lines += [
        "",
        "Every clip:",
        "",
        "| clip | clips | dance model | true reps | reps without rule | reps with rule "
        "| windows | dancing without rule | with rule |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {r['clip']} | {r['group']} | {r['model']} | "
        f"{'-' if r['true_reps'] is None else r['true_reps']} | {r['reps_count']} | "
        f"{r['reps_both']} | {r['windows']} | {r['named']} | {r['named_both']} |"
        for r in rows
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--folds", type=Path, nargs=3, required=True, help="fold 0, 1, 2 models")
    parser.add_argument("--shipped", type=Path, default=DEFAULT_DANCE_DIR)
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "bench" / "both")
    parser.add_argument("--groups", nargs="+", help="measure only these groups (e.g. "
                        "'dance video' exercise); default every one")  # fmt: skip
    args = parser.parse_args(argv)
    packs = [load_pack(folder) for folder in installed_packs(DEFAULT_PACKS_DIR).values()]
    rows = []
    for clip in clips(args.folds, args.shipped, args.groups == ["dance video"]):
        if args.groups and clip.group not in args.groups:
            continue
        rows.append(measure(clip, packs))
        print({k: v for k, v in rows[-1].items() if k != "group"}, flush=True)
    write_report(args.out, rows, render(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
