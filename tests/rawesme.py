"""A minimal ESME over a plain socket, speaking through the gateway's own codec.

smpplib cannot parse a deliver_sm carrying ussd_service_op (KeyError: its DeliverSM has no
such parameter, PROTOCOLS.md §5), so the USSD end-to-end tests read and write raw PDUs
with gateway/sms/codec.py, whose round trips test_smpp_codec.py proves against smpplib.
"""

from __future__ import annotations

import socket
from collections import deque

from gateway.sms.codec import PDU, PDUFramer, decode, encode
from gateway.sms.text import decode_text


class RawEsme:
    def __init__(self, address: tuple[str, int]) -> None:
        self.sock = socket.create_connection(address, timeout=15)
        self._framer = PDUFramer()
        self._sequence = 0
        self._inbox: deque[PDU] = deque()  # deliver_sm received while waiting for something else
        self._frames: deque[bytes] = deque()

    def bind(self, system_id: str, password: str) -> PDU:
        seq = self.send("bind_transceiver", system_id=system_id, password=password, interface_version=0x34)
        resp = self._wait(lambda p: p.sequence == seq and p.is_response)
        assert resp.status == 0, f"bind refused: {resp.status:#x}"
        return resp

    def send(self, command: str, **params) -> int:
        self._sequence += 1
        self.sock.sendall(encode(PDU(command, 0, self._sequence, params)))
        return self._sequence

    def submit(self, **params) -> PDU:
        """A submit_sm; returns its submit_sm_resp."""
        fields = {"source_addr_ton": 1, "source_addr_npi": 1, "dest_addr_ton": 3, "dest_addr_npi": 0,
                  "service_type": "USSD", **params}
        if isinstance(fields.get("short_message"), str):
            fields["short_message"] = fields["short_message"].encode("latin-1")
        seq = self.send("submit_sm", **fields)
        return self._wait(lambda p: p.command == "submit_sm_resp" and p.sequence == seq)

    def deliver(self, ussd: bool = True) -> PDU:
        """The next deliver_sm (answered with deliver_sm_resp) carrying ussd_service_op, or
        with `ussd=False` the next one carrying none (an SMS)."""

        def wanted(pdu: PDU) -> bool:
            return pdu.command == "deliver_sm" and ("ussd_service_op" in pdu.params) == ussd

        for pdu in self._inbox:
            if wanted(pdu):
                self._inbox.remove(pdu)
                return pdu
        return self._wait(wanted)

    def close(self) -> None:
        self.sock.close()

    def _wait(self, wanted) -> PDU:
        while True:
            pdu = self._read()
            if pdu.command == "deliver_sm":
                self.sock.sendall(encode(PDU("deliver_sm_resp", 0, pdu.sequence, {"message_id": ""})))
                if not wanted(pdu):
                    self._inbox.append(pdu)
                    continue
            if wanted(pdu):
                return pdu

    def _read(self) -> PDU:
        while not self._frames:
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionError("the gateway closed the connection")
            self._frames.extend(self._framer.feed(data))
        return decode(self._frames.popleft())


def text_of(pdu: PDU) -> str:
    return decode_text(pdu.params.get("data_coding", 0), pdu.params.get("short_message", b""))
