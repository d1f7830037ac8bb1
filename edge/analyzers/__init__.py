"""Analyzers: what runs on one person's landmarks, frame by frame, while a mode is set.

Each module in this package is one analyzer (the plug-in is the module: its `ANALYZER`
class), named in edge/modes.py's table by its module name. An analyzer takes one person's
landmarks (None: not seen in this frame) and the stream time, and returns typed events
(edge/analyzers/base.py); at the end of a stream it returns what it still holds.
"""

from __future__ import annotations

import importlib
from functools import cache

from edge.analyzers.base import Analyzer, AnalyzerFactory, Event, Resources
from edge.modes import MODE_TABLE

__all__ = ["Analyzer", "AnalyzerFactory", "Event", "Resources", "analyzer", "unavailable"]


@cache
def analyzer(name: str) -> AnalyzerFactory:
    """The analyzer class of edge/analyzers/<name>.py (imported on first use only)."""
    if not name.isidentifier() or name in ("base",):
        raise ValueError(f"no analyzer {name!r}")
    try:
        module = importlib.import_module(f"{__name__}.{name}")
    except ModuleNotFoundError as exc:
        if exc.name != f"{__name__}.{name}":
            raise
        raise ValueError(f"no analyzer {name!r} (edge/analyzers/{name}.py)") from None
    return module.ANALYZER


def unavailable(mode: str, resources: Resources) -> str | None:
    """Why `mode` cannot run with these resources (one line), or None when it can."""
    for name in MODE_TABLE[mode].analyzers:
        reason = analyzer(name).unavailable(resources)
        if reason is not None:
            return reason
    return None
