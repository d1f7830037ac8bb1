"""The kiosk page's HTTP server: the standard library's ThreadingHTTPServer, one thread a
connection (the page holds two long ones: the MJPEG frame stream and the event stream).

Routes (docs/http.md): GET / and /static/* (the page), GET /api/state, GET /api/events
(Server-Sent Events), GET /stream.mjpg (multipart/x-mixed-replace JPEGs), POST /api/command
(the MQTT command JSON, handed to the loop's one command path); GET /fleet (redirects to
/static/fleet.html, the fleet page, which talks to a broker and not to us).

Access: with a token (web.token_file or $DANCEPOSE_WEB_TOKEN) every request but the static
files (the pages' code, public in the repo) must carry it (`Authorization: Bearer T` or
`?token=T`: an <img> or EventSource cannot set headers), or it gets 401 and changes
nothing. Without one the page is served only on a loopback address. Request lines are not
logged (a query may hold the token).
"""

from __future__ import annotations

import errno
import hmac
import json
import logging
import queue
import socket
import threading
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from edge.config import WEB_TOKEN_ENV, ConfigError, WebConfig
from edge.publish.commands import MAX_COMMAND_BYTES
from edge.web.preview import Preview
from edge.web.stream import VIEW, EventStream

log = logging.getLogger("dancepose")
STATIC = Path(__file__).resolve().parent / "static"
CONTENT_TYPES = {".html": "text/html; charset=utf-8", ".css": "text/css; charset=utf-8",
                 ".js": "text/javascript; charset=utf-8", ".svg": "image/svg+xml"}  # fmt: skip
COMMAND_TIMEOUT_S = 10.0  # the loop applies commands between frames
KEEPALIVE_S = 15.0  # an SSE comment this often: proxies and browsers keep the stream open
BOUNDARY = "dancepose-frame"

Answer = Callable[[bool, str | None], None]
View = Callable[[], dict[str, Any]]
Submit = Callable[[bytes, Answer], None]


class KioskServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self, address: tuple[str, int], family: int, view: View, stream: EventStream,
        preview: Preview, submit: Submit, token: str | None,
    ) -> None:  # fmt: skip
        self.address_family = family
        self.view, self.stream, self.preview = view, stream, preview
        self.submit, self.token = submit, token
        self.stopping = threading.Event()
        self.static = {p.name: p for p in STATIC.iterdir() if p.suffix in CONTENT_TYPES}
        super().__init__(address, KioskHandler)


class KioskWeb:
    """Bound at construction (a bad or busy address is a ConfigError, one line, before the
    loop starts), served from start() until close()."""

    def __init__(self, web: WebConfig, view: View, submit: Submit) -> None:
        """view: the page's state now (edge/app/state.py DeviceState.page); what changes
        is sent on `self.stream`."""
        self.stream = EventStream()
        token = web.read_token()
        if token is None and not web.loopback:
            raise ConfigError(
                f"web.listen: {web.listen} is reachable from other machines, so the page needs "
                f"an access token: set {WEB_TOKEN_ENV} (systemd: /etc/dancepose/env) or "
                'web.token_file, or listen on "127.0.0.1:8080"',
                "web.listen",
            )
        self.preview = Preview(web.preview_fps, web.jpeg_quality)
        try:
            family = socket.getaddrinfo(web.host, web.port, type=socket.SOCK_STREAM)[0][0]
            self.server = KioskServer(
                (web.host, web.port), family, view, self.stream, self.preview, submit, token
            )
        except (OSError, socket.gaierror) as exc:
            self.preview.close()
            raise ConfigError(bind_error(web, exc), "web.listen") from None
        host, port = self.server.server_address[:2]
        self.url = f"http://{f'[{host}]' if ':' in host else host}:{port}/"
        self._thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.2},
            name="web-server", daemon=True,
        )  # fmt: skip

    def start(self) -> None:
        self._thread.start()
        log.info("kiosk page at %s", self.url)

    def close(self) -> None:
        self.server.stopping.set()
        if self._thread.is_alive():
            self.server.shutdown()
        self.server.server_close()
        self.preview.close()


def bind_error(web: WebConfig, exc: OSError) -> str:
    fix = "set web.listen to a free HOST:PORT (or web.enabled = false for MQTT only)"
    if isinstance(exc, socket.gaierror):
        return f"web.listen: cannot resolve the host of {web.listen} ({exc.strerror}); {fix}"
    if exc.errno == errno.EADDRINUSE:
        return f"web.listen: {web.listen} is already in use (another dancepose run?); {fix}"
    if exc.errno == errno.EADDRNOTAVAIL:
        return f"web.listen: {web.host} is not an address of this machine; {fix}"
    if exc.errno == errno.EACCES:
        return f"web.listen: port {web.port} needs privileges; use a port above 1023"
    return f"web.listen: cannot listen on {web.listen} ({exc.strerror or exc}); {fix}"


