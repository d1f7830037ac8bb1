"""`both` mode: reps and dance genres do not talk over each other.

The rule: a stretch of time is a set or a dance, never both, and the dance classifier's
verdicts over a rep decide which.

- A rep (or partial rep) is held until the first dance verdict at or after its end
  (verdicts come once a unit, 1/3 s). It is then *withheld* (a dance step, not a rep) when
  more than half of the verdicts from its start to that one said dancing (a genre named
  or not: "dancing, style not known" counts), and published otherwise.
- A dancing verdict is reported as `none` (not dancing) while a published rep ends inside
  its window (the last K units): someone is doing a set.

So a dance the classifier recognises is not counted, a set of squats is not named a dance,
and a verdict that wrongly names a genre once in a set cannot cost a rep (it needs most of
the verdicts over the rep). What it costs: in `both` mode a rep is published up to one unit
later, and up to one window later at the start of a stream (the first verdict needs K
units). Measured on real clips in docs/bench/both.md; the choice in docs/dance_features.md.

Counters and the classifier are not touched: the arbiter only sees their events. Withheld
reps are subtracted from the published counts (`published_count`), so a subscriber's
count and the stats' count never include a dance step.
"""

from __future__ import annotations

import dataclasses
from collections import deque

from edge.counting.events import RepEvent
from edge.dance.classifier import NONE, DanceEvent

KEEP_S = 60.0  # verdicts kept for reps that arrive late (pack-free counting back-fills)


class Arbiter:
    def __init__(self, window_s: float) -> None:
        """window_s: the span of one dance verdict (units_per_window x unit_s)."""
        self.window_s = window_s
        self._verdicts: deque[tuple[float, bool]] = deque()  # (time, dancing)
        self._held: list[RepEvent] = []
        self._published_ends: list[float] = []  # ends of published reps, last window
        self.withheld: list[RepEvent] = []  # since the last reset: reps judged dance steps

    def reset(self) -> None:
        """The count restarts (reset, new exercise, new session): nothing withheld yet."""
        self.withheld.clear()

    def new_stream(self) -> list[RepEvent]:
        """Frames no longer follow on: the held reps are decided on what was seen."""
        released = self.finish()
        self._verdicts.clear()
        self._published_ends.clear()
        return released

    def reps(self, events: list[RepEvent]) -> list[RepEvent]:
        """Take the counters' reps; returns those already decidable (a late, back-filled
        rep whose verdicts are all in), the rest wait for the next verdict."""
        self._held.extend(events)
        return self._decide(final=False)

    def verdict(self, event: DanceEvent) -> tuple[DanceEvent, list[RepEvent]]:
        """One dance verdict in: (the verdict to publish, the reps it lets through)."""
        named = event.is_dancing
        self._verdicts.append((event.time_s, named))
        while self._verdicts and self._verdicts[0][0] < event.time_s - KEEP_S:
            self._verdicts.popleft()
        released = self._decide(final=False)
        since = event.time_s - self.window_s
        self._published_ends = [end for end in self._published_ends if end > since]
        if named and self._published_ends:  # a set is being counted inside this window
            event = dataclasses.replace(event, genre=NONE, genre_name=NONE, dancing=0.0)
        return event, released

    def finish(self) -> list[RepEvent]:
        """The stream ended: every held rep is decided on the verdicts it has (none: it is
        published, no result is lost)."""
        return self._decide(final=True)

    def published_count(self, exercise: str, count: int, partial: int) -> tuple[int, int]:
        """A counter's (reps, partial reps) less its reps withheld since the last reset and
        those still held: what has been published, so a count never runs ahead of its reps
        (and never goes back down when a held rep turns out to be a dance step)."""
        mine = [rep for rep in self.withheld + self._held if rep.exercise == exercise]
        partial_out = sum(rep.partial for rep in mine)
        return count - (len(mine) - partial_out), partial - partial_out

    def _decide(self, final: bool) -> list[RepEvent]:
        released, waiting = [], []
        for rep in sorted(self._held, key=lambda r: r.end_s):
            over = [named for time_s, named in self._verdicts if time_s >= rep.start_s]
            after = [time_s for time_s, _ in self._verdicts if time_s >= rep.end_s]
            if after:  # the verdicts from its start to the first one at or after its end
                over = over[: len(over) - sum(t > after[0] for t in after)]
            elif not final:
                waiting.append(rep)
                continue
            if over and sum(over) > len(over) / 2:
                self.withheld.append(rep)
                continue
            released.append(self.renumbered(rep))
            self._published_ends.append(rep.end_s)
        self._held = waiting
        return released

    def renumbered(self, rep: RepEvent) -> RepEvent:
        """The published count skips the withheld reps of the same exercise."""
        steps = sum(not w.partial for w in self.withheld if w.exercise == rep.exercise)
        return dataclasses.replace(rep, count=rep.count - steps) if steps else rep
