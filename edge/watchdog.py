"""sd_notify without dependencies: tell systemd we are ready, alive, busy or stopping.

dancepose.service is Type=notify with WatchdogSec=30: systemd starts the next unit only
after READY=1, and restarts us when WATCHDOG=1 stops coming. The main loop pings only
while frames flow, so a camera that hangs (the process alive, no frames) is a restart,
not a kiosk that silently counts nothing.

The protocol is one datagram of newline-separated KEY=VALUE lines sent to the AF_UNIX
socket named by $NOTIFY_SOCKET ('@' at the front means the abstract namespace). That is
all python-systemd's notify() does; we avoid the dependency (it needs libsystemd headers
to build in a venv). Outside systemd $NOTIFY_SOCKET is unset and every call is a no-op,
so the same code runs on a laptop.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Callable, Mapping

log = logging.getLogger(__name__)


def notify(*fields: str, environ: Mapping[str, str] | None = None) -> bool:
    """Send KEY=VALUE fields to systemd; True if sent, False if not under systemd.

    A failure to send is logged, never raised: the service must not die because its
    supervisor's socket hiccuped (if it is really gone, systemd acts on the watchdog).
    """
    env = os.environ if environ is None else environ
    address = env.get("NOTIFY_SOCKET", "")
    if not address:
        return False
    if address.startswith("@"):
        address = "\0" + address[1:]  # abstract namespace
    elif not address.startswith("/"):
        # systemd 254+ may also pass vsock:CID:PORT (VMs); a Pi's systemd never does.
        log.debug("NOTIFY_SOCKET %r is not a unix socket; notification skipped", address)
        return False
    message = "\n".join(fields).encode("utf-8")
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
            sock.connect(address)
            sock.sendall(message)
    except OSError as exc:
        log.warning("sd_notify to %s failed: %s", env.get("NOTIFY_SOCKET"), exc)
        return False
    return True


def notify_ready(status: str | None = None) -> bool:
    """Start-up is done (models loaded, first frame seen): systemd marks the unit active."""
    fields = ["READY=1"]
    if status:
        fields.append(_status_field(status))
    return notify(*fields)


def notify_watchdog() -> bool:
    """Still alive and working; must come more often than WatchdogSec."""
    return notify("WATCHDOG=1")


def notify_status(text: str) -> bool:
    """A one-line status, shown by `systemctl status dancepose` (e.g. fps, reps, queue)."""
    return notify(_status_field(text))


def notify_stopping() -> bool:
    """Shutting down on purpose (SIGTERM): systemd stops expecting watchdog pings."""
    return notify("STOPPING=1")


def watchdog_interval_s(environ: Mapping[str, str] | None = None) -> float | None:
    """How often to ping: half of $WATCHDOG_USEC (systemd's advice), or None when the
    watchdog is off, or meant for another process ($WATCHDOG_PID names it)."""
    env = os.environ if environ is None else environ
    try:
        usec = int(env.get("WATCHDOG_USEC", ""))
    except ValueError:
        return None
    if usec <= 0:
        return None
    pid = env.get("WATCHDOG_PID")
    if pid and pid != str(os.getpid()):
        return None
    return usec / 2 / 1_000_000


class WatchdogPinger:
    """Rate-limits WATCHDOG=1 for a loop that calls `alive()` on every good frame.

    Per-frame sends would be 30 syscalls a second for nothing; this sends once per
    interval. When the watchdog is off (no WATCHDOG_USEC) alive() does nothing at all.
    """

    def __init__(
        self,
        interval_s: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        send: Callable[[], bool] = notify_watchdog,
    ) -> None:
        self.interval_s = watchdog_interval_s() if interval_s is None else interval_s
        self._clock, self._send = clock, send
        self._last: float | None = None

    def alive(self) -> bool:
        """Call when a frame was processed; True when a ping was sent just now."""
        if not self.interval_s:
            return False
        now = self._clock()
        if self._last is not None and now - self._last < self.interval_s:
            return False
        self._last = now
        return self._send()


def _status_field(text: str) -> str:
    # One field per line in the datagram: a newline inside would start a bogus field.
    return "STATUS=" + " ".join(str(text).split())
