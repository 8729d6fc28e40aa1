"""What a line typed at the terminal phone means (pure: text in, a command out)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

USSD_STRING = re.compile(r"[*#][0-9*#]*#")
KEYS = re.compile(r"[0-9*#ABCD]+")


class Mode(Enum):
    """What the handset has open, which decides where a bare input goes."""

    IDLE = "idle"
    USSD = "ussd"  # a dialogue waits for a reply
    CALL = "call"  # a call is up: digits are keypad tones


@dataclass(frozen=True)
class Command:
    """`kind` names the action: dial, reply, sms, call, press, hangup, release, roaming,
    power, inbox, help, quit, usage (a known word used wrongly), unknown, nothing."""

    kind: str
    arg: str = ""
    text: str = ""


def parse(line: str, mode: Mode) -> Command:
    """The command a typed line asks for, given what the handset has open."""
    stripped = line.strip()
    if not stripped:
        return Command("nothing")
    word, _, rest = stripped.partition(" ")
    word = word.lower()
    rest = rest.strip()
    if USSD_STRING.fullmatch(stripped) and mode is not Mode.CALL:
        return Command("dial", stripped)
    if word == "sms":
        to, _, text = rest.partition(" ")
        if not to:
            return Command("usage", "sms")
        return Command("sms", to, text.strip())
    if word == "call":
        return Command("call", rest) if rest and " " not in rest else Command("usage", "call")
    if word in ("roaming", "power"):
        if rest.lower() in ("on", "off"):
            return Command(word, rest.lower())
        return Command("usage", word)
    if word in ("hangup", "release", "inbox", "help", "quit", "exit") and not rest:
        return Command("quit" if word == "exit" else word)
    if mode is Mode.CALL and KEYS.fullmatch(stripped):
        return Command("press", stripped)
    if mode is Mode.USSD:
        return Command("reply", stripped)
    return Command("unknown", stripped)