class KioskHandler(BaseHTTPRequestHandler):
    server: KioskServer
    protocol_version = "HTTP/1.1"
    server_version = "dancepose"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the request line may carry ?token=

    # --- dispatch ----------------------------------------------------------------------
    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        if path.startswith("/static/"):  # the pages' own code (in the repo): no token needed,
            self._static(path.removeprefix("/static/"))  # or a page's <script> would get 401
            return
        if path == "/fleet":
            query = urlsplit(self.path).query
            location = "/static/fleet.html" + (f"?{query}" if query else "")
            self._send(HTTPStatus.FOUND, b"", "text/plain", {"Location": location})
            return
        if not self._authorised():
            return
        if path in ("/", "/index.html"):
            self._static("index.html")
        elif path == "/api/state":
            self._json(HTTPStatus.OK, self.server.view())
        elif path == "/api/events":
            self._events()
        elif path == "/stream.mjpg":
            self._mjpeg()
        else:
            self._json(HTTPStatus.NOT_FOUND, {"error": f"no such resource {path[:80]}"})

    def do_POST(self) -> None:
        path = urlsplit(self.path).path
        if not self._authorised():
            return
        if path != "/api/command":
            self._json(HTTPStatus.NOT_FOUND, {"error": f"no such resource {path[:80]}"})
            return
        self._command()

    def _authorised(self) -> bool:
        token = self.server.token
        if token is None:
            return True
        given = self.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if not given:
            given = (parse_qs(urlsplit(self.path).query).get("token") or [""])[0]
        if hmac.compare_digest(given.encode(), token.encode()):
            return True
        self._drain_body()
        self._json(HTTPStatus.UNAUTHORIZED, {"error": "access token missing or wrong"},
                   {"WWW-Authenticate": 'Bearer realm="dancepose"'})  # fmt: skip
        return False

    # --- plain responses ---------------------------------------------------------------
    def _send(self, status: int, body: bytes, content_type: str,
              extra: dict[str, str] | None = None) -> None:  # fmt: skip
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        self.end_headers()
        try:
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client left (a page closed mid-request)

    def _json(self, status: int, payload: Any, extra: dict[str, str] | None = None) -> None:
        body = json.dumps(payload, separators=(",", ":"), allow_nan=False).encode()
        self._send(status, body, "application/json", extra)

    def _static(self, name: str) -> None:
        file = self.server.static.get(name)
        if file is None:
            self._json(HTTPStatus.NOT_FOUND, {"error": f"no such file {name[:80]}"})
            return
        self._send(HTTPStatus.OK, file.read_bytes(), CONTENT_TYPES[file.suffix])

    def _drain_body(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if 0 < length <= MAX_COMMAND_BYTES:
            self.rfile.read(length)
        elif length:
            self.close_connection = True

    # --- commands: the loop's one command path -----------------------------------------
    def _command(self) -> None:
        kind = self.headers.get("Content-Type", "").split(";")[0].strip().lower()
        length = int(self.headers.get("Content-Length") or 0)
        if kind != "application/json":  # also keeps plain cross-site form posts out
            self._drain_body()
            self._json(HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
                       {"ok": False, "error": "send the command as application/json"})  # fmt: skip
            return
        if length > MAX_COMMAND_BYTES:
            self.close_connection = True
            too_big = f"the limit is {MAX_COMMAND_BYTES} bytes"
            self._json(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, {"ok": False, "error": too_big})
            return
        data = self.rfile.read(length)
        done = threading.Event()
        result: list[tuple[bool, str | None]] = []

        def answer(ok: bool, error: str | None) -> None:
            result.append((ok, error))
            done.set()

        self.server.submit(data, answer)
        if not done.wait(COMMAND_TIMEOUT_S):
            self._json(HTTPStatus.SERVICE_UNAVAILABLE, {
                "ok": False, "error": "queued but not applied yet: the loop applies commands "
                "between frames, and no frame came (camera fault?)"})  # fmt: skip
            return
        ok, error = result[0]
        self._json(HTTPStatus.OK if ok else HTTPStatus.BAD_REQUEST, {"ok": ok, "error": error})

    # --- streams -----------------------------------------------------------------------
    def _stream_headers(self, content_type: str) -> None:
        self.close_connection = True
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", content_type)
        self.send_header("Cache-Control", "no-store")
        self.send_header("Connection", "close")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()

    def _events(self) -> None:
        stream = self.server.stream
        client = stream.subscribe()
        try:
            self._stream_headers("text/event-stream")
            self.wfile.write(b"retry: 1000\n\n")
            self._event(VIEW, self.server.view())  # a page that (re)connects starts complete
            while not self.server.stopping.is_set():
                try:
                    topic, payload = client.get(timeout=KEEPALIVE_S)
                except queue.Empty:
                    self.wfile.write(b": keepalive\n\n")
                    self.wfile.flush()
                    continue
                self._event(topic, payload)
        except (BrokenPipeError, ConnectionResetError, TimeoutError):
            pass
        finally:
            stream.unsubscribe(client)

    def _event(self, topic: str, payload: Any) -> None:
        data = json.dumps(payload, separators=(",", ":"), allow_nan=False)
        self.wfile.write(f"event: {topic.replace('/', '_')}\ndata: {data}\n\n".encode())
        self.wfile.flush()

    def _mjpeg(self) -> None:
        preview = self.server.preview
        try:
            self._stream_headers(f"multipart/x-mixed-replace; boundary={BOUNDARY}")
            with preview.viewer():
                seq = 0
                while not self.server.stopping.is_set():
                    jpeg = preview.next_jpeg(seq, timeout_s=1.0)
                    if jpeg is None:
                        continue
                    seq = jpeg.seq
                    head = (
                        f"--{BOUNDARY}\r\nContent-Type: image/jpeg\r\n"
                        f"Content-Length: {len(jpeg.data)}\r\n"
                        f"X-Offered-At: {jpeg.offered_at:.4f}\r\n\r\n"
                    )
                    self.wfile.write(head.encode() + jpeg.data + b"\r\n")
                    self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, TimeoutError):
            pass
