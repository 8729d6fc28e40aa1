"""USSD screen limits by encoding, and splitting text into screens that fit.

A USSD string is at most 160 octets: 182 GSM 7-bit septets, or 80 UCS-2 characters
when any character is outside the GSM alphabet (Cyrillic) — PROTOCOLS.md §1.2.
"""

from __future__ import annotations

from menus.alphabet import is_gsm7, septets, ucs2_units

GSM7_LIMIT = 182
UCS2_LIMIT = 80


def size(text: str) -> tuple[int, int]:
    """(used, limit) of `text` as one USSD screen in the encoding it needs."""
    if is_gsm7(text):
        return septets(text), GSM7_LIMIT
    return ucs2_units(text), UCS2_LIMIT


def fits(text: str) -> bool:
    used, limit = size(text)
    return used <= limit


def split(text: str, footer: str, *, footer_on_last: bool = False) -> list[str]:
    """Cut `text` into screens that fit, each but the last ending with `footer`
    (the last too with `footer_on_last`, when more follows the text).

    Cuts at line ends, then at spaces, then anywhere: nothing is ever dropped.
    """
    last = (lambda rest: rest + "\n" + footer) if footer_on_last else (lambda rest: rest)
    screens: list[str] = []
    rest = text
    while not fits(last(rest)):
        cut = _longest_prefix(rest, footer)
        screens.append(rest[:cut].rstrip() + "\n" + footer)
        rest = rest[cut:].lstrip("\n ")
    screens.append(last(rest))
    return screens


def _longest_prefix(text: str, footer: str) -> int:
    best = 0
    low, high = 1, len(text)
    while low <= high:  # binary search on the length that still fits with the footer
        mid = (low + high) // 2
        if fits(text[:mid].rstrip() + "\n" + footer):
            best, low = mid, mid + 1
        else:
            high = mid - 1
    best = max(best, 1)
    for sep in ("\n", " "):
        at = text.rfind(sep, 0, best)
        if at > 0:
            return at
    return best
