"""The pure menu state machine: step(cursor, input) -> a screen, or an action to run.

How it works: a `Cursor` says where a dialogue stands: node, locale, channel, failed
tries, values typed so far, the trail of screens behind it (for back and home), the
page of a long menu or list, the choices a list offered, and the rest of a long final
text. `start`, `step` and `resume` return either a `Screen` (text plus whether the
dialogue continues) or an `Act` asking the caller to run a named action with
arguments; the caller runs it (against the store, elsewhere) and calls `resume` with
the action's outputs or `failed` with the domain error's code. USSD screens are paged
to fit one USSD string (menus/screen.py); voice prompts are not. Nothing here does I/O.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from core.errors import DomainError
from core.money import format_roubles, parse_roubles
from core.numbers import normalise_msisdn
from menus import screen
from menus.render import fill, localise
from menus.schema import Channel, InputKind, InputRule, Kind, MenuSet, Node


class Continuation(enum.Enum):
    CONTINUE = "continue"
    END = "end"


@dataclass(frozen=True)
class Cursor:
    node: str
    locale: str
    channel: Channel = Channel.USSD
    tries: int = 0
    values: tuple[tuple[str, str], ...] = field(default=(), repr=False)  # may hold a secret
    trail: tuple[str, ...] = ()
    page: int = 0
    choices: tuple[tuple[str, str], ...] = ()  # a list's (value, label) pairs
    header: str = ""  # a list's heading, filled when it was produced
    pages: tuple[str, ...] = ()  # the rest of a long text, shown with `more`
    ending: bool = True  # after those pages the dialogue ends (else the node is shown)


@dataclass(frozen=True)
class Screen:
    text: str
    continuation: Continuation
    cursor: Cursor | None  # None once the dialogue has ended

    @property
    def ended(self) -> bool:
        return self.continuation is Continuation.END


@dataclass(frozen=True, repr=False)
class Act:
    action: str
    args: Mapping[str, object]
    cursor: Cursor
    prefix: str = ""  # text already produced on the way here, shown before the result

    def __repr__(self) -> str:  # args may hold a typed password: never print them
        return f"Act(action={self.action!r}, node={self.cursor.node!r})"


Outcome = Screen | Act


def start(menus: MenuSet, node_id: str, locale: str, channel: Channel = Channel.USSD) -> Outcome:
    """Open a dialogue at a root node."""
    return _arrive(menus, node_id, Cursor(node=node_id, locale=locale, channel=channel))


def enter(menus: MenuSet, node_id: str, locale: str, *, values: tuple = (), prefix: str = "",
          channel: Channel = Channel.USSD) -> Outcome:
    """Arrive at a node with values already collected (tests, shortcuts)."""
    return _arrive(menus, node_id, Cursor(node=node_id, locale=locale, channel=channel, values=values), prefix)


def step(menus: MenuSet, cursor: Cursor, user_input: str) -> Outcome:
    """The subscriber answered the screen at `cursor`."""
    text = user_input.strip()
    nav = menus.navigation[cursor.channel]
    if cursor.pages or not cursor.ending:
        if not (nav.more and text == nav.more):
            return _final(menus, _t(menus, "session_ended", cursor), replace(cursor, pages=()))
        if cursor.pages:
            rest = replace(cursor, pages=cursor.pages[1:])
            done = not rest.pages and rest.ending
            return Screen(cursor.pages[0], Continuation.END if done else Continuation.CONTINUE, None if done else rest)
        return _arrive(menus, cursor.node, cursor)
    node = menus.nodes[cursor.node]
    if nav.home and text == nav.home:
        root = cursor.trail[0] if cursor.trail else cursor.node
        return _arrive(menus, root, replace(cursor, trail=(), values=()))
    if nav.back and text == nav.back:
        return _back(menus, cursor)
    if node.kind in (Kind.MENU, Kind.LIST) and nav.more and text == nav.more:
        if cursor.page + 1 < len(_menu_pages(menus, node, cursor, "")):
            return _show_menu(menus, node, replace(cursor, page=cursor.page + 1))
        return _retry(menus, cursor, "invalid_choice")
    forward = replace(cursor, trail=(*cursor.trail, cursor.node))
    if node.kind is Kind.MENU:
        for item in node.items:
            if item.key == text:
                return _arrive(menus, item.goto, forward)
        return _retry(menus, cursor, "invalid_choice")
    if node.kind is Kind.LIST:
        if text.isdigit() and 1 <= int(text) <= len(cursor.choices) and node.store and node.next:
            chosen = (node.store, cursor.choices[int(text) - 1][0])
            return _arrive(menus, node.next, replace(forward, values=(*cursor.values, chosen)))
        return _retry(menus, cursor, "invalid_choice")
    if node.kind is Kind.CONFIRM:
        if text == "1" and node.next:
            return _arrive(menus, node.next, forward)
        if text == "2":
            return _back(menus, cursor)
        return _retry(menus, cursor, "invalid_choice")
    if node.kind is Kind.INPUT and node.input is not None and node.next:
        value = check_input(node.input, text)
        if value is None:
            return _retry(menus, cursor, "invalid_input")
        return _arrive(menus, node.next, replace(forward, values=(*cursor.values, (node.input.name, value))))
    return _final(menus, _t(menus, "session_ended", cursor), cursor)


def resume(menus: MenuSet, act: Act, outputs: Mapping[str, object]) -> Outcome:
    """The action of `act` succeeded with `outputs`: show its text, then go on."""
    node = menus.nodes[act.cursor.node]
    text = fill(node.text, act.cursor.locale, outputs)
    if node.kind is Kind.LIST:
        items = tuple((str(value), str(label)) for value, label in outputs.get("items", ()))  # type: ignore[union-attr]
        if not items:
            return _final(menus, _join(act.prefix, _join(text, _t(menus, "list_empty", act.cursor))), act.cursor)
        cursor = replace(act.cursor, choices=items, header=text, page=0)
        return _show_menu(menus, node, cursor, act.prefix)
    text = _join(act.prefix, text)
    if node.next:
        return _arrive(menus, node.next, act.cursor, prefix=text)
    return _final(menus, text, act.cursor)


def failed(menus: MenuSet, act: Act, error_code: str) -> Screen:
    """The action of `act` was refused by a domain rule: say why and end."""
    message = menus.texts.get(f"error.{error_code}") or menus.text("error.default")
    return _final(menus, _join(act.prefix, fill(message, act.cursor.locale)), act.cursor)


def check_input(rule: InputRule, text: str) -> str | None:
    """The normalised value of a typed answer, or None when the rule refuses it."""
    if rule.kind is InputKind.AMOUNT:
        try:  # on a keypad `*` stands for the decimal point: 150*50 is 150.50
            kopecks = parse_roubles(text.replace("*", "."))
        except DomainError:
            return None
        return format_roubles(kopecks) if rule.min * 100 <= kopecks <= rule.max * 100 else None
    if rule.kind is InputKind.NUMBER:
        try:
            return normalise_msisdn(text)
        except DomainError:
            return None
    if not rule.min <= len(text) <= rule.max:
        return None
    if rule.kind is InputKind.DIGITS and not (text.isdigit() and text.isascii()):
        return None
    return text


# -- screens ---------------------------------------------------------------------------


def _arrive(menus: MenuSet, node_id: str, base: Cursor, prefix: str = "") -> Outcome:
    node = menus.nodes[node_id]
    cursor = replace(base, node=node_id, tries=0, page=0, choices=(), header="", pages=(), ending=True)
    if node.kind in (Kind.ACTION, Kind.LIST):
        return Act(action=node.action or "", args={**node.args, **dict(cursor.values)}, cursor=cursor, prefix=prefix)
    if node.kind is Kind.END:
        return _final(menus, _join(prefix, fill(node.text, cursor.locale)), cursor)
    if node.kind is Kind.MENU:
        shown = _show_menu(menus, node, cursor, prefix)
    else:
        shown = Screen(_join(prefix, fill(node.text, cursor.locale)), Continuation.CONTINUE, cursor)
    if prefix and cursor.channel is Channel.USSD and not screen.fits(shown.text):
        return _lead_in(menus, prefix, cursor)
    return shown


def _lead_in(menus: MenuSet, text: str, cursor: Cursor) -> Screen:
    """A result too long to share a screen with what follows: its own pages first."""
    nav = menus.navigation[cursor.channel]
    parts = screen.split(text, f"{nav.more} {_t(menus, 'nav_more', cursor)}", footer_on_last=True)
    return Screen(parts[0], Continuation.CONTINUE, replace(cursor, pages=tuple(parts[1:]), ending=False))


def _back(menus: MenuSet, cursor: Cursor) -> Outcome:
    node = menus.nodes[cursor.node]
    if cursor.page > 0:
        return _show_menu(menus, node, replace(cursor, page=cursor.page - 1))
    if cursor.trail:
        return _arrive(menus, cursor.trail[-1], replace(cursor, trail=cursor.trail[:-1]))
    return _arrive(menus, cursor.node, cursor)


def _retry(menus: MenuSet, cursor: Cursor, reason: str) -> Screen:
    tries = cursor.tries + 1
    if tries >= menus.max_tries:
        return _final(menus, _t(menus, "too_many_tries", cursor), cursor)
    cursor = replace(cursor, tries=tries)
    node = menus.nodes[cursor.node]
    why = _t(menus, reason, cursor)
    if node.kind in (Kind.MENU, Kind.LIST):
        return _show_menu(menus, node, cursor, why)
    return Screen(_join(why, fill(node.text, cursor.locale)), Continuation.CONTINUE, cursor)


def _show_menu(menus: MenuSet, node: Node, cursor: Cursor, prefix: str = "") -> Screen:
    pages = _menu_pages(menus, node, cursor, prefix)
    page = min(cursor.page, len(pages) - 1)
    return Screen(pages[page], Continuation.CONTINUE, replace(cursor, page=page))


def _menu_pages(menus: MenuSet, node: Node, cursor: Cursor, prefix: str) -> list[str]:
    """A menu or list as screens: heading, `key label` lines, then `more`/`back` lines."""
    heading = _join(prefix, cursor.header if node.kind is Kind.LIST else fill(node.text, cursor.locale))
    entries = _entries(node, cursor)
    if cursor.channel is Channel.VOICE:
        phrase = menus.texts.get("voice_item")
        spoken = [fill(phrase, cursor.locale, {"label": label, "key": key}) for key, label in entries] if phrase else []
        return [" ".join([heading, *spoken]).strip()]
    nav = menus.navigation[cursor.channel]
    more_line = f"{nav.more} {_t(menus, 'nav_more', cursor)}"
    back_line = f"{nav.back} {_t(menus, 'nav_back', cursor)}"
    lines = [f"{key} {label}" for key, label in entries]
    pages: list[str] = []
    start_at = 0
    while True:
        back = [back_line] if (cursor.trail or pages) else []
        body = [heading] if heading and not pages else []
        end = start_at
        while end < len(lines):
            more = [more_line] if end + 1 < len(lines) else []
            candidate = "\n".join([*body, *lines[start_at:end + 1], *more, *back])
            if end > start_at and not screen.fits(candidate):
                break
            end += 1
        more = [more_line] if end < len(lines) else []
        pages.append("\n".join([*body, *lines[start_at:end], *more, *back]))
        start_at = end
        if start_at >= len(lines):
            return pages


def _entries(node: Node, cursor: Cursor) -> list[tuple[str, str]]:
    if node.kind is Kind.LIST:
        return [(str(n), label) for n, (_, label) in enumerate(cursor.choices, start=1)]
    return [(item.key, localise(item.label, cursor.locale)) for item in node.items if item.label]


def _final(menus: MenuSet, text: str, cursor: Cursor) -> Screen:
    """A last screen; on USSD a text too long for one screen continues with `more`."""
    nav = menus.navigation[cursor.channel]
    if cursor.channel is Channel.USSD:
        parts = screen.split(text, f"{nav.more} {_t(menus, 'nav_more', cursor)}")
        if len(parts) > 1:
            return Screen(parts[0], Continuation.CONTINUE, replace(cursor, pages=tuple(parts[1:]), ending=True))
    return Screen(text, Continuation.END, None)


def _t(menus: MenuSet, text_id: str, cursor: Cursor) -> str:
    return fill(menus.text(text_id), cursor.locale) if text_id in menus.texts else ""


def _join(first: str, second: str) -> str:
    return f"{first}\n{second}" if first and second else first or second


__all__: Sequence[str] = ("Act", "Continuation", "Cursor", "Outcome", "Screen", "check_input",
                          "enter", "failed", "resume", "start", "step")
