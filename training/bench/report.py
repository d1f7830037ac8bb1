"""Every benchmark writes the same pair: <out>.json (the figures) and <out>.md (the page)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def write_report(out: Path, figures: Any, markdown: str) -> None:
    """Write out.json and out.md (making the folder), and print the Markdown."""
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(json.dumps(figures, indent=2) + "\n")
    out.with_suffix(".md").write_text(markdown)
    print(markdown)
