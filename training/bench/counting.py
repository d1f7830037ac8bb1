"""`make bench` (counting): the counting benchmark, end to end on every real counted clip.

Video -> LiteRT BlazePose -> a counter, for the 51 clips of training/bench/benchmark_clips.py:
`any` (pack-free) on every clip, each pack on the exercise clips it has a pack for, `auto`
on the exercise clips and the walk-in-and-out negative. Per clip: true, counted, error,
seconds; overall MAE, OBO and exact share per method and per subset; the extra cost of
`any` per frame; the delay from a rep's end to its event; short sets (QUVA clips with a
person cut after their 1st, 2nd and 3rd annotated cycle) and two sets apart by a still
rest (training/bench/benchmark_clips.py). Writes <out>.md and <out>.json.
`--cache DIR` keeps each clip's keypoints between runs (edge/keypoints_cache.py).
`--short-sets` measures only what a change to `any` moves, on our keypoints (with a warm
cache, a minute or two): the clips with a person, all 51, the short sets, the two sets
and the walk-in; it prints one line and writes nothing.
"""

from __future__ import annotations

import argparse
import csv
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from edge.counting.clip import ClipCount, count_any, count_auto, count_track
from edge.counting.pack import DEFAULT_PACKS_DIR, installed_packs, load_pack
from edge.counting.periodic import HOP_S
from edge.keypoints_cache import video_tracks
from edge.keypoints_io import KeypointTrack
from edge.paths import REPO, SHARED_DATA_DIR
from edge.pose.track import track_from_video
from training.bench.benchmark_clips import (
    REST_S,
    WALK_IN_OUT,
    BenchClip,
    Scores,
    all_clips,
    short_sets,
    span,
    two_sets,
)
from training.bench.report import write_report

LABELS = SHARED_DATA_DIR / "exercise_videos" / "labels.csv"


@dataclass(frozen=True)
class ClipScore:
    clip: str
    exercise: str
    true_reps: int
    counted: int
    partial: int  # partial reps: reported, not counted
    seconds: float  # pose + counting, whole clip, this machine

    @property
    def error(self) -> int:
        return self.counted - self.true_reps


def keypoints(video: Path, backend: str = "litert") -> KeypointTrack:
    return track_from_video(video, backend=backend)


def labelled_clips(labels: Path = LABELS) -> list[dict[str, str]]:
    with labels.open(newline="") as handle:
        return list(csv.DictReader(handle))


def score_clips(
    packs_dir: Path = DEFAULT_PACKS_DIR, labels: Path = LABELS,
    track_of: Callable[[Path], KeypointTrack] = keypoints,
) -> list[ClipScore]:  # fmt: skip
    """Count every labelled clip that has a pack; `track_of` gives a clip's keypoints
    (tests pass a cached one, so the pose model runs once per clip per test session)."""
    packs = installed_packs(packs_dir)
    scores = []
    for row in labelled_clips(labels):
        if row["exercise"] not in packs:
            continue
        pack = load_pack(packs[row["exercise"]])
        start = time.perf_counter()
        track = track_of(labels.parent / row["file"])
        result = count_track(
            track,
            pack,
            None,
            float(row["start_s"] or 0),
            float(row["end_s"]) if row["end_s"] else None,
        )
        seconds = time.perf_counter() - start
        scores.append(
            ClipScore(
                row["file"],
                row["exercise"],
                int(row["reps"]),
                result.reps,
                result.partial,
                seconds,
            )
        )
    return scores


@dataclass(frozen=True)
class AnyScore:
    clip: BenchClip
    result: ClipCount
    seconds: float  # counting the clip with `any`, this machine (pose: docs/bench/pose.md)
    frame_ms: tuple[float, ...]  # the any counter's own time per frame

    @property
    def error(self) -> int:
        return self.result.reps - self.clip.true_reps

    def delays_s(self, after_onset: bool = False) -> list[float]:
        """Per counted rep: publish time minus the annotated end of the nearest cycle.
        after_onset: only reps published on their own (not back-filled at the onset)."""
        ends = np.asarray(self.clip.cycle_ends_s)
        if ends.size == 0:
            return []
        reps = [e for e in self.result.events if not e.partial]
        if after_onset:
            times = [e.time_s for e in reps]
            reps = [e for e in reps if times.count(e.time_s) == 1]
        return [e.time_s - float(ends[np.argmin(np.abs(ends - e.end_s))]) for e in reps]


def score_any(clips: list[BenchClip], track_of: Callable[[Path], KeypointTrack]) -> list[AnyScore]:
    scores = []
    for clip in clips:
        track = track_of(clip.video)
        frame_seconds: list[float] = []
        began = time.perf_counter()
        result = count_any(track, clip.start_s, clip.end_s, frame_seconds)
        scores.append(
            AnyScore(
                clip, result, time.perf_counter() - began, tuple(1e3 * t for t in frame_seconds)
            )
        )
    return scores


