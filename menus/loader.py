"""Loading menus.yaml into a MenuSet, with every problem reported as FILE:LINE: message.

How it works: PyYAML composes the document with a loader whose mappings remember the
line they start on (`Located`). The builder walks that tree, collecting `Problem`s
instead of stopping at the first; whole-graph checks (targets, reachability, dead ends,
translations, placeholders, known actions) run on the typed result. `load` raises
`MenuError` with the full list; `lint` returns it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import yaml

from core.yamlmarks import Located, error_line, load_located
from menus.checks import GraphChecks
from menus.schema import (
    DEFAULT_NAVIGATION,
    Channel,
    InputKind,
    InputRule,
    Item,
    Kind,
    MenuSet,
    Navigation,
    Node,
    SmsCommand,
    SmsNumber,
    UssdService,
    Voice,
)


@dataclass(frozen=True, order=True)
class Problem:
    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


class MenuError(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


@dataclass(frozen=True)
class Output:
    """A value an action gives its screen: at most `max_len` characters; `text` may be
    any alphabet (names), otherwise digits and GSM characters (amounts, numbers)."""

    max_len: int = 16
    text: bool = False

    def worst(self) -> str:
        return ("Ж" if self.text else "9") * self.max_len


@dataclass(frozen=True)
class Catalogue:
    """What the code around the menus offers: actions with their outputs, texts it needs."""

    actions: Mapping[str, Mapping[str, Output]]
    required_texts: tuple[str, ...] = ()


def load(path: str, catalogue: Catalogue | None = None) -> MenuSet:
    """Load and check a menus file; raise MenuError listing every problem."""
    menus, problems = _load(path, catalogue)
    if problems:
        raise MenuError(problems)
    assert menus is not None
    return menus


def lint(path: str, catalogue: Catalogue | None = None) -> list[Problem]:
    """Every problem of a menus file, sorted by line; empty when it is clean."""
    return _load(path, catalogue)[1]


def _load(path: str, catalogue: Catalogue | None) -> tuple[MenuSet | None, list[Problem]]:
    try:
        with open(path, encoding="utf-8") as handle:
            raw = load_located(handle)
    except OSError as error:
        return None, [Problem(path, 0, f"cannot read: {error.strerror}")]
    except yaml.YAMLError as error:
        return None, [Problem(path, error_line(error), f"YAML: {getattr(error, 'problem', None) or error}")]
    builder = _Builder(path, catalogue)
    menus = builder.build(raw)
    return menus, sorted(set(builder.problems))


class _Builder:
    def __init__(self, path: str, catalogue: Catalogue | None) -> None:
        self.path = path
        self.catalogue = catalogue
        self.problems: list[Problem] = []
        self.locales: tuple[str, ...] = ("ru",)

    def fail(self, line: int, message: str) -> None:
        self.problems.append(Problem(self.path, line, message))

    def build(self, raw: object) -> MenuSet | None:
        if not isinstance(raw, Located):
            self.fail(1, "the file must be a mapping with locales, texts, nodes, ussd, sms, voice")
            return None
        self._known_keys(raw, {"version", "locales", "sender", "max_tries", "navigation", "texts", "nodes",
                               "ussd", "sms", "voice"})
        locales = raw.get("locales", ["ru", "en"])
        if not (isinstance(locales, list) and locales and all(isinstance(x, str) for x in locales)):
            self.fail(raw.key_lines.get("locales", raw.line), "locales must be a list like [ru, en]")
            locales = ["ru"]
        self.locales = tuple(locales)
        texts = {
            text_id: self.text(value, self._line(raw.get("texts"), text_id), f"text {text_id!r}")
            for text_id, value in self.mapping(raw, "texts").items()
        }
        nodes = {
            node_id: self.node(node_id, value, self._line(raw.get("nodes"), node_id))
            for node_id, value in self.mapping(raw, "nodes").items()
        }
        nodes = {k: v for k, v in nodes.items() if v is not None}
        ussd = self.ussd(self.mapping(raw, "ussd"))
        sms = self.sms(self.mapping(raw, "sms"))
        voice = self.voice(self.mapping(raw, "voice"))
        max_tries = raw.get("max_tries", 3)
        if not (isinstance(max_tries, int) and max_tries > 0):
            self.fail(raw.key_lines.get("max_tries", raw.line), "max_tries must be a positive integer")
            max_tries = 3
        menus = MenuSet(
            source=self.path,
            locales=self.locales,
            sender=str(raw.get("sender", "000110")),
            texts=texts,
            nodes=nodes,
            ussd=ussd,
            sms=sms,
            voice=voice,
            max_tries=max_tries,
            navigation=self.navigation(raw),
        )
        GraphChecks(self.catalogue, self.fail).run(menus, raw)
        return menus

    # -- pieces ----------------------------------------------------------------

    def navigation(self, raw: Located) -> dict[Channel, Navigation]:
        result = dict(DEFAULT_NAVIGATION)
        given = raw.get("navigation", {})
        if not isinstance(given, dict):
            self.fail(raw.line_of("navigation"), "navigation must map ussd/voice to {back, home, more}")
            return result
        for name, keys in given.items():
            try:
                channel = Channel(name)
            except ValueError:
                self.fail(given.line_of(name), f"navigation: unknown channel {name!r}")
                continue
            if not isinstance(keys, dict):
                self.fail(given.line_of(name), f"navigation.{name} must be {{back, home, more}}")
                continue
            default = DEFAULT_NAVIGATION[channel]
            result[channel] = Navigation(
                back=str(keys.get("back", default.back)), home=str(keys.get("home", default.home)),
                more=str(keys.get("more", default.more)),
            )
        return result

    def mapping(self, parent: Located, key: str) -> Located:
        value = parent.get(key)
        if not isinstance(value, Located):
            self.fail(parent.key_lines.get(key, parent.line), f"{key!r} must be a mapping")
            return Located()
        return value

    def _line(self, parent: object, key: str) -> int:
        return parent.key_lines.get(key, parent.line) if isinstance(parent, Located) else 0

    def _known_keys(self, raw: Located, allowed: set[str]) -> None:
        for key in raw:
            if key not in allowed:
                self.fail(raw.key_lines[key], f"unknown key {key!r}; expected one of {', '.join(sorted(allowed))}")

    def text(self, value: object, line: int, what: str) -> dict[str, str]:
        if isinstance(value, str):
            value = {self.locales[0]: value}
        if not isinstance(value, Located | dict):
            self.fail(line, f"{what} must be a mapping of locale to text")
            return {}
        for locale in self.locales:
            if not isinstance(value.get(locale), str):
                self.fail(getattr(value, "line", line) or line, f"{what} has no {locale!r} translation")
            elif not value[locale].strip():
                self.fail(getattr(value, "line", line) or line, f"{what} is empty in {locale!r}")
        for locale in value:
            if locale not in self.locales:
                self.fail(line, f"{what} has text for unknown locale {locale!r}")
        return {k: v for k, v in value.items() if isinstance(v, str)}

    def node(self, node_id: str, raw: object, line: int) -> Node | None:
        if not isinstance(raw, Located):
            self.fail(line, f"node {node_id!r} must be a mapping")
            return None
        try:
            kind = Kind(raw.get("type"))
        except ValueError:
            self.fail(line, f"node {node_id!r}: type must be one of {', '.join(k.value for k in Kind)}")
            return None
        self._known_keys(raw, {"type", "text", "items", "input", "action", "args", "next", "store", "ussd_only"})
        text = self.text(raw.get("text"), line, f"node {node_id!r} text") if "text" in raw else {}
        if "text" not in raw:
            self.fail(line, f"node {node_id!r} has no text")
        items: list[Item] = []
        if kind is Kind.MENU:
            raw_items = raw.get("items")
            if not isinstance(raw_items, list) or not raw_items:
                self.fail(line, f"menu {node_id!r} needs a non-empty list of items")
                raw_items = []
            seen: set[str] = set()
            for raw_item in raw_items:
                item = self.item(node_id, raw_item, line)
                if item is None:
                    continue
                if item.key in seen:
                    self.fail(getattr(raw_item, "line", line), f"menu {node_id!r}: key {item.key!r} is used twice")
                seen.add(item.key)
                items.append(item)
        rule = self.input_rule(node_id, raw.get("input"), line) if kind is Kind.INPUT else None
        action = raw.get("action")
        if kind in (Kind.ACTION, Kind.LIST) and not isinstance(action, str):
            self.fail(line, f"{kind.value} node {node_id!r} needs `action: <name>`")
        store = raw.get("store")
        if kind is Kind.LIST and not isinstance(store, str):
            self.fail(line, f"list node {node_id!r} needs `store: <value name>` for the choice")
        args = raw.get("args", {})
        if not isinstance(args, dict):
            self.fail(line, f"node {node_id!r}: args must be a mapping")
            args = {}
        nxt = raw.get("next")
        if kind in (Kind.INPUT, Kind.LIST, Kind.CONFIRM) and not isinstance(nxt, str):
            self.fail(line, f"{kind.value} node {node_id!r} is a dead end: it needs `next`")
        return Node(
            id=node_id, kind=kind, text=text, line=line, items=tuple(items), input=rule,
            action=action if isinstance(action, str) else None, args=dict(args),
            next=nxt if isinstance(nxt, str) else None,
            store=store if isinstance(store, str) else None,
            ussd_only=str(raw["ussd_only"]) if raw.get("ussd_only") else None,
        )

    def item(self, node_id: str, raw: object, line: int) -> Item | None:
        if not isinstance(raw, Located) or "key" not in raw or not isinstance(raw.get("goto"), str):
            self.fail(getattr(raw, "line", line), f"menu {node_id!r}: each item needs `key` and `goto`")
            return None
        key = str(raw["key"])
        if not key or not all(c in "0123456789*#" for c in key):
            self.fail(raw.line, f"menu {node_id!r}: key {key!r} is not a keypad key")
        label = self.text(raw["label"], raw.line, f"item {key!r} of {node_id!r}") if "label" in raw else None
        return Item(key=key, goto=raw["goto"], label=label, line=raw.line)

    def input_rule(self, node_id: str, raw: object, line: int) -> InputRule | None:
        if not isinstance(raw, Located) or not isinstance(raw.get("name"), str):
            self.fail(getattr(raw, "line", line), f"input node {node_id!r} needs `input: {{name: ...}}`")
            return None
        try:
            kind = InputKind(raw.get("kind", "digits"))
        except ValueError:
            self.fail(raw.line_of("kind"), f"input node {node_id!r}: kind is one of {', '.join(k.value for k in InputKind)}")
            kind = InputKind.DIGITS
        low, high = _INPUT_BOUNDS[kind]
        try:
            rule = InputRule(name=raw["name"], kind=kind, min=int(raw.get("min", low)), max=int(raw.get("max", high)),
                             secret=bool(raw.get("secret", False)))
        except (TypeError, ValueError):
            self.fail(raw.line, f"input node {node_id!r}: min and max are whole numbers")
            return None
        if not (0 < rule.min <= rule.max):
            self.fail(raw.line, f"input node {node_id!r}: need 0 < min <= max")
        return rule

    def ussd(self, raw: Located) -> dict[str, UssdService]:
        services = {}
        for code, value in raw.items():
            line = raw.key_lines[code]
            code = str(code)
            if not code.isdigit() or not isinstance(value, Located) or not isinstance(value.get("root"), str):
                self.fail(line, f"ussd service {code!r}: a digit code mapping to {{root: <node>}}")
                continue
            shortcuts = value.get("shortcuts", {})
            if not isinstance(shortcuts, dict):
                self.fail(value.line, f"ussd service {code!r}: shortcuts must map digits to nodes")
                shortcuts = {}
            services[code] = UssdService(code=code, root=value["root"], shortcuts={str(k): str(v) for k, v in shortcuts.items()})
        return services

    def sms(self, raw: Located) -> dict[str, SmsNumber]:
        numbers = {}
        for number, value in raw.items():
            line = raw.key_lines[number]
            number = str(number)
            if not isinstance(value, Located):
                self.fail(line, f"sms number {number!r} must be a mapping with commands and help")
                continue
            commands = []
            for raw_command in value.get("commands", []) or []:
                if not isinstance(raw_command, Located) or not isinstance(raw_command.get("action"), str):
                    self.fail(getattr(raw_command, "line", line), f"sms {number}: each command needs keywords and action")
                    continue
                keywords = raw_command.get("keywords", [])
                if not isinstance(keywords, list) or not keywords:
                    self.fail(raw_command.line, f"sms {number}: keywords must be a non-empty list")
                    keywords = []
                reply = raw_command.get("reply")
                args = raw_command.get("args", [])
                if not isinstance(args, list) or not all(isinstance(a, str) for a in args):
                    self.fail(raw_command.line, f"sms {number}: args must be a list of value names")
                    args = []
                commands.append(SmsCommand(
                    keywords=tuple(str(k).strip().lower() for k in keywords),
                    action=raw_command["action"],
                    reply=self.text(reply, raw_command.line, f"sms {number} reply") if reply is not None else None,
                    args=tuple(args),
                    line=raw_command.line,
                ))
            help_text = self.text(value.get("help"), value.line, f"sms {number} help")
            numbers[number] = SmsNumber(number=number, commands=tuple(commands), help=help_text)
        return numbers

    def voice(self, raw: Located) -> Voice:
        numbers = raw.get("numbers", [])
        if not isinstance(numbers, list) or not numbers or not isinstance(raw.get("root"), str):
            self.fail(raw.line, "voice needs `numbers: [...]` and `root: <node>`")
            return Voice(numbers=(), root="")
        return Voice(numbers=tuple(str(n) for n in numbers), root=raw["root"])


_INPUT_BOUNDS = {
    InputKind.DIGITS: (1, 32),
    InputKind.AMOUNT: (1, 15000),  # roubles
    InputKind.NUMBER: (1, 1),
    InputKind.TEXT: (1, 160),
}
