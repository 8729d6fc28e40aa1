"""Typed, frozen nodes of a loaded menus.yaml."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field

# A localised text: locale -> template ("Баланс: {balance} руб.").
Text = Mapping[str, str]


class Kind(enum.Enum):
    MENU = "menu"
    INPUT = "input"
    ACTION = "action"
    END = "end"


@dataclass(frozen=True)
class Item:
    key: str
    goto: str
    label: Text | None = None  # None: the node's text already says what the key does (voice)
    line: int = 0


@dataclass(frozen=True)
class InputRule:
    name: str
    digits: bool = True
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


@dataclass(frozen=True)
class SmsNumber:
    number: str
    commands: tuple[SmsCommand, ...]
    help: Text


@dataclass(frozen=True)
class Voice:
    numbers: tuple[str, ...]
    root: str


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

    def text(self, text_id: str) -> Text:
        return self.texts[text_id]
