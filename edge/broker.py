"""A private mosquitto on a free loopback port, for `make demo` and the tests.

Neither a demo on a fresh machine nor CI can assume a broker is running (or that 1883 is
free): this starts a real one, owned by the caller, and stops it afterwards.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def find_mosquitto() -> str:
    path = shutil.which("mosquitto") or next(
        (p for p in ("/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto") if Path(p).exists()), None
    )
    if path is None:
        raise RuntimeError("mosquitto is not installed; run `sudo apt-get install mosquitto`")
    return path


class PrivateBroker:
    def __init__(self, port: int | None = None, persistent: bool = False) -> None:
        """persistent: keep sessions and queued messages across a restart of this broker
        (in its own temp folder), as a production broker with persistence does."""
        self.host = "127.0.0.1"
        self.port = port or free_port()
        self.persistent = persistent
        self._dir = Path(tempfile.mkdtemp(prefix="dancepose-broker-"))
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> PrivateBroker:
        conf = self._dir / "mosquitto.conf"
        persistence = "persistence false\n"
        if self.persistent:
            # mosquitto started as root drops to user "mosquitto": give it a folder it can
            # write, or it silently keeps nothing.
            data = self._dir / "data"
            data.mkdir(exist_ok=True)
            data.chmod(0o777)
            self._dir.chmod(0o755)
            persistence = f"persistence true\npersistence_location {data}/\nautosave_interval 1\n"
        conf.write_text(f"listener {self.port} {self.host}\nallow_anonymous true\n{persistence}")
        self._process = subprocess.Popen(
            [find_mosquitto(), "-c", str(conf)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection((self.host, self.port), timeout=0.2):
                    return self
            except OSError:
                if self._process.poll() is not None:
                    break
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"mosquitto did not start on {self.host}:{self.port}")

    def stop(self, graceful: bool = False) -> None:
        """Kill the broker (a crash), or terminate it so it saves its persistence file."""
        if self._process is not None and self._process.poll() is None:
            if graceful:
                self._process.terminate()
            else:
                self._process.kill()
            self._process.wait(timeout=5)
        self._process = None

    def __enter__(self) -> PrivateBroker:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:  # fmt: skip
        self.stop()
        shutil.rmtree(self._dir, ignore_errors=True)
