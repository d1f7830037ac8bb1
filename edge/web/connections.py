"""The kiosk server's open connections, at most `cap` of them (one thread each).

A connection is idle while it waits for a request's headers (a fresh one, or a keep-alive
one between requests) and busy while a request is answered (the two streams stay busy).
When a new connection comes and `cap` are open, the one idle longest is closed for it:
hundreds of sockets that connect and say nothing cannot keep the page out, and the thread
count stays at `cap`. With none idle the new one is closed at once.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections import OrderedDict


class Connections:
    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.evicted = 0
        self.refused = 0
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        self._idle: OrderedDict[socket.socket, None] = OrderedDict()  # oldest first

    def __len__(self) -> int:
        with self._lock:
            return len(self._open)

    def admit(self, sock: socket.socket) -> bool:
        """Count a new connection in (idle), closing the longest idle one if full; False:
        full of busy connections, the caller closes `sock`."""
        with self._lock:
            if len(self._open) >= self.cap:
                if not self._idle:
                    self.refused += 1
                    return False
                oldest, _ = self._idle.popitem(last=False)
                self._open.discard(oldest)
                self.evicted += 1
                _hang_up(oldest)
            self._open.add(sock)
            self._idle[sock] = None
            return True

    def free_one(self) -> bool:
        """Close the connection idle longest (out of file descriptors); False if none."""
        with self._lock:
            if not self._idle:
                return False
            oldest, _ = self._idle.popitem(last=False)
            self._open.discard(oldest)
            self.evicted += 1
        _hang_up(oldest)
        return True

    def idle(self, sock: socket.socket) -> None:
        with self._lock:
            if sock in self._open:
                self._idle[sock] = None
                self._idle.move_to_end(sock)

    def busy(self, sock: socket.socket) -> None:
        with self._lock:
            self._idle.pop(sock, None)

    def release(self, sock: socket.socket) -> None:
        with self._lock:
            self._open.discard(sock)
            self._idle.pop(sock, None)


def _hang_up(sock: socket.socket) -> None:
    """Wake the handler thread blocked reading it: its read returns end-of-stream and the
    thread closes the socket as it ends."""
    with contextlib.suppress(OSError):  # already gone
        sock.shutdown(socket.SHUT_RDWR)
