"""Measurements behind `make bench`: they write docs/bench/*.md and JSON twins."""
