"""[mode]: what the device does with the landmarks, and the packs and model it needs."""

from __future__ import annotations

from typing import Annotated, Self

from pydantic import Field, ValidationInfo, model_validator

from edge.config.base import ConfigPath, Table, context, missing
from edge.config.messages import Expect, raise_issues
from edge.modes import SPECIAL_EXERCISES, Mode, counts, dances
from edge.paths import DEFAULT_DANCE_DIR, DEFAULT_PACKS_DIR, DEFAULT_ROUTINES_DIR

_EXERCISE = (
    f"{', '.join(SPECIAL_EXERCISES)} or a pack name (a folder under mode.packs_dir, like 'squat')"
)


class ModeConfig(Table):
    """What the device does with the landmarks: count reps, name the dance genre, or both."""

    mode: Mode = Field("count", description="count reps, name the dance genre, or both")
    exercise: Annotated[str, Expect(_EXERCISE)] = Field(
        "auto", pattern=r"^[a-z0-9_-]{1,64}$", description="a pack name, auto or any"
    )
    packs_dir: ConfigPath = Field(DEFAULT_PACKS_DIR, description="the exercise packs' folder")
    dance_model_dir: ConfigPath = Field(DEFAULT_DANCE_DIR, description="the dance model folder")
    dance_publish_interval_s: float = Field(
        1.0, ge=0, le=3600, allow_inf_nan=False, description="at most one genre message per"
    )
    routines_dir: ConfigPath = Field(
        DEFAULT_ROUTINES_DIR, description="follow mode's routines (`dancepose routine record`)"
    )
    routine: str | None = Field(
        None, pattern=r"^[a-z0-9_-]{1,64}$",
        description="the routine follow mode starts with (default: the first recorded)",
    )  # fmt: skip

    @model_validator(mode="after")
    def _folders_the_mode_needs(self, info: ValidationInfo) -> Self:
        given = self.model_fields_set
        issues = []
        if self.counts:
            fix = "; the packs come with DancePose (models/packs), `make packs` rebuilds them"
            given_dir = "packs_dir" in given
            problem = missing(info, self.packs_dir, "folder", given_dir, "mode.packs_dir", fix)
            if problem:
                issues.append(("packs_dir", problem))
            elif context(info)[1] and self.exercise not in SPECIAL_EXERCISES:
                issues += self._pack_missing()
        if self.dances:
            fix = '; run `make dance-model`, or set mode.mode = "count"'
            given_dir = "dance_model_dir" in given
            key = "mode.dance_model_dir"
            problem = missing(info, self.dance_model_dir, "folder", given_dir, key, fix)
            if problem:
                issues.append(("dance_model_dir", problem))
        raise_issues(issues)
        return self

    def _pack_missing(self) -> list[tuple[str, str]]:
        """[] when exercise names an installed pack, else the issue that says which are."""
        if (self.packs_dir / self.exercise / "pack.json").is_file():
            return []
        found = sorted(p.parent.name for p in self.packs_dir.glob("*/pack.json"))
        return [(
            "exercise",
            f"no pack {self.exercise!r} in {self.packs_dir}; use "
            f"{', '.join(SPECIAL_EXERCISES)} or one of "
            + (", ".join(found) if found else "(none there: run `make packs`)"),
        )]  # fmt: skip

    @property
    def counts(self) -> bool:
        return counts(self.mode)

    @property
    def dances(self) -> bool:
        return dances(self.mode)
