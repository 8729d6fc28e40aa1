"""Starting the real `gateway run` as a child process and talking to it over HTTP."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def listening_ports(process: subprocess.Popen, count: int) -> dict[str, tuple[str, int]]:
    """The `listening <name> <host>:<port>` lines a server prints, read until `count` came."""
    assert process.stdout is not None
    ports: dict[str, tuple[str, int]] = {}
    while len(ports) < count:
        line = process.stdout.readline().decode()
        if not line:
            raise RuntimeError("the server exited before listening")
        if line.startswith("listening "):
            _, name, address = line.split()
            host, port = address.rsplit(":", 1)
            ports[name] = (host, int(port))
    return ports


class GatewayProcess:
    def __init__(self, workdir: Path, *extra: str) -> None:
        self.workdir = workdir
        self.extra = extra
        self.log_path = workdir / "gateway.log"
        self.ports: dict[str, tuple[str, int]] = {}
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        command = [
            sys.executable, "-m", "gateway.cli", "run", "--host", "127.0.0.1",
            "--http-port", "0", "--smpp-port", "0", "--sip-port", "0",
            "--data-dir", str(self.workdir / "var"), *self.extra,
        ]
        self.process = subprocess.Popen(
            command, cwd=ROOT, stdout=subprocess.PIPE, stderr=self._log,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        try:
            self.ports = listening_ports(self.process, 3)  # http, smpp, sip
        except RuntimeError:
            self.process.wait(timeout=10)
            raise RuntimeError(f"gateway exited ({self.process.returncode}):\n{self.log_path.read_text()}") from None

    def stop(self) -> int:
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()
        return self.process.returncode

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    @property
    def base(self) -> str:
        host, port = self.ports["http"]
        return f"http://{host}:{port}"

    @property
    def smpp(self) -> tuple[str, int]:
        return self.ports["smpp"]

    @property
    def sip(self) -> tuple[str, int]:
        return self.ports["sip"]

    def request(self, method: str, path: str, body: object = None, *, raw: bytes | None = None,
                token: str | None = None) -> tuple[int, object]:
        """One HTTP request; returns (status, decoded JSON or None)."""
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        request = urllib.request.Request(self.base + path, data=data, method=method)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                status, payload = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, payload = error.code, error.read()
        return status, (json.loads(payload) if payload else None)

    def get(self, path: str, **kw):
        return self.request("GET", path, **kw)

    def post(self, path: str, body: object = None, **kw):
        return self.request("POST", path, body, **kw)

    # -- handset conveniences ----------------------------------------------------------

    def ussd(self, msisdn: str, text: str) -> dict:
        status, body = self.post(f"/api/v1/handsets/{msisdn}/ussd", {"input": text})
        assert status == 200, body
        return body

    def inbox(self, msisdn: str) -> list[dict]:
        status, body = self.get(f"/api/v1/handsets/{msisdn}/inbox")
        assert status == 200, body
        return body

    def login(self, login: str, password: str) -> tuple[int, dict]:
        return self.post("/api/v1/login", {"login": login, "password": password})


def password_in(text: str) -> str:
    """The one-time password carried by a password SMS (ru or en text)."""
    import re

    match = re.search(r"(?:кабинет|password): ([A-Za-z0-9]+)\.", text)
    assert match, f"no password in {text!r}"
    return match.group(1)


def password_over_smpp(gateway: GatewayProcess, msisdn: str) -> None:
    """`00` to 000110 sent by a handset over SMPP (the `mobile` account); returns once the
    password SMS came back on the bind as a deliver_sm."""
    import smpplib.client

    client = smpplib.client.Client(*gateway.smpp, timeout=10, allow_unknown_opt_params=True)
    client.connect()
    client.bind_transceiver(system_id="handsets", password="handsets")
    received = []
    client.set_message_received_handler(lambda pdu: received.append(pdu))
    client.send_message(source_addr=msisdn, destination_addr="000110", short_message=b"00",
                        source_addr_ton=1, source_addr_npi=1, dest_addr_ton=3, dest_addr_npi=0)
    while not received:
        client.read_once()
    client.unbind()
    client.disconnect()
