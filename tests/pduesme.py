"""An ESME whose PDUs are encoded and decoded by smpp.pdu3 (Jasmin's codec), a second SMPP
implementation independent of smpplib and of the gateway's own codec. It answers every
deliver_sm it reads with deliver_sm_resp and keeps them for the test."""

from __future__ import annotations

import io
import socket
import struct
from collections import deque

from smpp.pdu import operations as op
from smpp.pdu import pdu_types as t
from smpp.pdu.pdu_encoding import PDUEncoder

RECEIPT_WANTED = t.RegisteredDelivery(t.RegisteredDeliveryReceipt.SMSC_DELIVERY_RECEIPT_REQUESTED)
UCS2 = t.DataCoding(t.DataCodingScheme.DEFAULT, t.DataCodingDefault.UCS2)


class PduEsme:
    def __init__(self, address: tuple[str, int]) -> None:
        self.sock = socket.create_connection(address, timeout=15)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.encoder = PDUEncoder()
        self.sequence = 0
        self.delivered: deque = deque()  # deliver_sm PDUs read so far, answered

    def request(self, pdu_class, **params):
        """Send one request; return its response (deliver_sm read meanwhile are kept)."""
        self.sequence += 1
        self.sock.sendall(self.encoder.encode(pdu_class(seqNum=self.sequence, **params)))
        while True:
            pdu = self.read()
            if pdu.seqNum == self.sequence and pdu.commandId.name == pdu_class.requireAck.commandId.name:
                return pdu

    def bind(self, system_id: str, password: str):
        return self.request(op.BindTransceiver, system_id=system_id, password=password)

    def submit_mt(self, source: str, destination: str, text: str, **extra):
        extra.setdefault("registered_delivery", RECEIPT_WANTED)
        return self.request(
            op.SubmitSM, source_addr_ton=t.AddrTon.NETWORK_SPECIFIC, source_addr_npi=t.AddrNpi.UNKNOWN,
            source_addr=source, dest_addr_ton=t.AddrTon.INTERNATIONAL, dest_addr_npi=t.AddrNpi.ISDN,
            destination_addr=destination, esm_class=t.EsmClass(t.EsmClassMode.DEFAULT, t.EsmClassType.DEFAULT),
            data_coding=UCS2, short_message=text.encode("utf-16-be"), **extra,
        )

    def next_receipt(self):
        """The next deliver_sm that is an SMSC delivery receipt."""
        while True:
            for pdu in list(self.delivered):
                if pdu.params["esm_class"].type == t.EsmClassType.SMSC_DELIVERY_RECEIPT:
                    self.delivered.remove(pdu)
                    return pdu
            self.read()

    def read(self):
        header = self._exact(4)
        (length,) = struct.unpack(">I", header)
        pdu = self.encoder.decode(io.BytesIO(header + self._exact(length - 4)))
        if pdu.commandId.name == "deliver_sm":
            self.sock.sendall(self.encoder.encode(op.DeliverSMResp(seqNum=pdu.seqNum)))
            self.delivered.append(pdu)
        return pdu

    def close(self) -> None:
        self.sock.close()

    def _exact(self, size: int) -> bytes:
        data = b""
        while len(data) < size:
            chunk = self.sock.recv(size - len(data))
            if not chunk:
                raise ConnectionError("the gateway closed the connection")
            data += chunk
        return data
