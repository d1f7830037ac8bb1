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

Pack-free counting (`any`) is the fall-back: a pack whose votes were less than MATCH
decisive only alternates on the motion, it does not describe it (the push-up pack on
jumping jacks: 0.73; on real push-ups 0.84-0.86; the squat pack on squats 0.98-1.00), and
a pack whose count disagrees with `any`'s counts something else. Before `any` has counted
(it waits for three regular cycles), a pack alone needs FORCE_REPS, and its pace must agree
with the period `any` already sees, if it sees one: the push-up pack reaches 4 "reps" on
floor sit-ups at 2.3 s apart before `any` has counted their 3.8 s cycles. When no pack
matches, the session counts with `any` once it has counted (live: FORCE_REPS reps), and a
clip that ends with no such pack takes `any`'s count (choose_counter).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from edge.modes import ANY

LOCK_REPS = 2
FORCE_REPS = 4
MATCH = 0.8  # decisiveness a pack needs for its exercise to be named
AGREE = 0.25  # a pack and `any` count one movement when this close


@dataclass(frozen=True)
class Standing:
    """One pack's evidence so far."""

    reps: int
    decisiveness: float  # mean share of the votes for the winning class, usable frames
    period_s: float | None = None  # median time between its reps' ends; None before two


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


def agrees(pack_reps: int, any_reps: int) -> bool:
    """Two counts of one movement: within one rep, or AGREE of the larger."""
    return abs(pack_reps - any_reps) <= max(1, AGREE * max(pack_reps, any_reps))


def same_pace(pack_period_s: float, any_period_s: float) -> bool:
    """Two periods of one movement: within AGREE of the longer."""
    return abs(pack_period_s - any_period_s) <= AGREE * max(pack_period_s, any_period_s)


def choose_counter(
    packs: Mapping[str, Standing], any_reps: int, finished: bool = False,
    any_period_s: float | None = None,
) -> str | None:  # fmt: skip
    """A matching pack by choose_exercise's rule, else ANY once it has counted, else None.

    A pack matches when its votes were MATCH decisive and, once pack-free counting has
    counted the movement too, the two counts agree: a pack that counts half as many or
    twice as many reps as the body's own cycles counts something else (the push-up pack
    on floor sit-ups: 13 against 9). Until `any` has counted, a pack needs FORCE_REPS (or
    the end of the clip) to be chosen alone, and a pace that agrees with `any_period_s`,
    the period `any` sees before its onset (None: it sees none)."""

    def credible(s: Standing) -> bool:
        if s.decisiveness < MATCH:
            return False
        paced = any_period_s is None or s.period_s is None or same_pace(s.period_s, any_period_s)
        if any_reps:
            return agrees(s.reps, any_reps) and paced
        return finished or (s.reps >= FORCE_REPS and paced)

    chosen = choose_exercise({n: s for n, s in packs.items() if credible(s)}, finished)
    if chosen is not None:
        return chosen
    if any_reps > 0 and (finished or any_reps >= FORCE_REPS):
        return ANY
    return None
