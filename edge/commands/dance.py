"""`dancepose dance VIDEO|KEYPOINTS`: the dance genre of every sliding window, per person
(--people N, or a `dancepose pose` npz of several people)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from edge.commands.inputs import add_input_options, check_overlay, write_clip_overlay
from edge.commands.pose import add_people_option, add_pose_model_options, load_people
from edge.dance.classifier import DanceClassifier
from edge.dance.model import DEFAULT_DANCE_DIR, load_metadata
from edge.errors import UsageError
from edge.keypoints_io import KeypointTrack
from edge.overlay import genre_caption


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("dance", help="classify the dance genre, window by window")
    add_input_options(parser)
    parser.add_argument("--model", type=Path, default=DEFAULT_DANCE_DIR, help="dance model dir")
    parser.add_argument("--json", action="store_true", help="one JSON object per window")
    add_pose_model_options(parser)
    add_people_option(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    meta = load_metadata(args.model)  # a missing model fails before minutes of pose estimation
    check_overlay(args)
    people = load_people(args)
    track = people.main
    needed_s = meta.units_per_window * meta.unit_s
    if track.num_frames / track.fps < needed_s:
        raise UsageError(
            f"{args.video} is {track.num_frames / track.fps:.1f} s long; the dance model needs "
            f"at least {needed_s:.1f} s ({meta.units_per_window} units of {meta.unit_s:.2f} s)"
        )
    if not people.tracks:
        raise UsageError(f"no person found in {args.video}; nothing to classify")
    label = len(people.tracks) > 1
    for person, person_track in people.tracks.items():
        windows = classify(args, person_track, person if label else None)
        if args.overlay is not None and person_track is track:  # the main person's
            write_clip_overlay(args, track, genre_caption(track.times_s, windows))
    return 0


def classify(
    args: argparse.Namespace, track: KeypointTrack, person: int | None
) -> list[tuple[float, str, float]]:
    """Print one person's windows (person None: the only one, no label); returns them."""
    classifier = DanceClassifier(fps=track.fps, folder=args.model)
    windows: list[tuple[float, str, float]] = []
    for index, time_s in enumerate(track.times_s):
        landmarks = track.landmarks[index] if track.present[index] else None
        event = classifier.push(landmarks, float(time_s))
        if event is None:
            continue
        windows.append((event.time_s, verdict(event.genre_name), event.confidence))
        if args.json:
            record = {
                "time_s": round(event.time_s, 3),
                "genre": event.genre,
                "genre_name": event.genre_name,
                "dancing": event.dancing,
                "confidence": round(event.confidence, 4),
                "motion_energy": round(event.motion_energy, 4),
                "probabilities": event.probabilities,
            }
            if person is not None:
                record["person"] = person
            print(json.dumps(record))
        else:
            ranked = sorted(event.probabilities.items(), key=lambda kv: -kv[1])[:3]
            top = "  ".join(f"{g} {p:.2f}" for g, p in ranked)
            who = "" if person is None else f"person {person}  "
            print(f"{who}{event.time_s:7.2f} s  {verdict(event.genre_name):14s}  {top}")
    return windows


def verdict(genre_name: str | None) -> str:
    """A window's answer in words: its genre, "none", or "dancing" (style not known)."""
    return "dancing" if genre_name is None else genre_name
