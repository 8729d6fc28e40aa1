"""The pure menu state machine: step(cursor, input) -> a screen, or an action to run.

How it works: a `Cursor` says where a dialogue stands (node, locale, failed tries, the
values typed so far). `enter`, `step` and `resume` return either a `Screen` (text plus
whether the dialogue continues) or an `Act` asking the caller to run a named action with
arguments; the caller runs it (against the store, elsewhere) and calls `resume` with the
action's outputs or `failed` with the domain error's code. Nothing here does I/O.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, replace

from menus.render import fill, menu_screen
from menus.schema import Kind, MenuSet


class Continuation(enum.Enum):
    CONTINUE = "continue"
    END = "end"


@dataclass(frozen=True)
class Cursor:
    node: str
    locale: str
    tries: int = 0
    values: tuple[tuple[str, str], ...] = ()


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


def enter(menus: MenuSet, node_id: str, locale: str, *, values: tuple = (), prefix: str = "") -> Outcome:
    """Arrive at a node: show it, or ask for its action to run."""
    node = menus.nodes[node_id]
    cursor = Cursor(node=node_id, locale=locale, values=values)
    if node.kind is Kind.ACTION:
        args = {**node.args, **dict(values)}
        return Act(action=node.action or "", args=args, cursor=cursor, prefix=prefix)
    if node.kind is Kind.MENU:
        return _show(prefix, menu_screen(node, locale), Continuation.CONTINUE, cursor)
    if node.kind is Kind.INPUT:
        return _show(prefix, fill(node.text, locale), Continuation.CONTINUE, cursor)
    return _show(prefix, fill(node.text, locale), Continuation.END, None)


def step(menus: MenuSet, cursor: Cursor, user_input: str) -> Outcome:
    """The subscriber answered the screen at `cursor`."""
    node = menus.nodes[cursor.node]
    user_input = user_input.strip()
    if node.kind is Kind.MENU:
        for item in node.items:
            if item.key == user_input:
                return enter(menus, item.goto, cursor.locale)
        return _retry(menus, cursor, "invalid_choice")
    if node.kind is Kind.INPUT and node.input is not None:
        rule = node.input
        valid = rule.min <= len(user_input) <= rule.max and (
            not rule.digits or (user_input.isdigit() and user_input.isascii())
        )
        if not valid:
            return _retry(menus, cursor, "invalid_input")
        values = (*cursor.values, (rule.name, user_input))
        return enter(menus, node.next or "", cursor.locale, values=values)
    return Screen(fill(menus.text("session_ended"), cursor.locale), Continuation.END, None)


def resume(menus: MenuSet, act: Act, outputs: Mapping[str, object]) -> Outcome:
    """The action of `act` succeeded with `outputs`: show its text, then go on."""
    node = menus.nodes[act.cursor.node]
    text = _join(act.prefix, fill(node.text, act.cursor.locale, outputs))
    if node.next:
        return enter(menus, node.next, act.cursor.locale, prefix=text)
    return Screen(text, Continuation.END, None)


def failed(menus: MenuSet, act: Act, error_code: str) -> Screen:
    """The action of `act` was refused by a domain rule: say why and end."""
    text_id = f"error.{error_code}"
    message = menus.texts.get(text_id) or menus.text("error.default")
    return Screen(_join(act.prefix, fill(message, act.cursor.locale)), Continuation.END, None)


def _retry(menus: MenuSet, cursor: Cursor, reason: str) -> Screen:
    tries = cursor.tries + 1
    if tries >= menus.max_tries:
        return Screen(fill(menus.text("too_many_tries"), cursor.locale), Continuation.END, None)
    again = enter(menus, cursor.node, cursor.locale, values=cursor.values)
    assert isinstance(again, Screen)
    return Screen(
        _join(fill(menus.text(reason), cursor.locale), again.text),
        Continuation.CONTINUE,
        replace(cursor, tries=tries),
    )


def _show(prefix: str, text: str, continuation: Continuation, cursor: Cursor | None) -> Screen:
    return Screen(_join(prefix, text), continuation, cursor)


def _join(first: str, second: str) -> str:
    return f"{first}\n{second}" if first and second else first or second
