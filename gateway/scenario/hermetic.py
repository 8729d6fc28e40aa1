"""A fresh gateway for one scenario: the real `gateway run` on port 0, a test clock and a temporary store."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

STOP_TIMEOUT = 15.0


class GatewayFailed(Exception):
    """The child gateway did not start; the message carries the end of its log."""


@contextmanager
def fresh_gateway() -> Iterator[str]:
    """Start `gateway run --test-clock` in a child process; yields its base URL, stops it after."""
    workdir = tempfile.mkdtemp(prefix="gateway-scenario-")
    log_path = os.path.join(workdir, "gateway.log")
    log = open(log_path, "wb")  # noqa: SIM115 - closed below, after the child is gone
    command = [
        sys.executable, "-m", "gateway.cli", "run", "--test-clock", "--host", "127.0.0.1",
        "--http-port", "0", "--smpp-port", "0", "--sip-port", "0", "--data-dir", os.path.join(workdir, "var"),
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=log,
                               env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        yield _wait_listening(process, log_path)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        process.stdout.close()
        log.close()
        shutil.rmtree(workdir, ignore_errors=True)


def _wait_listening(process: subprocess.Popen, log_path: str) -> str:
    """Read the child's `listening NAME HOST:PORT` lines until every listener is up."""
    names: dict[str, str] = {}
    while len(names) < 3:  # http, smpp, sip
        line = process.stdout.readline().decode("utf-8", "replace")
        if not line:
            process.wait(timeout=STOP_TIMEOUT)
            with open(log_path, encoding="utf-8", errors="replace") as handle:
                tail = handle.read()[-2000:]
            raise GatewayFailed(f"the gateway exited ({process.returncode}) before listening:\n{tail}")
        if line.startswith("listening "):
            _, name, address = line.split()
            names[name] = address
    return f"http://{names['http']}"