def _subsets(scores: list[AnyScore]) -> dict[str, Scores]:
    groups = {
        "exercise_videos (11)": [s for s in scores if s.clip.set == "exercise"],
        "quva with a person (>= 80%)": [
            s for s in scores if s.clip.set == "quva" and s.clip.with_person
        ],
        "exercise_videos + quva with a person": [s for s in scores if s.clip.with_person],
        "quva, all 40": [s for s in scores if s.clip.set == "quva"],
        "all 51": scores,
    }
    return {k: Scores.of([(s.result.reps, s.clip.true_reps) for s in v]) for k, v in groups.items()}


def score_short_sets(
    clips: list[BenchClip], track_of: Callable[[Path], KeypointTrack]
) -> list[tuple[BenchClip, int, int]]:
    """(clip, true, counted) for every short set: the clip cut after 1, 2 and 3 cycles."""
    return [(c, k, count_any(track_of(c.video), None, end).reps) for c, k, end in short_sets(clips)]


def score_two_sets(
    scores: list[AnyScore], track_of: Callable[[Path], KeypointTrack]
) -> list[tuple[AnyScore, int]]:
    """(the clip's own score, counted on the clip + REST_S still + the clip) per clip with a
    person: the second set must count as the first did."""
    return [
        (s, count_any(two_sets(span(track_of(s.clip.video), s.clip.start_s, s.clip.end_s))).reps)
        for s in scores
        if s.clip.with_person
    ]


def _short_table(cuts: list[tuple[BenchClip, int, int]]) -> dict[str, float]:
    exact = {k: [counted == k for _, true, counted in cuts if true == k] for k in (1, 2, 3)}
    every = [counted == true for _, true, counted in cuts]
    return {
        "cuts": len(cuts), "exact": float(np.mean(every)) if every else float("nan"),
        **{f"exact_{k}": float(np.mean(v)) if v else float("nan") for k, v in exact.items()},
    }  # fmt: skip


def short_summary(clips: list[BenchClip], track_of: Callable[[Path], KeypointTrack]) -> str:
    """One line: `any` on the clips with a person and on all, the short sets, two sets and
    the walk-in, on one set of keypoints."""
    scores = score_any(clips, track_of)
    subsets = _subsets(scores)
    person, everyone = subsets["exercise_videos + quva with a person"], subsets["all 51"]
    short = _short_table(score_short_sets(clips, track_of))
    off = sum(abs(j - 2 * s.result.reps) for s, j in score_two_sets(scores, track_of))
    return (
        f"30 with a person: MAE {person.mae:.3f} OBO {person.obo:.2f} exact {person.exact:.2f}"
        f" | all 51: MAE {everyone.mae:.3f} | short sets {short['exact']:.2f} "
        f"({short['exact_1']:.2f} / {short['exact_2']:.2f} / {short['exact_3']:.2f})"
        f" | two sets off {off} | walk-in {count_any(track_of(WALK_IN_OUT)).reps}"
    )


