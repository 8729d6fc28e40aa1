"""Money: integer kopecks inside, two-place rouble strings on every interface."""

from __future__ import annotations

import re

from core.errors import InvalidAmount

_AMOUNT = re.compile(r"(?P<sign>-?)(?P<rub>\d{1,9})(?:[.,](?P<kop>\d{1,2}))?")


def parse_roubles(raw: str | int, *, allow_negative: bool = False) -> int:
    """Parse `"300"`, `"300.5"` or `"300.50"` (or an int of roubles) into kopecks."""
    if isinstance(raw, bool) or not isinstance(raw, str | int):
        raise InvalidAmount("amount must be a decimal string like \"300.00\"")
    match = _AMOUNT.fullmatch(str(raw).strip())
    if not match:
        raise InvalidAmount(f"not an amount in roubles: {raw!r}")
    kopecks = int(match["rub"]) * 100 + int((match["kop"] or "0").ljust(2, "0"))
    if match["sign"]:
        if not allow_negative:
            raise InvalidAmount(f"amount must not be negative: {raw!r}")
        kopecks = -kopecks
    return kopecks


def format_roubles(kopecks: int) -> str:
    """`30050` -> `"300.50"`."""
    sign = "-" if kopecks < 0 else ""
    rub, kop = divmod(abs(kopecks), 100)
    return f"{sign}{rub}.{kop:02d}"
