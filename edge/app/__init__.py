"""The edge program: the per-frame pipeline and the loop that runs it all day."""
