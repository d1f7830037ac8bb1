"""docs/bench/dance.md from evaluate's report, and the int8 confusion matrix beside it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from training.dance.windows import UNIT_S

COLUMNS = (  # header, cell of docs/bench/dance.md's table
    ("K", "{k}"), ("window s", "{window_s:.2f}"), ("test windows", "{test}"),
    ("LSTM float32 acc", "{float32_acc:.3f} ({float32_acc_min:.2f}-{float32_acc_max:.2f})"),
    ("LSTM int8 acc", "{int8_acc:.3f} ({int8_acc_min:.2f}-{int8_acc_max:.2f})"),
    ("baseline acc", "{baseline_acc:.3f}"), ("int8 = float32", "{agree:.3f}"),
    ("float32 KB", "{float32_kb:.1f}"), ("int8 KB", "{int8_kb:.1f}"),
    ("int8 / float32", "{ratio:.2f}"), ("float32 ms", "{float32_ms:.3f}"),
    ("int8 ms", "{int8_ms:.3f}"),
)  # fmt: skip


def render(report: dict[str, Any], data: str) -> str:
    """docs/bench/dance*.md: the table, what the split is, and what it cannot measure."""
    names = zip(report["genres"], report["genre_names"], strict=True)
    split = report.get("split", "one AIST++ choreography per genre held out (the highest ch id)")
    if report.get("fold", 2) != 2:
        split += f" (fold {report['fold']}: from the clip at index {report['fold']})"
    lines = [
        "# Dance-genre classifier (keypoints -> LSTM)\n",
        f"`python -m training.dance evaluate --data {data}`: "
        f"{len(report['train_sequences']) + len(report['test_sequences'])} sequences, "
        f"genres {', '.join(f'{c} ({n})' for c, n in names)}. Test: {split}: "
        f"{', '.join(report['test_sequences'])}. Early stopping "
        "on the last 20 % of each training sequence; every training sequence is also trained "
        "on mirrored (windows.mirrored). Genres weigh the same in the loss. Accuracy is per "
        "window (one a unit): "
        f"the LSTM's is the mean (min-max) over {report['rows'][0]['seeds']} training seeds.\n",
    ]
    if len(report["dancers"]) <= len(report["genres"]):
        lines.append(
            f"**Each genre here has ONE dancer ({', '.join(report['dancers'])}), so these "
            "figures measure dancer + genre together, not genre alone**: a model may learn the "
            "person's style instead of the genre. Only data with several dancers per genre, "
            "split by dancer (the full AIST++ release), measures genre on its own.\n"
        )
    lines.append("| " + " | ".join(h for h, _ in COLUMNS) + " |")
    lines.append("|" + "---:|" * len(COLUMNS))
    lines += ["| " + " | ".join(c.format(**r) for _, c in COLUMNS) + " |" for r in report["rows"]]
    lines.append(
        "\nBaseline: standardised logistic regression on the flattened (k x 252) window. "
        "Sizes: tensor names stripped. Invoke: median over the test windows, ai-edge-litert, "
        "1 thread, on the x86 development machine, not a Pi. `int8 = float32`: share of "
        "windows where both pick the same genre (mean over seeds). The int8 weights are 1/4 "
        "of the float32 ones at every K, but each unrolled step adds tensors and ops of about "
        "the same size to both files, so the file ratio grows with K. Default K = "
        f"{report['default_k']} ({report['default_k'] * UNIT_S:.1f} s), why: `DEFAULT_K` in "
        "training/dance/evaluate.py. Confusion matrix of its int8 model: "
        "the _confusion.png beside this file."
    )
    row = next(r for r in report["rows"] if r["k"] == report["default_k"])
    if "int8_genre_acc" in row:
        ks = [r for r in report["rows"] if "int8_genre_acc" in r]
        lines.append("\nPer genre, int8, test windows of all seeds (accuracy at each K):\n")
        lines.append("| genre | name | " + " | ".join(f"K = {r['k']}" for r in ks) + " |")
        lines.append("|---|---|" + "---:|" * len(ks))
        for code, name in zip(report["genres"], report["genre_names"], strict=True):
            cells = " | ".join(f"{r['int8_genre_acc'][code]:.3f}" for r in ks)
            lines.append(f"| {code} | {name} | {cells} |")
    if "dance_named" in row:
        lines.append(
            f"\nAs the edge says it (int8, K = {row['k']}, mean over seeds; dancing when "
            "the motion energy >= min_motion_energy and P(`none`) < 1 - min_dancing, a genre "
            "named when dancing and the most probable genre's probability >= min_confidence, "
            "edge/dance/classifier.py): dance test windows dancing "
            f"{row.get('dance_dancing', float('nan')):.3f}, named a genre "
            f"{row['dance_named']:.3f}"
            + (
                f"; non-dance test windows dancing {row.get('none_dancing', float('nan')):.3f}"
                f", named a genre {row['none_named']:.3f}."
                if "none_named" in row
                else "."
            )
        )
    if "clips" in row:
        right = ", ".join(
            f"{sum(c['majority'] == c['genre'] for c in r['clips'])}/{len(r['clips'])} at "
            f"K = {r['k']}"
            for r in report["rows"]
            if "clips" in r
        )
        lines.append(f"\nHeld-out clips whose majority genre is right (first seed): {right}.")
        lines.append(f"\nEvery held-out clip, K = {row['k']}, int8, first seed:\n")
        lines.append(
            "| clip | genre | majority genre | share of its windows | dancing | named a genre |"
        )
        lines.append("|---|---|---|---:|---:|---:|")
        lines += [
            f"| {c['clip']} | {c['genre']} | {c['majority']} | {c['share']:.2f} "
            f"| {c.get('dancing', float('nan')):.2f} | {c.get('named', float('nan')):.2f} |"
            for c in row["clips"]
        ]
    return "\n".join(lines) + "\n"


def plot_confusion(report: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    row = next(r for r in report["rows"] if r["k"] == report["default_k"])
    matrix, names = np.array(row["int8_confusion"]), report["genre_names"]
    fig, ax = plt.subplots(figsize=(4.8, 4.2))
    ax.imshow(matrix, cmap="Blues")
    for (i, j), count in np.ndenumerate(matrix):
        dark = count > matrix.max() / 2
        ax.text(j, i, str(count), ha="center", va="center", color="white" if dark else "black")
    ax.set(xticks=range(len(names)), yticks=range(len(names)), xlabel="predicted", ylabel="true")
    ax.set_xticklabels(names, rotation=30, ha="right")
    ax.set_yticklabels(names)
    title = f"int8 LSTM, K={row['k']}: held-out windows, {row['seeds']} seeds"
    ax.set_title(f"{title}\n(one dancer per genre: dancer + genre)", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
