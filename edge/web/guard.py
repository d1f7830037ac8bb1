"""What a request must show before the kiosk server reads or acts on it: a Host this kiosk
answers to, an Origin that is its own on anything that changes state, and a body length it
can trust. Each check returns None when the request passes, else the (status, message) to
answer with; the server (edge/web/server.py) sends it and closes the connection.

Why each: a DNS-rebinding page reaches the kiosk under a foreign host name (the Host check
stops it); a page on another site can post with a simple content type or, once the browser
lets it, as JSON (the Origin check stops it); a negative, non-numeric or huge Content-Length
and a chunked body are how a client makes the server read forever or read the body as the
next request (the length check refuses them before a byte of body is read).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from email.message import Message
from http import HTTPStatus
from urllib.parse import urlsplit

Refusal = tuple[HTTPStatus, str]
LOCAL_NAMES = frozenset({"localhost", "localhost.localdomain"})
_DIGITS = re.compile(r"[0-9]+")


def host_name(value: str) -> str | None:
    """A Host header's (or an origin's netloc's) name, lower case, port and IPv6 brackets
    dropped; None when it is not a plain host[:port]."""
    value = value.strip().lower()
    if value.startswith("["):
        name, bracket, rest = value[1:].partition("]")
        if not bracket or (rest and not re.fullmatch(r":[0-9]{1,5}", rest)):
            return None
        return name
    name, _, port = value.partition(":")
    if port and not port.isdigit():
        return None
    return name if re.fullmatch(r"[a-z0-9.-]{1,253}", name) else None


def _is_address(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


class HostAllowList:
    """The names this kiosk answers to: any IP address (a rebinding attack needs a name;
    an address is its own origin), localhost, the listen host and the config's web.hosts."""

    def __init__(self, names: Iterable[str]) -> None:
        self.names = LOCAL_NAMES | {n.lower().strip("[]") for n in names}

    def allows(self, host: str | None) -> bool:
        name = None if host is None else host_name(host)
        return name is not None and (name in self.names or _is_address(name))

    def check(self, headers: Message) -> Refusal | None:
        host = headers.get("Host")
        if host is None:
            return HTTPStatus.BAD_REQUEST, "a Host header is required"
        if not self.allows(host):
            shown = host if len(host) <= 60 else host[:57] + "..."
            return HTTPStatus.MISDIRECTED_REQUEST, (
                f"this kiosk does not answer to the host {shown!r}; open it by its address, "
                "or add the name to web.hosts"
            )
        return None


def same_origin(headers: Message) -> Refusal | None:
    """A state-changing request from a browser must come from the kiosk's own page: its
    Origin (sent by every browser on a POST) must name the host it was sent to. No Origin:
    not a browser (curl, Home Assistant), allowed."""
    origin = headers.get("Origin")
    if origin is None:
        return None
    parts = urlsplit(origin.strip())
    own = headers.get("Host", "").strip().lower()
    if parts.scheme in ("http", "https") and parts.netloc.lower() == own:
        return None
    shown = origin if len(origin) <= 60 else origin[:57] + "..."
    return HTTPStatus.FORBIDDEN, f"commands come from the kiosk's own page, not from {shown!r}"


def body_length(headers: Message, limit: int) -> int | Refusal:
    """The body's byte count from Content-Length (0 when absent), or the refusal: a
    Transfer-Encoding (chunked bodies are not read), a length that is not one decimal
    number, or one over `limit`."""
    if headers.get("Transfer-Encoding") is not None:
        return HTTPStatus.LENGTH_REQUIRED, (
            "send the body with a Content-Length; Transfer-Encoding is not accepted"
        )
    values = headers.get_all("Content-Length") or []
    if not values:
        return 0
    text = values[0].strip()
    if len(values) > 1 or not _DIGITS.fullmatch(text):
        return HTTPStatus.BAD_REQUEST, (
            "Content-Length must be one decimal byte count (0-9 only, as sent by any HTTP client)"
        )
    length = int(text) if len(text) <= 9 else limit + 1  # never int() of 4,000 digits
    if length > limit:
        return HTTPStatus.REQUEST_ENTITY_TOO_LARGE, f"the limit is {limit} bytes"
    return length
