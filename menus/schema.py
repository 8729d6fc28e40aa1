"""Typed, frozen nodes of a loaded menus.yaml."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field

# A localised text: locale -> template ("Баланс: {balance} руб.").
Text = Mapping[str, str]


class Kind(enum.Enum):
    MENU = "menu"  # fixed items, each a key leading to a node
    LIST = "list"  # items produced by an action, numbered 1..N, the choice stored as a value
    INPUT = "input"  # one typed answer, checked by its rule
    CONFIRM = "confirm"  # 1 goes on, 2 goes back
    ACTION = "action"  # runs a named action, shows its result
    END = "end"  # a final screen


class Channel(enum.Enum):
    USSD = "ussd"
    VOICE = "voice"


class InputKind(enum.Enum):
    DIGITS = "digits"  # PIN-like digits
    AMOUNT = "amount"  # roubles: 150, 150.50, or 150*50 on a keypad
    NUMBER = "number"  # a subscriber number in any accepted form
    TEXT = "text"  # free text (USSD only)


@dataclass(frozen=True)
class Item:
    key: str
    goto: str
    label: Text | None = None  # None: the node's text already says what the key does (voice)
    line: int = 0


@dataclass(frozen=True)
class InputRule:
    name: str
    kind: InputKind = InputKind.DIGITS
    min: int = 1
    max: int = 32
    secret: bool = False


@dataclass(frozen=True)
class Node:
    id: str
    kind: Kind
    text: Text
    line: int
    items: tuple[Item, ...] = ()
    input: InputRule | None = None
    action: str | None = None
    args: Mapping[str, object] = field(default_factory=dict)
    next: str | None = None
    store: str | None = None  # list nodes: the value name the choice is stored under
    ussd_only: str | None = None  # why an action offered by USSD is not in the voice menu


@dataclass(frozen=True)
class Navigation:
    """Keys that move around instead of answering: back one screen, home, next page."""

    back: str
    home: str
    more: str


@dataclass(frozen=True)
class UssdService:
    code: str
    root: str
    shortcuts: Mapping[str, str]


@dataclass(frozen=True)
class SmsCommand:
    keywords: tuple[str, ...]
    action: str
    reply: Text | None
    args: tuple[str, ...] = ()  # names of the words that follow the keyword
    line: int = 0


@dataclass(frozen=True)
class SmsNumber:
    number: str
    commands: tuple[SmsCommand, ...]
    help: Text


@dataclass(frozen=True)
class Voice:
    numbers: tuple[str, ...]
    root: str


DEFAULT_NAVIGATION = {
    Channel.USSD: Navigation(back="0", home="00", more="99"),
    Channel.VOICE: Navigation(back="*", home="0", more=""),
}


@dataclass(frozen=True)
class MenuSet:
    """Everything menus.yaml defines, checked as a whole."""

    source: str
    locales: tuple[str, ...]
    sender: str
    texts: Mapping[str, Text]
    nodes: Mapping[str, Node]
    ussd: Mapping[str, UssdService]
    sms: Mapping[str, SmsNumber]
    voice: Voice
    max_tries: int = 3
    navigation: Mapping[Channel, Navigation] = field(default_factory=lambda: dict(DEFAULT_NAVIGATION))

    def text(self, text_id: str) -> Text:
        return self.texts[text_id]
