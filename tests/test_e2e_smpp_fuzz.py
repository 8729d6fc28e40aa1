"""Random bytes on one connection never crash the SMSC and never disturb another bind."""

from __future__ import annotations

import socket

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.sms.codec import PDU, encode
from tests.gatewayproc import GatewayProcess
from tests.test_e2e_smpp_receipts import A, bind, mt, next_receipt, receipted_id

BIND = encode(PDU("bind_transceiver", 0, 1, {"system_id": "app", "password": "app", "interface_version": 0x34}))


@pytest.fixture(scope="module")
def shared_gateway(tmp_path_factory):
    process = GatewayProcess(tmp_path_factory.mktemp("fuzz"))
    process.start()
    yield process
    process.stop()


@pytest.fixture(scope="module")
def bystander(shared_gateway):
    client = bind(shared_gateway, "app", "app")
    yield client
    client.disconnect()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(garbage=st.binary(min_size=1, max_size=400), after_bind=st.booleans())
def test_random_bytes_leave_the_server_and_other_binds_alone(shared_gateway, bystander, garbage, after_bind):
    with socket.create_connection(shared_gateway.smpp, timeout=10) as sock:
        sock.sendall((BIND if after_bind else b"") + garbage)
        sock.shutdown(socket.SHUT_WR)
        try:
            while sock.recv(65536):  # whatever it answers, until it closes or we have read it all
                pass
        except (ConnectionResetError, TimeoutError):
            pass
    assert shared_gateway.process.poll() is None
    message_id = mt(bystander, A, "still here")
    assert receipted_id(next_receipt(bystander)) == message_id
