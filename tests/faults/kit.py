"""What the fault tests share: killing a gateway, binding smpplib clients that read in a thread."""

from __future__ import annotations

import contextlib
import os
import signal
import threading

import pytest
import smpplib.client
import smpplib.exceptions

from tests.gatewayproc import GatewayProcess


def kill_9(gateway: GatewayProcess) -> None:
    """SIGKILL: no shutdown trigger runs, nothing is flushed but what was committed."""
    gateway.process.send_signal(signal.SIGKILL)
    gateway.process.wait(timeout=15)
    assert gateway.process.returncode == -signal.SIGKILL
    gateway.stop()  # closes the log


class Listener:
    """A bound smpplib client reading deliver_sm on a thread of its own until its connection ends."""

    def __init__(self, gateway: GatewayProcess, system_id: str, password: str, kind: str = "receiver",
                 answer=None) -> None:
        self.received: list = []
        self.changed = threading.Condition()
        self.client = smpplib.client.Client(*gateway.smpp, timeout=None, allow_unknown_opt_params=True)
        self.client.connect()
        getattr(self.client, f"bind_{kind}")(system_id=system_id, password=password)
        self.client.set_message_received_handler(self._received)
        self._answer = answer
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _received(self, pdu):
        with self.changed:
            self.received.append(pdu)
            self.changed.notify_all()
        return self._answer(pdu) if self._answer is not None else None

    def _read(self) -> None:
        try:
            while True:
                self.client.read_once()
        except (smpplib.exceptions.ConnectionError, OSError, AttributeError):
            pass  # the gateway went away (killed) or we disconnected
        with self.changed:
            self.changed.notify_all()

    def wait_for(self, done, timeout: float = 60.0) -> bool:
        """Until done(received) holds, each wake-up being a PDU that arrived; False at the deadline."""
        with self.changed:
            return self.changed.wait_for(lambda: done(self.received), timeout=timeout)

    def close(self) -> None:
        with contextlib.suppress(Exception):  # already gone with a killed gateway
            self.client.disconnect()


def private_server(make, needed: str):
    """`make()` started (a private PostgreSQL or Redis); its binaries missing skip the test,
    or fail it under CI=true, where every service must be there."""
    try:
        server = make()
    except FileNotFoundError as missing:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{needed} required under CI=true: {missing}")
        pytest.skip(str(missing))
    server.start()
    return server
