"""Parsing dialled USSD strings: `*105#`, `*105*00#`, `*105*1*2#` (TS 22.090 §5.1.2)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from gateway.ussd.errors import InvalidUssdString

# 1-3 of `*`/`#`, a service code, optional `*`-separated supplementary information,
# closing `#`. Keypad characters only.
_USSD = re.compile(r"(?P<prefix>[*#]{1,3})(?P<code>\d{1,6})(?P<info>(?:\*[0-9+]*)*)#")
MAX_LENGTH = 182  # septets in one USSD string


@dataclass(frozen=True)
class UssdString:
    service_code: str
    info: tuple[str, ...]  # supplementary information, `*`-separated parts

    @property
    def dialled(self) -> str:
        return "*" + "*".join((self.service_code, *self.info)) + "#"


def parse(text: str) -> UssdString:
    """Split a dialled string into service code and parts, or say why it is not one."""
    if not isinstance(text, str) or not text.strip():
        raise InvalidUssdString("empty USSD string")
    text = text.strip()
    if len(text) > MAX_LENGTH:
        raise InvalidUssdString(f"longer than {MAX_LENGTH} characters")
    match = _USSD.fullmatch(text)
    if not match:
        if not text.endswith("#"):
            raise InvalidUssdString(f"{text!r} does not end with #")
        if not text.startswith(("*", "#")):
            raise InvalidUssdString(f"{text!r} does not start with * or #")
        raise InvalidUssdString(f"{text!r} is not a service code followed by *-separated digits")
    info = tuple(match["info"].split("*")[1:]) if match["info"] else ()
    return UssdString(service_code=match["code"], info=info)


def looks_like_ussd(text: str) -> bool:
    """True for a dial (starts with * or #, ends with #), as opposed to a menu reply."""
    text = text.strip()
    return len(text) >= 2 and text[0] in "*#" and text.endswith("#")
