"""Multi-node test kit: a private redis-server on a free port (killed and restarted at will),
and two real `gateway run` nodes sharing one PostgreSQL database and that Redis."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest
import redis

from tests.gatewayproc import GatewayProcess

WAIT = 15.0  # seconds before something awaited over a socket fails the test


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RedisServer:
    """`redis-server` without persistence, on its own port: a restart loses everything."""

    def __init__(self, port: int | None = None) -> None:
        if shutil.which("redis-server") is None:
            pytest.skip("redis-server is not installed (make install adds it)")
        self.port = port or free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = redis.Redis(port=self.port, socket_connect_timeout=0.5)
        deadline = time.monotonic() + WAIT
        while True:  # the server's own answer on its socket, with a deadline
            try:
                if client.ping():
                    break
            except redis.ConnectionError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise
        client.close()

    def kill(self) -> None:
        assert self.process is not None
        self.process.kill()
        self.process.wait()

    def client(self) -> redis.Redis:
        return redis.Redis(port=self.port, decode_responses=True)


def start_node(workdir: Path, name: str, pg_url: str, redis_url: str, *extra: str) -> GatewayProcess:
    path = workdir / name
    path.mkdir(parents=True, exist_ok=True)
    node = GatewayProcess(path, "--db", pg_url, "--redis", redis_url, *extra)
    node.start()
    return node
