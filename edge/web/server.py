"""The kiosk page's HTTP server: the standard library's ThreadingHTTPServer, one thread a
connection (the page holds two long ones: the MJPEG frame stream and the event stream).

(About 400 lines: the routes and their answers in one place; request checks live in
guard.py, the connection cap in connections.py.)

Routes (docs/http.md): GET / and /static/* (the page), GET /api/state, GET /api/events
(Server-Sent Events), GET /stream.mjpg (multipart/x-mixed-replace JPEGs), POST /api/command
(the MQTT command JSON, handed to the loop's one command path), GET /api/routine (the
routine followed, as the page draws it: edge/web/reference.py), GET /api/routine/music (its
music file, for a routine recorded with music); GET /fleet (redirects to
/static/fleet.html, the fleet page, which talks to a broker and not to us).

Access: with a token (web.token_file or $DANCEPOSE_WEB_TOKEN) every request but the static
files (the pages' code, public in the repo) must carry it (`Authorization: Bearer T` or
`?token=T`: an <img> or EventSource cannot set headers), or it gets 401 and changes
nothing. Without one the page is served only on a loopback address. Request lines are not
logged (a query may hold the token).

Hostile clients (docs/http.md, Hardening): every request needs a Host this kiosk answers to
and a POST an Origin of its own (edge/web/guard.py); a body is read only with a sane
Content-Length; a connection that sends nothing for IDLE_TIMEOUT_S is closed; at most
MAX_CONNECTIONS are open, the longest idle giving way to a new one (edge/web/connections.py);
out of file descriptors, accepting pauses instead of spinning; no page may frame ours.
"""

from __future__ import annotations

import errno
import hmac
import json
import logging
import os
import queue
import socket
import sys
import threading
import time
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from edge.config import WEB_TOKEN_ENV, ConfigError, WebConfig
from edge.follow import music as musics
from edge.publish.commands import MAX_COMMAND_BYTES
from edge.web.connections import Connections
from edge.web.guard import HostAllowList, Refusal, body_length, same_origin
from edge.web.preview import Preview
from edge.web.reference import ReferenceCache
from edge.web.stream import VIEW, EventStream

log = logging.getLogger("dancepose")
STATIC = Path(__file__).resolve().parent / "static"
CONTENT_TYPES = {".html": "text/html; charset=utf-8", ".css": "text/css; charset=utf-8",
                 ".js": "text/javascript; charset=utf-8", ".svg": "image/svg+xml"}  # fmt: skip
COMMAND_TIMEOUT_S = 10.0  # the loop answers within a second in every state; this is a backstop
IDLE_TIMEOUT_S = 10.0  # a connection silent this long (headers, body, keep-alive) is closed
MAX_CONNECTIONS = 64  # one thread each; the page holds two streams and a request or two
LISTEN_BACKLOG = 128
ACCEPT_PAUSE_S = 0.1  # out of file descriptors: accept again after this, not in a spin
FD_WARN_EVERY_S = 60.0  # one log line per shortage, not one per try
FD_ERRORS = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})
FRAME_HEADERS = {"Content-Security-Policy": "frame-ancestors 'none'", "X-Frame-Options": "DENY"}
FILE_CHUNK = 64 * 1024  # a music file is sent in pieces this big, not read whole
KEEPALIVE_S = 15.0  # an SSE comment this often: proxies and browsers keep the stream open
BOUNDARY = "dancepose-frame"

Answer = Callable[[bool, str | None], None]
View = Callable[[], dict[str, Any]]
Submit = Callable[[bytes, Answer], None]
Followed = Callable[[], Path | None]  # the routine folder follow mode uses, None: none


class KioskServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = LISTEN_BACKLOG

    def __init__(
        self, web: WebConfig, family: int, view: View, stream: EventStream,
        preview: Preview, submit: Submit, token: str | None,
    ) -> None:  # fmt: skip
        self.address_family = family
        self.view, self.stream, self.preview = view, stream, preview
        self.submit, self.token = submit, token
        self.hosts = HostAllowList([web.host, *web.hosts])
        self.fleet_brokers = list(web.fleet_brokers)
        self.connections = Connections(MAX_CONNECTIONS)
        self.accept_failures: list[float] = []  # when accept() found no file descriptor
        self.stopping = threading.Event()
        self.static = {p.name: p for p in STATIC.iterdir() if p.suffix in CONTENT_TYPES}
        self.followed: Followed = lambda: None
        self.references = ReferenceCache()
        super().__init__((web.host, web.port), KioskHandler)

    def get_request(self) -> tuple[socket.socket, Any]:
        try:
            return super().get_request()
        except OSError as exc:
            if exc.errno in FD_ERRORS:  # the listening socket stays readable: do not spin
                now = time.monotonic()
                if not self.accept_failures or now - self.accept_failures[-1] > FD_WARN_EVERY_S:
                    log.warning(
                        "kiosk page: out of file descriptors (%s); closing the longest idle "
                        "connection and pausing accepts", errno.errorcode[exc.errno],
                    )  # fmt: skip
                self.accept_failures.append(now)
                del self.accept_failures[:-100]
                self.connections.free_one()
                self.stopping.wait(ACCEPT_PAUSE_S)
            raise

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self.connections.admit(request):
            self.shutdown_request(request)
            return
        super().process_request(request, client_address)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that reset or went silent is routine, not a traceback in the journal."""
        error = sys.exc_info()[1]
        if isinstance(error, ConnectionError | TimeoutError):
            return
        log.exception("kiosk page: a request failed")

    def shutdown_request(self, request: Any) -> None:
        self.connections.release(request)
        super().shutdown_request(request)


class KioskWeb:
    """Bound at construction (a bad or busy address is a ConfigError, one line, before the
    loop starts), served from start() until close()."""

    def __init__(
        self, web: WebConfig, view: View, submit: Submit, followed: Followed | None = None
    ) -> None:
        """view: the page's state now (edge/app/state.py DeviceState.page); what changes
        is sent on `self.stream`. followed: the routine folder follow mode uses now."""
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
            self.server = KioskServer(web, family, view, self.stream, self.preview, submit, token)
            if followed is not None:
                self.server.followed = followed
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

    # --- connection life: timeouts, idle or busy, headers on every answer ---------------
    def setup(self) -> None:
        self.timeout = IDLE_TIMEOUT_S  # every read and write; a silent client is let go
        super().setup()

    def handle_one_request(self) -> None:
        self.server.connections.idle(self.connection)  # until its headers are in
        super().handle_one_request()

    def parse_request(self) -> bool:
        ok = super().parse_request()
        if ok:
            self.server.connections.busy(self.connection)
        return ok

    def end_headers(self) -> None:
        for name, value in FRAME_HEADERS.items():  # no other site may frame the page
            self.send_header(name, value)
        super().end_headers()

    def _checked(self, changes_state: bool) -> bool:
        """The Host (and for a change, the Origin) is this kiosk's; else refused, closed."""
        refusal = self.server.hosts.check(self.headers)
        if refusal is None and changes_state:
            refusal = same_origin(self.headers)
        if refusal is not None:
            self._refuse(refusal)
            return False
        return True

    def _refuse(self, refusal: Refusal) -> None:
        """Answer and close without reading a body: what follows may not be a request."""
        self.close_connection = True
        status, message = refusal
        self._json(status, {"ok": False, "error": message}, {"Connection": "close"})

    # --- dispatch ----------------------------------------------------------------------
    def do_GET(self) -> None:
        if "Content-Length" in self.headers or "Transfer-Encoding" in self.headers:
            self.close_connection = True  # a body on a GET is not read: nothing may follow it
        if not self._checked(changes_state=False):
            return
        path = urlsplit(self.path).path
        if path == "/fleet/brokers":  # the fleet page's allow-list: it may connect to these
            self._json(HTTPStatus.OK, {"brokers": self.server.fleet_brokers})
            return
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
        elif path == "/api/routine":
            self._routine()
        elif path == "/api/routine/music":
            self._music()
        elif path == "/stream.mjpg":
            self._mjpeg()
        else:
            self._json(HTTPStatus.NOT_FOUND, {"error": f"no such resource {path[:80]}"})

    def do_POST(self) -> None:
        if not self._checked(changes_state=True):
            return
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

    def _routine(self) -> None:
        folder = self.server.followed()
        if folder is None:
            self._json(HTTPStatus.NOT_FOUND, {"error": "no routine selected"})
            return
        try:
            body = self.server.references.body(folder)
        except ValueError as exc:  # RoutineError: the folder changed under us; one line
            self._json(HTTPStatus.NOT_FOUND, {"error": str(exc)})
            return
        self._send(HTTPStatus.OK, body, "application/json")

    def _music(self) -> None:
        """The followed routine's music file (at most musics.MAX_BYTES), in pieces."""
        folder = self.server.followed()
        try:
            music = None if folder is None else musics.load(folder)
            file = None if music is None else music.path.open("rb")
        except (ValueError, OSError) as exc:  # MusicError, or the file went away
            self._json(HTTPStatus.NOT_FOUND, {"error": str(exc)[:200]})
            return
        if music is None or file is None:
            self._json(HTTPStatus.NOT_FOUND, {"error": "the routine followed has no music"})
            return
        with file:
            size = os.fstat(file.fileno()).st_size
            if size > musics.MAX_BYTES:
                self._json(HTTPStatus.NOT_FOUND, {"error": "the routine's music is too big"})
                return
            self.send_response(HTTPStatus.OK)
            self.send_header("Content-Type", musics.TYPES[music.path.suffix])
            self.send_header("Content-Length", str(size))
            self.send_header("Cache-Control", "no-store")
            self.send_header("X-Content-Type-Options", "nosniff")
            self.end_headers()
            try:
                while size > 0 and (chunk := file.read(min(FILE_CHUNK, size))):
                    self.wfile.write(chunk)
                    size -= len(chunk)
            except (BrokenPipeError, ConnectionResetError, TimeoutError):
                self.close_connection = True
            if size > 0:  # the file shrank under us: the answer is short, end it
                self.close_connection = True

    def _drain_body(self) -> None:
        length = body_length(self.headers, MAX_COMMAND_BYTES)
        if isinstance(length, int):
            self.rfile.read(length)
        else:
            self.close_connection = True

    # --- commands: the loop's one command path -----------------------------------------
    def _command(self) -> None:
        kind = self.headers.get("Content-Type", "").split(";")[0].strip().lower()
        length = body_length(self.headers, MAX_COMMAND_BYTES)
        if not isinstance(length, int):
            self._refuse(length)
            return
        if kind != "application/json":  # also keeps plain cross-site form posts out
            self._drain_body()
            self._json(HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
                       {"ok": False, "error": "send the command as application/json"})  # fmt: skip
            return
        try:
            data = self.rfile.read(length)
        except TimeoutError:
            self.close_connection = True
            return
        if len(data) < length:
            self.close_connection = True  # the client left before its whole body
            return
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
