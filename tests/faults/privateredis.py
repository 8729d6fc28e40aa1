"""A redis-server of our own on a free port, without persistence, that a fault test may kill -9
and start again empty on the same port: the machine's Redis serves other tests and is never
touched."""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import tempfile
import threading
from pathlib import Path

READY = "Ready to accept connections"
START_WITHIN = 15.0  # seconds


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PrivateRedis:
    """`start()` returns once the server says it accepts connections; `kill()` is SIGKILL."""

    def __init__(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise FileNotFoundError("no redis-server on PATH (make install adds it)")
        self.binary = binary
        self.port = _free_port()
        self.root = Path(tempfile.mkdtemp(prefix="faultredis-"))
        self.process: subprocess.Popen | None = None
        self.output: list[str] = []  # every line the server printed, for a failure's message

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.root)],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        ready = threading.Event()
        # Read on a thread of its own: the wait has a deadline, and the pipe is drained for the
        # server's life (a full pipe would block its logging).
        threading.Thread(target=self._read, args=(self.process, ready), daemon=True).start()
        if not ready.wait(START_WITHIN) or self.process.poll() is not None:
            self.kill()
            raise RuntimeError("redis-server did not start:\n" + "".join(self.output[-20:]))

    def _read(self, process: subprocess.Popen, ready: threading.Event) -> None:
        assert process.stdout is not None
        for line in process.stdout:
            self.output.append(line)
            if READY in line:
                ready.set()
        ready.set()  # it exited: start() sees poll() is not None

    def kill(self) -> None:
        """SIGKILL: nothing is saved (nothing would be anyway: no persistence)."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        if self.process is not None:
            self.process.wait(timeout=15)

    def remove(self) -> None:
        self.kill()
        shutil.rmtree(self.root, ignore_errors=True)
