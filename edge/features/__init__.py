"""Pose features: fixed-length descriptions of a skeleton that downstream models compare."""