def _pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "bench" / "counting")
    parser.add_argument("--cache", type=Path, help="keep clip keypoints here between runs")
    parser.add_argument(
        "--short-sets", action="store_true", help="only `any`'s figures, one line, no report"
    )
    args = parser.parse_args(argv)
    track_of = video_tracks(args.cache)
    clips = all_clips()
    if args.short_sets:
        print(short_summary(clips, track_of))
        return 0
    any_scores = score_any(clips, track_of)
    # the same counter on the reference estimator's keypoints: a counter fitted to one
    # estimator's jitter (the clips a user has are another's) falls apart here
    other = score_any(clips, video_tracks(args.cache, "mediapipe"))
    other_subsets = _subsets(other)
    pack_scores = score_clips(track_of=track_of)
    packs = installed_packs()
    loaded = [load_pack(folder) for folder in packs.values()]
    auto = {
        c.name: count_auto(track_of(c.video), loaded, c.start_s, c.end_s)
        for c in clips if c.set == "exercise"
    }  # fmt: skip
    walk = track_of(WALK_IN_OUT)
    negatives = {
        "any": count_any(walk).reps, "auto": count_auto(walk, loaded).reps,
        **{name: count_track(walk, load_pack(folder)).reps for name, folder in packs.items()},
    }  # fmt: skip
    subsets = _subsets(any_scores)
    cuts = score_short_sets(clips, track_of)
    other_cuts = score_short_sets(clips, video_tracks(args.cache, "mediapipe"))
    short, other_short = _short_table(cuts), _short_table(other_cuts)
    twice = score_two_sets(any_scores, track_of)
    twice_off = [joined - 2 * s.result.reps for s, joined in twice]
    frame_ms = [t for s in any_scores for t in s.frame_ms]
    delays = [d for s in any_scores if s.clip.with_person for d in s.delays_s()]
    steady = [d for s in any_scores if s.clip.with_person for d in s.delays_s(after_onset=True)]
    own_delays = [
        e.time_s - e.end_s for s in any_scores for e in s.result.events if not e.partial
    ]  # fmt: skip
    exact = sum(s.error == 0 for s in pack_scores)
    true_total = sum(s.true_reps for s in pack_scores)
    abs_error = sum(abs(s.error) for s in pack_scores)
    report = {
        "any": {
            "clips": [
                {
                    "clip": s.clip.name, "set": s.clip.set, "activity": s.clip.activity,
                    "person_found_pct": s.clip.person_found_pct, "true": s.clip.true_reps,
                    "counted": s.result.reps, "partial": s.result.partial, "error": s.error,
                    "seconds": round(s.seconds, 2),
                }
                for s in any_scores
            ],
            "subsets": {k: v.__dict__ for k, v in subsets.items()},
            "subsets_on_mediapipe_keypoints": {k: v.__dict__ for k, v in other_subsets.items()},
            "counted_on_mediapipe_keypoints": {s.clip.name: s.result.reps for s in other},
            "cost_ms_per_frame": {"mean": float(np.mean(frame_ms)), "p95": _pct(frame_ms, 95),
                                  "max": float(np.max(frame_ms))},
            "delay_s_vs_annotated_end": {"p50": _pct(delays, 50), "p95": _pct(delays, 95),
                                         "reps": len(delays)},
            "delay_s_after_onset": {"p50": _pct(steady, 50), "p95": _pct(steady, 95),
                                    "reps": len(steady)},
            "delay_s_vs_detected_end": {"p50": _pct(own_delays, 50), "p95": _pct(own_delays, 95)},
            "short_sets": {
                **short, "on_mediapipe_keypoints": other_short,
                "cuts_counted": [
                    {"clip": c.name, "true": k, "counted": n, "counted_on_mediapipe": o}
                    for (c, k, n), (_, _, o) in zip(cuts, other_cuts, strict=True)
                ],
            },
            "two_sets": {
                "rest_s": REST_S, "clips": len(twice),
                "sum_abs_off_twice_one_set": int(np.abs(twice_off).sum()),
                "exact_twice_one_set": float(np.mean(np.equal(twice_off, 0))),
                "mae_vs_twice_true": Scores.of(
                    [(j, 2 * s.clip.true_reps) for s, j in twice]
                ).mae,
                "counted": {s.clip.name: {"one_set": s.result.reps, "two_sets": j}
                            for s, j in twice},
            },
        },
        "packs": {
            "clips": [dict(s.__dict__, error=s.error) for s in pack_scores],
            "exact_pct": 100.0 * exact / len(pack_scores) if pack_scores else 0.0,
            "total_abs_error_pct_of_true": 100.0 * abs_error / true_total if true_total else 0.0,
        },
        "auto": {name: {"exercise": r.exercise, "reps": r.reps} for name, r in auto.items()},
        "walk_in_and_out": negatives,
    }  # fmt: skip
    steady_d = report["any"]["delay_s_after_onset"]
    cost, late, own = (
        report["any"]["cost_ms_per_frame"],
        report["any"]["delay_s_vs_annotated_end"],
        report["any"]["delay_s_vs_detected_end"],
    )
    lines = [
        "# Counting benchmark: every real counted clip",
        "",
        "Written by `make bench` (training/bench/counting.py). LiteRT BlazePose (2 threads) on "
        "every clip of `../shared/data/exercise_videos/` (inside its labelled span) and "
        "`quva/` (QUVA Repetition, annotated cycle by cycle). MAE = mean over clips of "
        "|counted - true| / "
        "true; OBO = share of clips with |counted - true| <= 1 (as QUVA's papers report them). "
        "Seconds = counting the clip with `any` (pose times: docs/bench/pose.md).",
        "",
        "## `any` (pack-free), per subset",
        "",
        "| clips | n | MAE | OBO | exact | MAE, MediaPipe's keypoints | OBO, MediaPipe's |",
        "|---|---:|---:|---:|---:|---:|---:|",
        *[
            f"| {k} | {v.clips} | {v.mae:.3f} | {v.obo:.2f} | {v.exact:.2f} "
            f"| {other_subsets[k].mae:.3f} | {other_subsets[k].obo:.2f} |"
            for k, v in subsets.items()
        ],
        "",
        "The last two columns: the same counter on the keypoints of MediaPipe's own "
        "`mp.solutions.pose` (the reference backend, `--backend mediapipe`) for the same "
        "frames: another estimator's jitter, as on clips and cameras we do not have. A "
        "counter fitted to one estimator's keypoints falls apart there.",
        "",
        "Acceptance: exercise_videos + quva with a person MAE <= 0.10 and OBO >= 0.85; "
        "all 51 MAE <= 0.25. The yardstick, a whole-clip first-principal-component "
        "autocorrelation count: MAE 0.31, OBO 0.64 on clips like these.",
        "",
        f"Cost of `any` per frame (the counter's own CPU time, this machine): mean "
        f"{cost['mean']:.3f} ms, "
        f"p95 {cost['p95']:.3f} ms, max {cost['max']:.2f} ms (one window analysis every "
        f"{HOP_S:g} s). Target: under 1 ms.",
        "",
        f"Delay from a rep's end to its event, QUVA clips with a person, against the annotated "
        f"cycle end nearest the rep's: p50 {late['p50']:.2f} s, p95 {late['p95']:.2f} s over "
        f"{len(delays)} reps (back-filled first reps included: they wait for the onset); "
        f"after the onset (reps published on their own): p50 {steady_d['p50']:.2f} s, "
        f"p95 {steady_d['p95']:.2f} s over {steady_d['reps']} reps. Against "
        f"the counter's own end of the cycle: p50 {own['p50']:.2f} s, p95 {own['p95']:.2f} s.",
        "",
        "## `any`: short sets and a second set after a rest",
        "",
        f"Short sets: each of the {short['cuts']} QUVA clips with a person cut right after its "
        "1st, 2nd and 3rd annotated cycle (`dancepose count --end`). Exact: "
        f"{short['exact']:.2f} of all cuts (1 cycle {short['exact_1']:.2f}, 2 cycles "
        f"{short['exact_2']:.2f}, 3 cycles {short['exact_3']:.2f}); on MediaPipe's keypoints "
        f"{other_short['exact']:.2f} ({other_short['exact_1']:.2f}, {other_short['exact_2']:.2f}, "
        f"{other_short['exact_3']:.2f}). Acceptance: exact on >= 0.80.",
        "",
        "| clip | cut after 1 | 2 | 3 |",
        "|---|---:|---:|---:|",
        *[
            f"| {name} | "
            + " | ".join(str(n) for c, _, n in cuts if c.name == name)
            + " |"
            for name in dict.fromkeys(c.name for c, _, _ in cuts)
        ],
        "",
        f"Two sets: each clip with a person, {REST_S:g} s of its last pose held still "
        "(0.5 px of keypoint noise), the clip again. Counted minus twice the clip's own "
        f"count, summed over {len(twice)} clips: "
        f"{report['any']['two_sets']['sum_abs_off_twice_one_set']}; exactly twice on "
        f"{report['any']['two_sets']['exact_twice_one_set']:.2f} of them; MAE against twice "
        f"the true count {report['any']['two_sets']['mae_vs_twice_true']:.3f}.",
        "",
        "## `any` per clip",
        "",
        "| clip | set | activity | person % | true | counted | partial | error | seconds "
        "| counted, MediaPipe's keypoints |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|",
        *[
            f"| {s.clip.name} | {s.clip.set} | {s.clip.activity} | {s.clip.person_found_pct} "
            f"| {s.clip.true_reps} | {s.result.reps} | {s.result.partial} | {s.error:+d} "
            f"| {s.seconds:.1f} | {o.result.reps} |"
            for s, o in zip(any_scores, other, strict=True)
        ],
        "",
        "## Packs on the clips they have a pack for",
        "",
        "| clip | exercise | true | counted | error | partial |",
        "|---|---|---:|---:|---:|---:|",
        *[
            f"| {s.clip} | {s.exercise} | {s.true_reps} | {s.counted} | {s.error:+d} "
            f"| {s.partial} |"
            for s in pack_scores
        ],
        "",
        f"Exact on {exact} of {len(pack_scores)} clips "
        f"({report['packs']['exact_pct']:.0f}%); total absolute error {abs_error} of "
        f"{true_total} true reps ({report['packs']['total_abs_error_pct_of_true']:.1f}%). "
        "Acceptance: exact on >= 80%, total error <= 5%.",
        "",
        "## `auto` on the exercise clips",
        "",
        "| clip | exercise | chosen | reps |",
        "|---|---|---|---:|",
        *[
            f"| {c.name} | {c.activity} | {auto[c.name].exercise} | {auto[c.name].reps} |"
            for c in clips if c.set == "exercise"
        ],
        "",
        f"Walking into view, standing, walking out (`{WALK_IN_OUT.name}`, should count 0): "
        + ", ".join(f"{k}: {v}" for k, v in negatives.items()),
        "",
    ]  # fmt: skip
    write_report(args.out, report, "\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
