"""Numbers (R01) and money: parsing, normalising, round trips."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.errors import InvalidAmount, InvalidNumber
from core.money import format_roubles, parse_roubles
from core.numbers import login_of, normalise_msisdn

national = st.text(alphabet="0123456789", min_size=10, max_size=10)


@given(national)
def test_r01_every_form_of_a_number_normalises_alike(ten):
    forms = [ten, "7" + ten, "+7" + ten, "8" + ten, f"+7 ({ten[:3]}) {ten[3:6]}-{ten[6:8]}-{ten[8:]}"]
    assert {normalise_msisdn(form) for form in forms} == {"7" + ten}
    assert login_of("7" + ten) == ten


@pytest.mark.parametrize("bad", ["", "123", "+19261234567", "792612345678", "7926123456a", "+", "++79261234567"])
def test_r01_bad_numbers_are_refused(bad):
    with pytest.raises(InvalidNumber):
        normalise_msisdn(bad)


@given(st.text(max_size=20))
def test_number_parser_never_crashes(raw):
    try:
        result = normalise_msisdn(raw)
    except InvalidNumber:
        return
    assert len(result) == 11 and result.startswith("7") and result.isdigit()


@given(st.integers(min_value=0, max_value=10**11 - 1))  # up to 999,999,999.99 roubles
def test_money_round_trip(kopecks):
    assert parse_roubles(format_roubles(kopecks)) == kopecks


@pytest.mark.parametrize(("raw", "kopecks"), [("300", 30000), ("300.5", 30050), ("300,05", 30005), (7, 700)])
def test_money_parses_what_people_type(raw, kopecks):
    assert parse_roubles(raw) == kopecks


@pytest.mark.parametrize("bad", ["-5", "1.234", "ten", "", True, None, 1.5])
def test_bad_amounts_are_refused(bad):
    with pytest.raises(InvalidAmount):
        parse_roubles(bad)
