"""The kiosk server against hostile or broken clients, over raw sockets: lengths that are
not lengths, chunked bodies, foreign Host and Origin headers, sockets that say nothing,
hundreds of them, no file descriptors left, framing by another site, and the fleet page
asked to connect to a broker nobody allowed."""

from __future__ import annotations

import itertools
import json
import os
import resource
import socket
import struct
import threading
import time

import pytest

from edge.publish.commands import CommandError, parse_command
from edge.web import server as web_server
from tests.helpers import CHROMIUM, UNIT, Server, browser_or_skip, parse_unit, request, web_config

COMMAND = b'{"action": "reset_count"}'


@pytest.fixture
def server():
    made = Server(web_config())
    yield made
    made.close()


def address(server: Server) -> tuple[str, int]:
    host, port = server.web.server.server_address[:2]
    return host, port


def exchange(server: Server, raw: bytes, timeout: float = 10.0) -> bytes:
    """Send `raw` on a fresh connection; everything the server sends until it closes."""
    with socket.create_connection(address(server), timeout=timeout) as sock:
        sock.sendall(raw)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def post(server: Server, headers: str, body: bytes = COMMAND) -> bytes:
    host, port = address(server)
    head = f"POST /api/command HTTP/1.1\r\nHost: {host}:{port}\r\n{headers}\r\n"
    return exchange(server, head.encode() + body)


def status_of(reply: bytes) -> int:
    return int(reply.split(b" ", 2)[1])


def body_of(reply: bytes) -> dict:
    return json.loads(reply.partition(b"\r\n\r\n")[2])


@pytest.mark.parametrize(
    "length, status", [("-1", 400), ("abc", 400), ("1e3", 400), ("0x18", 400),
                       ("99999999999999999999", 413), ("5000", 413)],
)  # fmt: skip
def test_a_length_that_is_not_a_sane_length_is_refused_unread(server, length, status) -> None:
    reply = post(server, f"Content-Type: application/json\r\nContent-Length: {length}\r\n")
    assert status_of(reply) == status  # an HTTP answer, then the server hangs up
    assert len(body_of(reply)["error"]) < 120  # one short line, nothing echoed whole
    assert reply.count(b"HTTP/1.1 ") == 1
    assert server.submitted == []


def test_a_chunked_body_is_refused_not_read_as_the_next_request(server) -> None:
    smuggled = b"GET /api/state HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    reply = post(server, "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n",
                 b"%x\r\n%s\r\n0\r\n\r\n" % (len(smuggled), smuggled))  # fmt: skip
    assert status_of(reply) == 411
    assert reply.count(b"HTTP/1.1 ") == 1  # the body was not answered as a request
    assert server.submitted == []


def test_a_foreign_host_gets_nothing_and_changes_nothing(tmp_path) -> None:
    made = Server(web_config(hosts=["kiosk-1.local"]))
    try:
        host, port = address(made)
        for name, status in [("evil.example", 421), ("evil.example:80", 421),
                             (f"{host}:{port}", 200), (f"localhost:{port}", 200),
                             (f"KIOSK-1.local:{port}", 200), ("[::1]", 200)]:  # fmt: skip
            reply = exchange(made, f"GET /api/state HTTP/1.1\r\nHost: {name}\r\n"
                                   "Connection: close\r\n\r\n".encode())  # fmt: skip
            assert status_of(reply) == status, name
        reply = exchange(made, b"GET /api/state HTTP/1.1\r\nConnection: close\r\n\r\n")
        assert status_of(reply) == 400  # no Host at all
        reply = exchange(made, b"POST /api/command HTTP/1.1\r\nHost: evil.example\r\n"
                               b"Content-Type: application/json\r\nContent-Length: 25\r\n\r\n"
                               + COMMAND)  # fmt: skip
        assert status_of(reply) == 421 and "web.hosts" in body_of(reply)["error"]
        assert made.submitted == []
    finally:
        made.close()


def test_a_command_from_another_sites_page_is_refused(server) -> None:
    host, port = address(server)
    json_body = f"Content-Type: application/json\r\nContent-Length: {len(COMMAND)}\r\n"
    for origin in ("http://evil.example", "null", f"http://{host}:{port + 1}"):
        reply = post(server, f"{json_body}Origin: {origin}\r\n")
        assert status_of(reply) == 403, origin
    assert server.submitted == []
    assert status_of(post(server, f"{json_body}Origin: http://{host}:{port}\r\n"
                                  "Connection: close\r\n")) == 200  # fmt: skip
    assert status_of(post(server, f"{json_body}Connection: close\r\n")) == 200  # curl, HA
    assert server.submitted == [COMMAND, COMMAND]


def test_no_other_site_may_frame_the_page(server) -> None:
    host, port = address(server)
    for path in ("/", "/api/state", "/nowhere", "/static/kiosk.js"):
        reply = exchange(server, f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\n"
                                 "Connection: close\r\n\r\n".encode())  # fmt: skip
        head = reply.partition(b"\r\n\r\n")[0].decode().lower()
        assert "content-security-policy: frame-ancestors 'none'" in head, path
        assert "x-frame-options: deny" in head, path


