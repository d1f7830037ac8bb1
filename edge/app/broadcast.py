"""Every event goes one way: to the device state, to MQTT and to the kiosk page, once.

`events()` takes the typed events of a frame in order; each becomes its payload (one wall
time for the payload and the state), goes into the publisher's on-disk queue, updates
the DeviceState and is sent to the page's event stream. Then, when what the device shows
changed, the retained `current` goes out and the page gets its new view: the page and
`current` are rendered from the same state after the same events.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from edge.analyzers import Event
from edge.app.state import DeviceState
from edge.counting.events import HoldEvent, PhaseEvent, RepEvent, SetEvent
from edge.dance.classifier import DanceEvent
from edge.follow.events import MoveEvent, RoutineSummary
from edge.publish import topics
from edge.publish.publisher import MqttPublisher
from edge.web.stream import VIEW, EventStream

# Each event type's topic and payload builder (docs/schemas/<topic>.schema.json).
PAYLOADS: dict[type, tuple[str, Callable[..., Mapping[str, Any]]]] = {
    RepEvent: (topics.REP, lambda e, sid, now: topics.rep_payload(e, sid, now=now)),
    PhaseEvent: (topics.STATE, lambda e, sid, now: topics.state_payload(
        sid, e.exercise, e.phase, e.time_s, person=e.person, now=now)),
    DanceEvent: (topics.DANCE, lambda e, sid, now: topics.dance_payload(e, sid, now=now)),
    MoveEvent: (topics.MOVE, lambda e, sid, now: topics.move_payload(e, sid, now=now)),
    SetEvent: (topics.SET, lambda e, sid, now: topics.set_payload(e, sid, now=now)),
    HoldEvent: (topics.HOLD, lambda e, sid, now: topics.hold_payload(e, sid, now=now)),
    RoutineSummary: (topics.MOVE, lambda e, sid, now: topics.move_payload(e, sid, now=now)),
}  # fmt: skip


class Broadcaster:
    def __init__(
        self, state: DeviceState, publisher: MqttPublisher, stream: EventStream | None,
        view: Callable[[], dict[str, Any]], dance_interval_s: float,
    ) -> None:  # fmt: skip
        """view: the page's state now; dance_interval_s: at most one dance verdict per,
        per person (one dancer's verdicts never hold back another's)."""
        self.state = state
        self.publisher = publisher
        self.stream = stream
        self._view = view
        self._dance_interval_s = dance_interval_s
        self._last_dance_s: dict[int, float] = {}  # by person
        self._shown: topics.Current | None = None  # what `current` said last
        self._page_epoch = 0  # and what the page was last sent beside it

    def events(self, events: list[Event]) -> None:
        for event in events:
            if isinstance(event, DanceEvent):
                last = self._last_dance_s.get(event.person, -1e9)
                if event.time_s - last < self._dance_interval_s:
                    continue  # a verdict every unit is more than a dashboard wants
                self._last_dance_s[event.person] = event.time_s
            now = datetime.now(UTC)
            if type(event) not in PAYLOADS:  # no message of its own: `current` says it
                self.state.apply(event, now)
                continue
            topic, build = PAYLOADS[type(event)]
            payload = build(event, self.state.session_id, now)
            self.publisher.publish_event(topic, payload)
            self.state.apply(event, now)
            self.send(topic, payload)

    def send(self, topic: str, payload: Mapping[str, Any]) -> None:
        """A message for the page only (an MQTT one already went out)."""
        if self.stream is not None:
            self.stream.send(topic, payload)

    def event(self, topic: str, payload: Mapping[str, Any]) -> None:
        """A payload made here (stats): to MQTT's queue and to the page."""
        self.publisher.publish_event(topic, payload)
        self.send(topic, payload)

    def current(self) -> None:
        """The retained `current` and the page's view, when what the device shows changed
        (a rep, a phase, a genre, a command, a fault); the view alone when only the page's
        own figures changed (DeviceState.page_epoch: a follow round began); a frame that
        changes nothing publishes nothing."""
        shown, epoch = self.state.shown(), self.state.page_epoch
        if shown == self._shown and epoch == self._page_epoch:
            return
        self._page_epoch = epoch
        if shown != self._shown:
            self._shown = shown
            payload = topics.current_payload(shown, self.state.t_s)
            self.publisher.publish_state(topics.CURRENT, payload)
        self.send(VIEW, self._view())
