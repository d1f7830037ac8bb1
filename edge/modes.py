"""What a device does with the landmarks, and the exercise names that are not packs.

Declared here once; the config file, the pipeline, the cmd topic's parser and the stats
payload all import these (and nothing heavier: this module imports nothing of ours).
"""

from __future__ import annotations

from typing import Final, Literal, get_args

Mode = Literal["count", "dance", "both"]
MODES: Final[tuple[Mode, ...]] = get_args(Mode)

# Exercise names with a meaning of their own; every other exercise name is a pack's.
AUTO: Final = "auto"  # every pack tracks the person; the most decisive one is picked
ANY: Final = "any"  # count reps without a pack (pack-free counting)
SPECIAL_EXERCISES: Final = (AUTO, ANY)


def counts(mode: str) -> bool:
    """Whether `mode` counts reps."""
    return mode in ("count", "both")


def dances(mode: str) -> bool:
    """Whether `mode` names the dance genre."""
    return mode in ("dance", "both")
