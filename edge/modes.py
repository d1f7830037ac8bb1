"""What a device does with the landmarks: the one table from mode to analyzers.

A mode is a row: the analyzers (edge/analyzers/<name>.py) that run on each person while
the mode is set, and whether their reps and dance verdicts go through the both-mode
arbiter (edge/app/arbiter.py). Everything that lists modes derives from this table: the
config's `mode.mode`, the cmd topic's `set_mode`, the `current` and `stats` payloads,
Home Assistant's mode select and the kiosk page's (tests/test_modes.py checks the schema
files against it). Adding a mode is one analyzer module, one row here, and its docs.

Also declared here: the exercise names with a meaning of their own (every other exercise
name is a pack's). This module imports nothing of ours, so the config can use it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal


@dataclass(frozen=True)
class ModeRow:
    analyzers: tuple[str, ...]  # edge/analyzers module names, run per person in this order
    description: str  # what a person reads in a selector's help
    arbitrated: bool = False  # reps and dance verdicts decided between (edge/app/arbiter.py)


MODE_TABLE: Final[dict[str, ModeRow]] = {
    "count": ModeRow(("counting",), "count reps"),
    "dance": ModeRow(("dance",), "name the dance genre"),
    "both": ModeRow(("counting", "dance"), "count reps and name the dance genre", arbitrated=True),
    "follow": ModeRow(("follow",), "follow a recorded routine, move by move"),
}

MODES: Final[tuple[str, ...]] = tuple(MODE_TABLE)
Mode = Literal[MODES]  # type: ignore[valid-type]  # the config's and payloads' type

# Exercise names with a meaning of their own; every other exercise name is a pack's.
AUTO: Final = "auto"  # every pack tracks the person; the most decisive one is picked
ANY: Final = "any"  # count reps without a pack (pack-free counting)
SPECIAL_EXERCISES: Final = (AUTO, ANY)
NO_EXERCISE: Final = "none"  # what auto reports for a clip where it counted nothing


def runs(mode: str, analyzer: str) -> bool:
    """Whether `mode` runs the analyzer named `analyzer`."""
    return analyzer in MODE_TABLE[mode].analyzers


def counts(mode: str) -> bool:
    """Whether `mode` counts reps."""
    return runs(mode, "counting")


def dances(mode: str) -> bool:
    """Whether `mode` names the dance genre."""
    return runs(mode, "dance")
