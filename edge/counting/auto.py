"""Which installed exercise is the person doing? One rule for a live session and a clip.

Several packs may "alternate" on one motion: the push-up pack (shoulders, wrists, hips,
torso turned upright) sees a squatter's hanging arms, then arms reaching forward at the
bottom, as two push-up states. What tells the packs apart is how decisive their votes
are: a pack whose samples describe the motion gets near-unanimous neighbours (the squat
pack on the squat clips: 0.98-1.00 of the votes for one class, on average), a pack that
only alternates on it gets split votes (the push-up pack there: 0.63-0.81).

So: among packs that completed a rep, the most decisive one leads, and it is chosen once
it has LOCK_REPS reps (one rep can be getting into position). If a less decisive pack
reaches FORCE_REPS first, the leader's reps were no exercise, and the most decisive pack
with LOCK_REPS reps is chosen: the session is not left undecided.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

LOCK_REPS = 2
FORCE_REPS = 4


@dataclass(frozen=True)
class Standing:
    """One pack's evidence so far."""

    reps: int
    decisiveness: float  # mean share of the votes for the winning class, usable frames


def choose_exercise(standings: Mapping[str, Standing], finished: bool = False) -> str | None:
    """The pack to count with, or None while undecided (or, `finished`, when no pack
    completed a rep). `finished`: the clip is over, so the leader needs no LOCK_REPS if
    no pack reached them."""
    contenders = {name: s for name, s in standings.items() if s.reps >= 1}
    if not contenders:
        return None
    most = max(s.reps for s in contenders.values())
    if finished:
        contenders = {n: s for n, s in contenders.items() if s.reps >= min(LOCK_REPS, most)}
    leader = max(contenders, key=lambda n: (contenders[n].decisiveness, contenders[n].reps))
    if finished or contenders[leader].reps >= LOCK_REPS:
        return leader
    if most >= FORCE_REPS:
        ready = {n: s for n, s in contenders.items() if s.reps >= LOCK_REPS}
        return max(ready, key=lambda n: (ready[n].decisiveness, ready[n].reps))
    return None
