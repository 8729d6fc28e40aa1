"""Subscriber numbers: one canonical 11-digit MSISDN, and the 10-digit login form (R01)."""

from __future__ import annotations

import re
from functools import lru_cache

from core.errors import InvalidNumber

_DIGITS = re.compile(r"\d+")


def normalise_msisdn(raw: str) -> str:
    """Return the canonical `7XXXXXXXXXX` form of a Russian mobile number.

    Accepts `79261234567`, `+79261234567`, `89261234567` and the ten-digit login form
    `9261234567`; spaces, dashes and brackets as people type them are ignored.
    """
    if not isinstance(raw, str):
        raise InvalidNumber("number must be a string of digits")
    return _normalised(raw)


@lru_cache(maxsize=4096)
def _normalised(raw: str) -> str:
    # Cached: every submit_sm and deliver_sm of the SMSC asks for the same few numbers again.
    text = raw.strip()
    plus = text.startswith("+")
    digits = re.sub(r"[\s()\-]", "", text[1:] if plus else text)
    if not _DIGITS.fullmatch(digits or "x"):
        raise InvalidNumber(f"not a phone number: {raw!r}")
    if plus:
        if len(digits) == 11 and digits[0] == "7":
            return digits
    elif len(digits) == 11 and digits[0] in "78":
        return "7" + digits[1:]
    elif len(digits) == 10:
        return "7" + digits
    raise InvalidNumber(f"not an 11-digit Russian mobile number: {raw!r}")


def login_of(msisdn: str) -> str:
    """The personal-account login of a number: its ten-digit form (R01)."""
    return msisdn[1:]


def is_msisdn(raw: str) -> bool:
    """True when `raw` normalises to a subscriber number."""
    try:
        normalise_msisdn(raw)
    except InvalidNumber:
        return False
    return True