def test_long_numbers_are_not_echoed_whole() -> None:
    digits = "9" * 4000
    for data in (f'{{"action": "set_mode", "mode": {digits[:3000]}}}',
                 f'{{"action": "set_exercise", "exercise": {digits[:3000]}}}'):  # fmt: skip
        with pytest.raises(CommandError) as caught:
            parse_command(data.encode(), {"squat"})
        assert len(str(caught.value)) < 120


def test_a_silent_connection_is_closed(monkeypatch) -> None:
    assert web_server.IDLE_TIMEOUT_S <= 60  # the shipped value
    monkeypatch.setattr(web_server, "IDLE_TIMEOUT_S", 0.5)
    made = Server(web_config())
    try:
        for said in (b"", b"GET /api/state HTTP/1.1\r\nHost: 127.0.0.1\r\n"):  # nothing; half
            with socket.create_connection(address(made), timeout=60) as sock:
                sock.sendall(said)
                assert sock.recv(65536) == b""  # hung up, well before the client's 60 s
    finally:
        made.close()


def test_hundreds_of_silent_sockets_leave_the_page_working(server) -> None:
    threads_before = threading.active_count()
    idle = [socket.create_connection(address(server), timeout=10) for _ in range(500)]
    try:
        connections = server.web.server.connections
        # each accepted one either holds a slot or pushed an older one out
        deadline = time.monotonic() + 30
        while connections.evicted < 500 - web_server.MAX_CONNECTIONS:
            assert time.monotonic() < deadline, connections.evicted
            time.sleep(0.05)
        status, body = request(f"{server.url}api/state")
        assert status == 200 and json.loads(body)["queue_depth"] == 7
        assert threading.active_count() <= threads_before + web_server.MAX_CONNECTIONS + 2
    finally:
        for sock in idle:
            sock.close()


def _lowest_free_fd() -> int:
    fd = os.dup(0)
    os.close(fd)
    return fd


def test_out_of_file_descriptors_pauses_accepting_without_a_spin(server, caplog) -> None:
    kiosk = server.web.server
    client = socket.socket(socket.AF_INET, socket.SOCK_STREAM)  # its fd exists beforehand
    client.settimeout(10)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (_lowest_free_fd(), hard))
    try:
        client.connect(address(server))  # queued by the kernel; accept() gets EMFILE
        deadline = time.monotonic() + 10
        while len(kiosk.accept_failures) < 4:
            assert time.monotonic() < deadline
            time.sleep(0.02)
        failures = list(kiosk.accept_failures)
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    gaps = [b - a for a, b in itertools.pairwise(failures)]
    assert min(gaps) >= web_server.ACCEPT_PAUSE_S * 0.9  # paused, not 12,000 tries a second
    assert sum("out of file descriptors" in r.message for r in caplog.records) == 1
    # with descriptors back, the waiting connection is served
    host, port = address(server)
    client.sendall(f"GET /api/state HTTP/1.1\r\nHost: {host}:{port}\r\n"
                   "Connection: close\r\n\r\n".encode())  # fmt: skip
    assert client.recv(65536).startswith(b"HTTP/1.1 200")
    client.close()


def test_the_fleet_page_connects_by_itself_only_to_an_allowed_broker(tmp_path) -> None:
    sync_api = browser_or_skip()
    allowed = "ws://localhost:9"  # nothing listens there: the attempt itself is the evidence
    made = Server(web_config(fleet_brokers=[allowed]))
    try:
        status, body = request(f"{made.url}fleet/brokers")
        assert status == 200 and json.loads(body) == {"brokers": [allowed]}
        with sync_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1100, "height": 300})
            sockets: list[str] = []
            page.on("websocket", lambda ws: sockets.append(ws.url))
            page.goto(f"{made.url}fleet?broker=ws://evil.example:9001&username=admin")
            page.wait_for_function(
                "document.getElementById('connection').textContent.startsWith('not connected:')"
            )
            page.screenshot(path=str(tmp_path / "fleet-ask.png"))
            assert sockets == []  # asked first, connected nowhere
            assert page.input_value("#broker") == "ws://evil.example:9001"
            page.goto(f"{made.url}fleet?broker={allowed}")
            page.wait_for_function("document.getElementById('connection').textContent"
                                   ".includes('localhost:9')")  # fmt: skip
            deadline = time.monotonic() + 20
            while not sockets and time.monotonic() < deadline:
                page.wait_for_timeout(50)
            assert sockets and sockets[0].startswith(allowed)
            browser.close()
    finally:
        made.close()


def test_the_units_limits_leave_room_for_the_connection_cap() -> None:
    service = parse_unit(UNIT.read_text())["Service"]
    assert int(service["TasksMax"][0]) >= web_server.MAX_CONNECTIONS + 40  # + the loop's
    assert int(service["LimitNOFILE"][0]) >= 4 * web_server.MAX_CONNECTIONS
    assert service["MemoryMax"] and service["MemoryHigh"]


def test_a_client_that_resets_leaves_no_traceback(server, capfd) -> None:
    for said in (b"", b"GET /api/state HTTP/1.1\r\n"):
        sock = socket.create_connection(address(server), timeout=10)
        sock.sendall(said)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()  # RST, not FIN
    status, _ = request(f"{server.url}api/state")  # served after them
    assert status == 200
    assert "Traceback" not in capfd.readouterr().err
