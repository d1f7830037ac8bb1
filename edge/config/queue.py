"""[queue]: the on-device store-and-forward queue, and where it lives by default."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from pydantic import Field

from edge.config.base import ConfigPath, Table

STATE_DIRECTORY_ENV = "STATE_DIRECTORY"  # set by systemd for StateDirectory=
QUEUE_FILE = "events.sqlite"


def default_queue_path(environ: Mapping[str, str] | None = None) -> Path:
    """$STATE_DIRECTORY/events.sqlite under systemd (StateDirectory=dancepose gives
    /var/lib/dancepose, the one writable place under ProtectSystem=strict), else
    ./state/events.sqlite for a developer's run."""
    env = os.environ if environ is None else environ
    state = env.get(STATE_DIRECTORY_ENV, "")
    # systemd joins several StateDirectory= entries with ':'; ours is the first.
    first = state.split(":")[0]
    if first:
        return Path(first) / QUEUE_FILE
    return Path.cwd() / "state" / QUEUE_FILE


class QueueConfig(Table):
    """The on-device store-and-forward queue that holds events while the broker is away."""

    path: ConfigPath = Field(
        default_factory=lambda: default_queue_path(),
        description="$STATE_DIRECTORY/events.sqlite, else ./state/events.sqlite",
    )
    max_events: int = Field(
        100_000, ge=1, le=100_000_000,
        description="oldest dropped beyond this (a full SD card helps nobody)",
    )  # fmt: skip
