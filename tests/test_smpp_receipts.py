"""Delivery receipt rules and text (pure): registered_delivery bits, Appendix B format."""

from __future__ import annotations

import calendar
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.sms.receipts import Outcome, receipt_text, wanted

NOV_25_1517 = calendar.timegm((2026, 11, 25, 15, 17, 33))


@pytest.mark.parametrize(
    ("registered_delivery", "delivered", "undeliverable"),
    [(0x00, False, False), (0x01, True, True), (0x02, False, True), (0x03, False, False),
     (0x11, True, True), (0x10, False, False), (0x1D, True, True)],
)
def test_bits_one_and_zero_choose_which_outcomes_get_a_receipt(registered_delivery, delivered, undeliverable):
    assert wanted(registered_delivery, Outcome.DELIVERED) is delivered
    assert wanted(registered_delivery, Outcome.UNDELIVERABLE) is undeliverable


def test_receipt_text_is_the_appendix_b_format():
    text = receipt_text("42", NOV_25_1517, NOV_25_1517 + 120, Outcome.DELIVERED, 0, "Hello there, this is a long one")
    assert text == ("id:42 sub:001 dlvrd:001 submit date:2611251517 done date:2611251519"
                    " stat:DELIVRD err:000 text:Hello there, this is")


def test_undeliverable_receipt_counts_nothing_delivered_and_carries_the_error():
    text = receipt_text("7", NOV_25_1517, NOV_25_1517, Outcome.UNDELIVERABLE, 8, "x")
    assert " dlvrd:000 " in text and " stat:UNDELIV err:008 " in text
    assert Outcome.UNDELIVERABLE.message_state == 5 and Outcome.DELIVERED.message_state == 2


VUMI = re.compile(  # the receipt regex of vumi's SMPP transport
    r"id:(?P<id>[^ ]{,65})(?: +sub:(?P<sub>[^ ]+))?(?: +dlvrd:(?P<dlvrd>[^ ]+))?"
    r"(?: +submit date:(?P<submit_date>\d*))?(?: +done date:(?P<done_date>\d*))?"
    r" +stat:(?P<stat>[A-Z]{7})(?: +err:(?P<err>[^ ]+))? +[Tt]ext:(?P<text>.{,20}).*",
    re.DOTALL,
)


@given(st.integers(1, 10**12), st.text(max_size=60), st.integers(0, 10**6))
def test_any_receipt_parses_with_the_common_regex(message_id, original, error):
    text = receipt_text(str(message_id), NOV_25_1517, NOV_25_1517, Outcome.DELIVERED, error, original)
    match = VUMI.fullmatch(text)
    assert match is not None
    assert match["id"] == str(message_id) and match["stat"] == "DELIVRD" and match["text"] == original[:20]
