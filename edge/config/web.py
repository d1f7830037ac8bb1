"""[web]: the kiosk page's address, its preview, and its access token's two sources."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Mapping
from typing import Annotated, Any

from pydantic import BeforeValidator, Field

from edge.config.base import ExistingFile, Table
from edge.config.errors import ConfigError
from edge.config.messages import Expect, fail, show
from edge.config.secrets import Secret

WEB_TOKEN_ENV = "DANCEPOSE_WEB_TOKEN"
WEB_TOKEN = Secret(WEB_TOKEN_ENV, "web.token_file", "token")
MIN_TOKEN_CHARS = 16


def split_host_port(text: str, lowest_port: int = 0) -> tuple[str, int]:
    """HOST:PORT as (host, port): an IPv4 address, [an IPv6 address] (brackets dropped) or a
    host name, and a port lowest_port-65535; ValueError saying what is wrong if not."""
    host, sep, port = text.rpartition(":")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            raise ValueError(f"{show(text)} has no valid IPv6 address in [...]") from None
    elif not re.fullmatch(r"[A-Za-z0-9.-]{1,253}", host):
        raise ValueError(f"{show(text)} is not HOST:PORT")
    if not sep or not re.fullmatch(r"[0-9]{1,5}", port) or not lowest_port <= int(port) <= 65535:
        raise ValueError(f"{show(text)} has no port {lowest_port}-65535 after the last ':'")
    return host, int(port)


def _listen(value: Any) -> str:
    """HOST:PORT for the kiosk page: an IPv4 address, [an IPv6 address] or a host name, and
    a port 0-65535 (0: any free port, logged at start)."""
    fix = 'give HOST:PORT, like "127.0.0.1:8080", "0.0.0.0:8080" or "[::1]:8080"'
    if not isinstance(value, str):
        raise fail(f"expected a quoted HOST:PORT, got {show(value)}; {fix}")
    try:
        split_host_port(value)
    except ValueError as exc:
        raise fail(f"{exc}; {fix}") from None
    return value


def _list_of(
    things: str, pattern: str, one: str, example: str, normal: Callable[[str], str]
) -> Callable[[Any], list[str]]:
    """A validator of a list of strings that each match `pattern` (`one` names a bad one)."""
    fix = f"give a list of {things}, like [{example}]"

    def check(value: Any) -> list[str]:
        if not isinstance(value, list):
            raise fail(f"expected a list of {things}, got {show(value)}; {fix}")
        for item in value:
            if not isinstance(item, str) or not re.fullmatch(pattern, item):
                raise fail(f"{show(item)} is not {one}; {fix}")
        return [normal(item) for item in value]

    return check


# Host names the page answers to besides its addresses and localhost.
_host_names = _list_of(
    "host names", r"[A-Za-z0-9.-]{1,253}", "a host name", '"kiosk-1.local"', str.lower
)
# ws:// or wss:// URLs the fleet page may connect to without asking.
_broker_urls = _list_of(
    "broker URLs", r"wss?://[A-Za-z0-9.\[\]:-]{1,260}/?", "a ws:// or wss:// HOST:PORT URL",
    '"ws://broker.local:9001"', lambda url: url.rstrip("/"),
)  # fmt: skip


class WebConfig(Table):
    """The kiosk page (edge/web, docs/http.md). The access token is not a field:
    read_token() fetches it at start, so it never sits in a repr, a log line or to_toml()."""

    enabled: bool = Field(True, description="serve the kiosk page; false: MQTT only")
    listen: Annotated[str, BeforeValidator(_listen), Expect("HOST:PORT")] = Field(
        "127.0.0.1:8080", description="where the page is served; not loopback: token required"
    )
    token_file: ExistingFile | None = Field(None, description="its first line: the token")
    preview_fps: float = Field(
        15.0, gt=0, le=30, allow_inf_nan=False, description="at most this many preview frames/s"
    )
    jpeg_quality: int = Field(70, ge=10, le=95, description="preview JPEG quality")
    hosts: Annotated[list[str], BeforeValidator(_host_names), Expect("host names")] = Field(
        default_factory=list, description="names the page answers to besides its addresses"
    )
    fleet_brokers: Annotated[list[str], BeforeValidator(_broker_urls), Expect("URLs")] = Field(
        default_factory=list, description="brokers the fleet page connects to without asking"
    )

    @property
    def host(self) -> str:
        return self.listen.rpartition(":")[0].strip("[]")

    @property
    def port(self) -> int:
        return int(self.listen.rpartition(":")[2])

    @property
    def loopback(self) -> bool:
        """Only this machine can reach the page (then no token is needed)."""
        if self.host == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return False  # a host name other than localhost may resolve to anything

    def read_token(self, environ: Mapping[str, str] | None = None) -> str | None:
        """$DANCEPOSE_WEB_TOKEN if set, else the first line of token_file, else None
        (edge.config.secrets); a token shorter than MIN_TOKEN_CHARS is refused (ConfigError,
        one line)."""
        token = WEB_TOKEN.read(self.token_file, environ)
        source = WEB_TOKEN.origin(self.token_file, environ)
        if token is not None and len(token) < MIN_TOKEN_CHARS:
            raise ConfigError(
                f"web.token_file: the token from {source} is {len(token)} characters; use at "
                f"least {MIN_TOKEN_CHARS} (e.g. `openssl rand -hex 16`)",
                "web.token_file",
            )
        return token
