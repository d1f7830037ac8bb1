"""Follow the teacher: a recorded routine (routine.py), the live person aligned to it online
(align.py) and each move scored per body part (score.py), as typed events (events.py)."""
