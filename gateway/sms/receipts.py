"""Delivery receipts (SMPP 3.4 Appendix B): when registered_delivery asks for one, and its text."""

from __future__ import annotations

import datetime
import enum
from dataclasses import dataclass
from functools import lru_cache

RECEIPT_ESM_CLASS = 0x04  # esm_class of a deliver_sm carrying an SMSC delivery receipt
TEXT_PREFIX = 20  # characters of the original message a receipt repeats


class Outcome(enum.Enum):
    """How a message ended, as the receipt's stat and message_state TLV say it."""

    ENROUTE = ("ENROUTE", 1)  # not final: held for a switched-off handset or a delay
    DELIVERED = ("DELIVRD", 2)
    EXPIRED = ("EXPIRED", 3)
    DELETED = ("DELETED", 4)  # cancel_sm
    UNDELIVERABLE = ("UNDELIV", 5)
    REJECTED = ("REJECTD", 8)

    @property
    def stat(self) -> str:
        return self.value[0]

    @property
    def message_state(self) -> int:
        return self.value[1]


def wanted(registered_delivery: int, outcome: Outcome) -> bool:
    """Bits 1-0 of registered_delivery: 1 a receipt on any final outcome, 2 on failure only;
    bit 4 (0x10) an intermediate notification (ENROUTE) as well."""
    if outcome is Outcome.ENROUTE:
        return bool(registered_delivery & 0x10)
    bits = registered_delivery & 0x03
    return bits == 1 or (bits == 2 and outcome is not Outcome.DELIVERED)


def receipt_text(message_id: str, submitted_at: float, done_at: float, outcome: Outcome,
                 error: int, text: str) -> str:
    """`id:… sub:001 dlvrd:001 submit date:YYMMDDhhmm done date:YYMMDDhhmm stat:… err:… text:…`."""
    delivered = 1 if outcome is Outcome.DELIVERED else 0
    return (
        f"id:{message_id} sub:001 dlvrd:{delivered:03d} submit date:{_date(submitted_at)}"
        f" done date:{_date(done_at)} stat:{outcome.stat} err:{min(error, 999):03d}"
        f" text:{text[:TEXT_PREFIX]}"
    )


@dataclass(frozen=True)
class PendingReceipt:
    """A stored receipt on its way to a receiving bind of the submitting account."""

    id: int
    system_id: str
    message_id: str
    source_addr: str  # the original destination
    destination_addr: str  # the original source
    message_state: int
    body: str
    claimed_by: str | None = None  # several nodes: the node whose lease covers it (gateway/cluster/receiptclaims.py)


def _date(seconds: float) -> str:
    return _minute(int(seconds // 60))


@lru_cache(maxsize=64)
def _minute(minutes: int) -> str:
    # A receipt's dates have minutes for their unit: a burst formats each minute once.
    return datetime.datetime.fromtimestamp(minutes * 60, datetime.UTC).strftime("%y%m%d%H%M")
