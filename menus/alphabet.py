"""The GSM 03.38 default alphabet (TS 23.038 §6.2.1): which characters fit and their septets.

Shared by screen-size checks (menus) and the SMPP text codec (gateway/sms/text.py).
"""

from __future__ import annotations

ESC = 0x1B
# Basic table; index = septet. "\x1b" (escape) is not a character.
BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# Extension table, reached through the escape septet; each costs two septets.
EXTENSION = {"\f": 0x0A, "^": 0x14, "{": 0x28, "}": 0x29, "\\": 0x2F,
             "[": 0x3C, "~": 0x3D, "]": 0x3E, "|": 0x40, "€": 0x65}  # fmt: skip

assert len(BASIC) == 128
BASIC_CHARS = frozenset(c for i, c in enumerate(BASIC) if i != ESC)
GSM_CHARS = BASIC_CHARS | frozenset(EXTENSION)


def is_gsm7(text: str) -> bool:
    """True when every character has a GSM 03.38 septet (basic or extension table)."""
    return GSM_CHARS.issuperset(text)


def septets(text: str) -> int:
    """Septets `text` takes in GSM 7-bit; extension characters count two."""
    return len(text) + sum(1 for c in text if c in EXTENSION)


def ucs2_units(text: str) -> int:
    """UTF-16 code units (characters outside the BMP take two)."""
    return len(text.encode("utf-16-be")) // 2
