"""`train` without --k: the window length chosen by held-out evaluation inside the data.

The training clips are split by `windows.hold_out` (the same rule as `evaluate`: an AIST++
choreography per genre, 1 labelled clip or performer in 3), once per fold, so that every
labelled clip is held out once; for each candidate K one model per fold (seed 0, float32)
trains on one side and is scored on the other, and the held-out windows of the three folds
are pooled per genre. The K whose worst genre is best wins, ties going to the shorter
window (it answers sooner). One fold alone is one or two clips a genre on a small folder
(ballroom: fold 0 picked K = 8 on one chacha clip, the pooled folds pick 16). The table
goes into the model's metadata (training_data.k_choice), so the choice can be checked.
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np

from training.dance.model import train_lstm
from training.dance.windows import dataset, genres_of, hold_out, split_tail, stack, with_mirrors
from training.datasets import DatasetError
from training.datasets.aistpp import Sequence
from training.datasets.labelled_folder import HOLD_OUT_EVERY

CANDIDATE_KS = (8, 16)  # 2.7 s and 5.3 s: street dances peak at 8, ballroom needs 16
RULE = "the K whose lowest held-out per-genre accuracy is highest; ties: the shorter K"


def per_genre_accuracy(sequences: list[Sequence], k: int) -> dict[str, float]:
    """Held-out accuracy per genre with windows of k units, pooled over the folds (one
    seed-0 model each)."""
    genres = genres_of(sequences)
    right, seen = np.zeros(len(genres)), np.zeros(len(genres))
    for fold in range(HOLD_OUT_EVERY):
        train, test = hold_out(sequences, fold)
        x_tr, y_tr, x_val, y_val = split_tail(dataset(with_mirrors(train), k, genres), k)
        x_test, y_test = stack(dataset(test, k, genres))
        model = train_lstm(x_tr, y_tr, x_val, y_val, k, len(genres))
        pred = model.predict(x_test, verbose=0).argmax(1)
        np.add.at(seen, y_test, 1)
        np.add.at(right, y_test[pred == y_test], 1)
    return {g: round(float(right[i] / seen[i]), 4) for i, g in enumerate(genres) if seen[i]}


def pick(scores: dict[int, dict[str, float]]) -> int:
    """RULE: the K whose worst genre scores highest; on a tie the shorter K."""
    return max(scores, key=lambda k: (min(scores[k].values()), -k))


def choose_k(
    sequences: list[Sequence], ks: tuple[int, ...] = CANDIDATE_KS
) -> tuple[int, dict[str, Any]]:
    """(the chosen K, the table behind it). A K too long for the held-out clips of a genre
    is skipped and said so; none left is an error naming the shortest K."""
    scores: dict[int, dict[str, float]] = {}
    for k in sorted(ks):
        try:
            scores[k] = per_genre_accuracy(sequences, k)
        except (DatasetError, ValueError) as exc:
            print(f"k={k} not considered: {exc}", file=sys.stderr)
            continue
        print(f"k={k}: held-out per-genre accuracy {scores[k]}", file=sys.stderr)
    if not scores:
        raise DatasetError(
            f"no candidate window length ({', '.join(map(str, ks))} units) fits both sides of "
            "the held-out split: add longer clips or pass --k"
        )
    best = pick(scores)
    table = {"candidates": {str(k): s for k, s in scores.items()}, "chosen": best, "rule": RULE}
    return best, table
