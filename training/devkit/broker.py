"""A private mosquitto on a free loopback port, for `make demo`, `make bench` and the tests.

Neither a demo on a fresh machine nor CI can assume a broker is running (or that 1883 is
free): this starts a real one, owned by the caller, and stops it afterwards. Its config, its
log and (persistent) its sessions live in a temp folder of its own, removed by `close`.
"""

from __future__ import annotations

import getpass
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType

HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def find_mosquitto() -> str:
    path = shutil.which("mosquitto") or next(
        (p for p in ("/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto") if Path(p).exists()), None
    )
    if path is None:
        raise RuntimeError("mosquitto is not installed; run `sudo apt-get install mosquitto`")
    return path


class PrivateBroker:
    def __init__(
        self, port: int | None = None, persistent: bool = False, extra: Sequence[str] = ()
    ) -> None:
        """persistent: keep sessions and queued messages across a restart of this broker,
        as a production broker with persistence does. extra: more mosquitto.conf lines
        (a websockets listener, a bridge), last."""
        self.host = HOST
        self.port = port or free_port()
        self.persistent = persistent
        self.extra = tuple(extra)
        self.folder = Path(tempfile.mkdtemp(prefix="dancepose-broker-"))
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> PrivateBroker:
        conf = self.folder / "mosquitto.conf"
        lines = [
            f"listener {self.port} {self.host}",
            "allow_anonymous true",
            f"persistence {'true' if self.persistent else 'false'}",
            f"persistence_location {self.folder}/",
            "autosave_interval 1",
            # Started as root, mosquitto drops to user "mosquitto", who cannot write here.
            f"user {getpass.getuser()}",
            f"log_dest file {self.folder / 'mosquitto.log'}",
            *self.extra,
        ]
        conf.write_text("\n".join(lines) + "\n", encoding="utf-8")
        with (self.folder / "stderr.log").open("ab") as stderr:
            self.process = subprocess.Popen(
                [find_mosquitto(), "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=stderr
            )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection((self.host, self.port), timeout=0.2):
                    return self
            except OSError:
                if self.process.poll() is not None:
                    break
                time.sleep(0.05)
        self.stop()
        said = (self.folder / "stderr.log").read_text(errors="replace").strip().splitlines()
        raise RuntimeError(
            f"mosquitto did not start on {self.host}:{self.port}: {(said or ['no output'])[-1]}"
        )

    def stop(self, graceful: bool = False) -> None:
        """Kill the broker (a crash), or terminate it so it saves its persistence file."""
        if self.process is not None and self.process.poll() is None:
            if graceful:
                self.process.terminate()
            else:
                self.process.kill()
            self.process.wait(timeout=10)
        self.process = None

    def close(self) -> None:
        """Kill the broker and remove its folder."""
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> PrivateBroker:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:  # fmt: skip
        self.close()
