"""The device's MQTT client: durable at-least-once events, retained status with an LWT, commands.

(Over 400 lines on purpose: the delivery guarantee is one state machine of paho callbacks,
the pump and the queue; split, its invariants would no longer be readable in one place.)

Delivery: publish_event() only appends to the EventQueue (SQLite) and returns; a pump
thread sends queued rows at QoS 1, at most `max_inflight` unacknowledged at a time, and a
row is deleted only in on_publish, i.e. when the broker's PUBACK for that row's message id
arrives. So an event is either still on disk or accepted by the broker:

* broker down (at start or later): events wait in the queue; paho reconnects with
  exponential backoff (1 s doubling to 30 s); nothing is lost unless the queue overflows,
  in which case the oldest rows go first and are counted (EventQueue.dropped);
* connection lost with messages in flight: paho keeps them and resends them (DUP, same
  message id) right after the next CONNACK; their PUBACKs then delete the rows. The pump
  holds back new rows until the broker has answered our SUBSCRIBE on that connection, which
  paho sends before the resends, so new events do not overtake the resent ones;
* process killed: unacknowledged rows are still in the file and are sent after restart.

A message can therefore arrive twice (PUBACK lost, then resent); every event carries a
uuid `id` for subscribers to de-duplicate on. With qos=0 (allowed by the config) rows are
deleted once written to the socket: at-most-once, no duplicates.

Status and the current state are not queued: a stale "online" or count replayed from a
queue would lie. Each is published retained on every connect and on change (latest wins),
and the broker publishes the retained "offline" LWT when the connection dies without a
DISCONNECT (kill -9, power, Wi-Fi). close() publishes "offline" itself and disconnects.

Commands: MQTT 5, so that the cmd subscription can ask for retain-as-published. MQTT 3.1.1
clears the retain flag on live delivery, so a retained command published while we are
connected would look like any other and run (and then again at every reconnect). With the
flag kept, a retained command is refused whenever it arrives; an empty payload (what
clearing a retained command publishes) is ignored without a reply.

Threads: the caller's (publish_event, status, reply), paho's network thread (callbacks) and
the pump. Our lock is never held while calling into paho: paho calls on_publish while
holding its own message lock, so the two locks taken in opposite orders would deadlock.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.subscribeoptions import SubscribeOptions

from edge.publish.commands import Command, CommandError, parse_command
from edge.publish.queue import EventQueue
from edge.publish.settings import MqttSettings
from edge.publish.topics import (
    CMD,
    CMD_RESULT,
    EVENT_TOPICS,
    RETAINED_EVENTS,
    STATE_TOPICS,
    STATUS,
    StatusState,
    Topics,
    cmd_result_payload,
    encode,
    status_payload,
)

log = logging.getLogger(__name__)
_paho_log = logging.getLogger(f"{__name__}.paho")

RECONNECT_MIN_S = 1
RECONNECT_MAX_S = 30
RECEIVE_MAXIMUM = 65535  # MQTT 5's default when the CONNACK names none
RETAINED_COMMAND = (
    "retained commands are refused; publish commands with retain=false "
    "(clear this one by publishing an empty retained message to the topic)"
)


@dataclass(frozen=True)
class LatencySummary:
    """Put-to-PUBACK time of the events acknowledged since the previous take_latency()."""

    samples: int
    mean_ms: float | None
    max_ms: float | None


@dataclass(frozen=True)
class _Pending:
    row_id: int | None  # None: a direct publish (status, discovery), not a queue row
    qos: int


class MqttPublisher:
    """See the module docstring. start() (or `with`) connects in the background; close()
    says offline and disconnects. Do not call close() from inside on_command."""

    def __init__(
        self,
        settings: MqttSettings,
        queue: EventQueue,
        *,
        on_command: Callable[[bytes], None] | None = None,
        retained_on_connect: Sequence[tuple[str, bytes]] = (),
    ) -> None:
        self.settings = settings
        self.queue = queue
        self.topics = Topics(settings.device_id, settings.topic_prefix)
        self._on_command = on_command
        self._retained_on_connect = tuple(retained_on_connect)

        self._lock = threading.Lock()
        self._pending: dict[int, _Pending] = {}  # paho mid -> what it carries
        self._row_mids: dict[int, int] = {}  # queue row id -> mid, rows in flight
        self._early: set[int] = set()  # PUBACKs that beat publish() returning its mid
        self._put_times: OrderedDict[int, float] = OrderedDict()  # row id -> monotonic
        self._latency_n = 0
        self._latency_sum = 0.0
        self._latency_max = 0.0
        self._status: tuple[StatusState, str | None] = ("online", None)
        self._latest: dict[str, bytes] = {}  # state topic -> its newest payload
        self._states_stale = False
        self._sub_mid: int | None = None
        self._window = settings.max_inflight  # unacknowledged at a time; the broker may lower it

        self._connected = threading.Event()  # CONNACK accepted
        self._ready = threading.Event()  # connected and resends flushed: the pump may send
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._outage_logged = False
        self._closing = False
        self._started = False
        self._closed = False

        self._client = self._make_client()
        self._pump_thread = threading.Thread(target=self._pump_loop, name="mqtt-pump", daemon=True)
        self._connect_thread = threading.Thread(
            target=self._first_connect, name="mqtt-connect", daemon=True
        )

    # -- public API ---------------------------------------------------------------------

    def start(self) -> None:
        """Connect in the background; never raises for an unreachable broker."""
        if self._started:
            return
        self._started = True
        self._pump_thread.start()
        self._connect_thread.start()

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    @property
    def window(self) -> int:
        """How many messages may be unacknowledged at a time: mqtt max_inflight, or the
        broker's Receive Maximum if lower."""
        with self._lock:
            return self._window

    @property
    def in_flight(self) -> int:
        with self._lock:
            return len(self._pending)

    def publish_event(self, topic_suffix: str, payload: Mapping[str, Any] | bytes) -> int:
        """Queue one event for <root>/<topic_suffix>; returns its queue row id. Never blocks
        on the network: a dead broker only makes the queue deeper."""
        if topic_suffix not in EVENT_TOPICS:
            raise ValueError(
                f"{topic_suffix!r} is not an event topic; expected one of {EVENT_TOPICS}"
            )
        data = payload if isinstance(payload, bytes) else encode(payload)
        put_at = time.monotonic()
        row_id = self.queue.put(
            self.topics.topic(topic_suffix),
            data,
            qos=self.settings.qos,
            retain=topic_suffix in RETAINED_EVENTS,
        )
        with self._lock:
            self._put_times[row_id] = put_at
            while len(self._put_times) > self.queue.max_events + self.settings.max_inflight:
                self._put_times.popitem(last=False)  # dropped rows never get a PUBACK
        self._wake.set()
        return row_id

    def status(self, state: StatusState, fault: str | None = None) -> None:
        """Set the retained status; published now if connected, else on the next connect."""
        status_payload(state, fault)  # validate before remembering
        with self._lock:
            self._status = (state, fault)
        if self._connected.is_set():
            self._publish_status()

    def publish_state(self, topic_suffix: str, payload: Mapping[str, Any] | bytes) -> None:
        """Set a retained state topic (`current`): published now if connected, and again on
        every connect; only the newest payload is kept (a state, not an event)."""
        if topic_suffix not in STATE_TOPICS or topic_suffix == STATUS:
            raise ValueError(f"{topic_suffix!r} is not a state topic; status has status()")
        topic = self.topics.topic(topic_suffix)
        data = payload if isinstance(payload, bytes) else encode(payload)
        with self._lock:
            self._latest[topic] = data
        if self._connected.is_set():
            self._send(topic, data, 1, True, None)

    def reply(
        self,
        ok: bool,
        *,
        error: str | None = None,
        command: Command | Mapping[str, Any] | None = None,
        request_id: str | None = None,
    ) -> int:
        """Answer a command on cmd/result. `command`: the parsed command (its as_dict() is
        sent and its request_id echoed), a mapping, or None when it could not be parsed."""
        if command is None or isinstance(command, Mapping):
            body = command
        else:
            body = command.as_dict()
            request_id = request_id if request_id is not None else command.request_id
        payload = cmd_result_payload(ok=ok, error=error, command=body, request_id=request_id)
        return self.publish_event(CMD_RESULT, payload)

    def take_latency(self) -> LatencySummary:
        """Put-to-PUBACK latency since the last call (for the stats message), then reset.
        Rows queued by an earlier process have no put time and are not counted."""
        with self._lock:
            n, total, peak = self._latency_n, self._latency_sum, self._latency_max
            self._latency_n, self._latency_sum, self._latency_max = 0, 0.0, 0.0
        if n == 0:
            return LatencySummary(0, None, None)
        return LatencySummary(n, total / n, peak)

    def flush(self, timeout_s: float) -> bool:
        """Wait until the queue is empty and nothing is in flight; False on timeout."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.queue.depth() == 0 and self.in_flight == 0:
                return True
            time.sleep(0.02)
        return self.queue.depth() == 0 and self.in_flight == 0

    def close(self, timeout_s: float = 2.0) -> None:
        """Wait up to timeout_s for the queue to drain (also while reconnecting: a broker
        back after a blip gets the last events), publish retained offline, disconnect.
        What is still queued stays in the file for the next start."""
        if self._closed:
            return
        self._closed = True
        if not self._started:
            return
        self.flush(timeout_s)
        self._stop.set()
        self._wake.set()
        self._pump_thread.join()
        self._connect_thread.join()
        self._closing = True
        if self._connected.is_set():
            info = self._client.publish(
                self.topics.topic(STATUS), encode(status_payload("offline")), qos=1, retain=True
            )
            try:
                info.wait_for_publish(timeout_s)
            except (RuntimeError, ValueError) as exc:
                log.warning("MQTT offline status not sent (%s)", exc)
            else:
                if not info.is_published():
                    log.warning("MQTT offline status not acknowledged within %g s", timeout_s)
        self._client.disconnect()
        self._client.loop_stop()

    def __enter__(self) -> MqttPublisher:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- client set-up and connection -----------------------------------------------------

    def _make_client(self) -> mqtt.Client:
        s = self.settings
        client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2,
            client_id=s.effective_client_id,
            protocol=mqtt.MQTTv5,
        )
        client.on_log = self._on_log
        client.suppress_exceptions = True  # a bug in a callback must not kill the network thread
        client.reconnect_delay_set(min_delay=RECONNECT_MIN_S, max_delay=RECONNECT_MAX_S)
        client.max_inflight_messages_set(0)  # unlimited in paho: the pump's window is the limit
        self._set_will(client)
        if s.username is not None:
            client.username_pw_set(s.username, s.password)
        if s.tls:
            client.tls_set(
                ca_certs=None if s.tls_ca is None else str(s.tls_ca),
                certfile=None if s.tls_cert is None else str(s.tls_cert),
                keyfile=None if s.tls_key is None else str(s.tls_key),
            )
        client.on_pre_connect = self._guard(self._on_pre_connect)
        client.on_connect = self._guard(self._on_connect)
        client.on_connect_fail = self._guard(self._on_connect_fail)
        client.on_disconnect = self._guard(self._on_disconnect)
        client.on_publish = self._guard(self._on_publish)
        client.on_subscribe = self._guard(self._on_subscribe)
        client.message_callback_add(self.topics.topic(CMD), self._guard(self._on_cmd_message))
        return client

    def _set_will(self, client: mqtt.Client) -> None:
        # The broker sends the will verbatim, so its "time" is when that connection opened.
        will = encode(status_payload("offline"))
        client.will_set(self.topics.topic(STATUS), will, qos=1, retain=True)

    def _first_connect(self) -> None:
        """One blocking attempt, so that a failure is logged with its reason (paho's own
        retries report none); then paho's loop takes over and retries with backoff."""
        s = self.settings
        try:
            # A clean start each time: the on-disk queue, not the broker, holds our state.
            self._client.connect(s.host, s.port, s.keepalive, clean_start=True)
        except OSError as exc:  # refused, DNS, timeout, TLS: all OSError
            self._outage_logged = True
            log.warning("MQTT broker %s unreachable (%s); retrying with backoff", s.address, exc)
            # No connect_async() here: paho would then wait min_delay, skip an attempt and
            # wait twice as long. Left as it is, the loop retries after 1, 2, 4 ... 30 s.
        except Exception:
            log.exception("MQTT client for %s cannot connect; events stay queued", s.address)
            return
        if not self._stop.is_set():
            self._client.loop_start()

    @staticmethod
    def _guard(callback: Callable[..., None]) -> Callable[..., None]:
        def guarded(*args: Any) -> None:
            try:
                callback(*args)
            except Exception:
                log.exception("error in MQTT callback %s", callback.__name__)

        guarded.__name__ = callback.__name__
        return guarded

    @staticmethod
    def _on_log(client: mqtt.Client, userdata: Any, level: int, message: str) -> None:
        # paho logs "Client is not connected" at ERROR on every retry while the broker is
        # down; the outage is already one WARNING line of ours, so paho speaks at DEBUG.
        _paho_log.debug("%s", message)

    def _on_pre_connect(self, client: mqtt.Client, userdata: Any) -> None:
        self._set_will(client)

    def _on_connect(
        self,
        client: mqtt.Client,
        userdata: Any,
        flags: mqtt.ConnectFlags,
        reason_code: Any,
        properties: Any,
    ) -> None:
        if reason_code.is_failure:
            if not self._outage_logged:
                self._outage_logged = True
                fix = "retrying with backoff"
                if reason_code == "Unsupported protocol version":
                    fix = "it does not speak MQTT 5 (mosquitto >= 1.6, EMQX, HiveMQ do); " + fix
                log.warning(
                    "MQTT broker %s refused the connection (%s); %s",
                    self.settings.address,
                    reason_code,
                    fix,
                )
            return
        if self._outage_logged:
            log.info(
                "MQTT broker %s reachable again; %d event(s) queued",
                self.settings.address,
                self.queue.depth(),
            )
        else:
            log.info("MQTT connected to %s", self.settings.address)
        self._outage_logged = False
        with self._lock:
            # QoS 0 packets not yet written when the link dropped are discarded by paho
            # without a callback: forget them so the pump sends their rows again.
            for mid, pending in list(self._pending.items()):
                if pending.qos == 0:
                    del self._pending[mid]
                    if pending.row_id is not None:
                        self._row_mids.pop(pending.row_id, None)
            # A status or state from the previous connection still in flight is resent by
            # paho after this call and would overwrite the newer one: republish when ready.
            self._states_stale = any(p.row_id is None for p in self._pending.values())
        # MQTT 5: the broker says how many unacknowledged messages it takes (mosquitto 20,
        # not enforced; some brokers disconnect a client that sends more): the pump's window.
        receive_maximum = getattr(properties, "ReceiveMaximum", RECEIVE_MAXIMUM)
        with self._lock:
            self._window = min(self.settings.max_inflight, receive_maximum)
        self._connected.set()
        self._publish_states()
        for topic, payload in self._retained_on_connect:
            self._send(topic, payload, 1, True, None)
        # retainAsPublished: a retained command keeps its flag even when it arrives live.
        options = SubscribeOptions(qos=1, retainAsPublished=True)
        _, self._sub_mid = client.subscribe(self.topics.topic(CMD), options=options)

    def _on_subscribe(
        self, client: mqtt.Client, userdata: Any, mid: int, reason_codes: list[Any], properties: Any
    ) -> None:
        if mid != self._sub_mid:
            return
        if any(code.is_failure for code in reason_codes):
            log.warning(
                "MQTT broker refused the subscription to %s; commands will not arrive",
                self.topics.topic(CMD),
            )
        if self._states_stale:
            self._states_stale = False
            self._publish_states()
        self._ready.set()
        self._wake.set()

    def _on_connect_fail(self, client: mqtt.Client, userdata: Any) -> None:
        if not self._outage_logged:
            self._outage_logged = True
            log.warning("MQTT broker %s unreachable; retrying with backoff", self.settings.address)

    def _on_disconnect(
        self,
        client: mqtt.Client,
        userdata: Any,
        flags: Any,
        reason_code: Any,
        properties: Any,
    ) -> None:
        self._ready.clear()
        self._connected.clear()
        if self._closing or self._outage_logged:
            return
        self._outage_logged = True
        log.warning(
            "MQTT connection to %s lost (%s); retrying with backoff",
            self.settings.address,
            reason_code,
        )

    # -- sending ----------------------------------------------------------------------------

    def _publish_status(self) -> None:
        with self._lock:
            state, fault = self._status
        self._send(self.topics.topic(STATUS), encode(status_payload(state, fault)), 1, True, None)

    def _publish_states(self) -> None:
        """Status and every state topic's newest payload (on connect)."""
        self._publish_status()
        with self._lock:
            latest = list(self._latest.items())
        for topic, data in latest:
            self._send(topic, data, 1, True, None)

    def _send(
        self, topic: str, payload: bytes, qos: int, retain: bool, row_id: int | None
    ) -> mqtt.MQTTMessageInfo | None:
        """Publish and remember mid -> row. None if paho did not take the message."""
        try:
            info = self._client.publish(topic, payload, qos=qos, retain=retain)
        except ValueError as exc:  # a row paho can never send (bad topic): do not wedge on it
            log.error("dropping unsendable message for %s: %s", topic, exc)
            if row_id is not None:
                self.queue.ack(row_id)
            return None
        # QoS>0 messages refused only for NO_CONN are kept by paho and sent on reconnect.
        kept = info.rc == mqtt.MQTT_ERR_SUCCESS or (qos > 0 and info.rc == mqtt.MQTT_ERR_NO_CONN)
        if not kept:
            return None
        pending = _Pending(row_id, qos)
        with self._lock:
            early = info.mid in self._early
            if early:
                self._early.discard(info.mid)
            else:
                self._pending[info.mid] = pending
                if row_id is not None:
                    self._row_mids[row_id] = info.mid
        if early:
            self._delivered(pending)
        return info

    def _on_publish(
        self, client: mqtt.Client, userdata: Any, mid: int, reason_code: Any, properties: Any
    ) -> None:
        with self._lock:
            pending = self._pending.pop(mid, None)
            if pending is None:
                self._early.add(mid)  # publish() has not returned this mid to _send yet
                return
        self._delivered(pending)

    def _delivered(self, pending: _Pending) -> None:
        if pending.row_id is not None:
            # Delete the row while it still counts as in flight: the pump skips in-flight
            # rows, and would resend one it saw in the queue but no longer in flight.
            self.queue.ack(pending.row_id)
            now = time.monotonic()
            with self._lock:
                self._row_mids.pop(pending.row_id, None)
                put_at = self._put_times.pop(pending.row_id, None)
                if put_at is not None:
                    ms = (now - put_at) * 1000.0
                    self._latency_n += 1
                    self._latency_sum += ms
                    self._latency_max = max(self._latency_max, ms)
        self._wake.set()

    def _pump_loop(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(0.5)
            self._wake.clear()
            if self._stop.is_set() or not self._ready.is_set():
                continue
            try:
                self._pump_once()
            except Exception:  # e.g. sqlite I/O error: log, keep the thread, retry on wake
                log.exception("MQTT pump failed; will retry")
                time.sleep(1.0)

    def _pump_once(self) -> None:
        """Send the oldest rows not yet in flight, up to the free part of the window."""
        with self._lock:
            in_flight = set(self._row_mids)
            free = self._window - len(self._pending)
        if free <= 0:
            return
        for event in self.queue.peek(len(in_flight) + free):
            if free <= 0 or not self._ready.is_set() or self._stop.is_set():
                return
            if event.row_id in in_flight:
                continue
            info = self._send(event.topic, event.payload, event.qos, event.retain, event.row_id)
            if info is not None:
                free -= 1
            else:
                return  # paho refused (connection gone): retry on the next wake

    # -- commands ---------------------------------------------------------------------------

    def _on_cmd_message(
        self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage
    ) -> None:
        if not message.payload:
            # What clearing a retained command publishes: nothing to do, nothing to answer.
            log.debug("ignoring an empty command on %s", message.topic)
            return
        if message.retain:
            # A retained command would run again on every reconnect (reset_count at each
            # Wi-Fi blip): refuse it and say how to clear it.
            log.warning("refusing a retained command on %s", message.topic)
            self.reply(False, error=RETAINED_COMMAND, request_id=_request_id(message.payload))
            return
        if self._on_command is None:
            self.reply(False, error="this device does not accept commands")
            return
        try:
            self._on_command(bytes(message.payload))
        except Exception:
            log.exception("command handler failed")
            self.reply(False, error="internal error while handling the command")


def _request_id(data: bytes) -> str | None:
    """The request_id of a command we refuse unread, if it has a readable one."""
    try:
        return parse_command(bytes(data)).request_id
    except CommandError as exc:
        return exc.request_id
