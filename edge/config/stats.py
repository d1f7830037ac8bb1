"""[stats]: how often the device reports its health."""

from __future__ import annotations

from pydantic import Field

from edge.config.base import Table


class StatsConfig(Table):
    interval_s: float = Field(
        60.0, gt=0, le=86400, allow_inf_nan=False,
        description="how often the stats message (fps, latency, queue) is published",
    )  # fmt: skip
