"""Whole-graph checks of a loaded menus file: targets, reachability, actions and their
outputs, texts the gateway needs, navigation-key clashes, USSD screen limits in every
locale (worst case over declared output lengths) and voice-menu parity."""

from __future__ import annotations

import string
from collections.abc import Callable, Iterable, Mapping

from core.yamlmarks import Located
from menus import engine, screen
from menus.render import fill
from menus.schema import Channel, Kind, MenuSet, Node

Fail = Callable[[int, str], None]


class GraphChecks:
    def __init__(self, catalogue, fail: Fail) -> None:
        self.catalogue = catalogue  # menus.loader.Catalogue or None
        self.fail = fail

    def run(self, menus: MenuSet, raw: Located) -> None:
        """Every whole-graph check; problems go to `fail(line, message)`."""
        nodes = menus.nodes
        roots: list[tuple[str, int]] = []
        ussd_raw = raw.get("ussd") if isinstance(raw.get("ussd"), Located) else Located()
        for code, service in menus.ussd.items():
            line = ussd_raw.key_lines.get(code, ussd_raw.key_lines.get(int(code), raw.line)) if code.isdigit() else raw.line
            roots.append((service.root, line))
            roots.extend((target, line) for target in service.shortcuts.values())
        if menus.voice.root:
            roots.append((menus.voice.root, raw.key_lines.get("voice", raw.line)))
        for target, line in roots:
            if target not in nodes:
                self.fail(line, f"unknown node {target!r}")
        for node in nodes.values():
            targets = [(i.goto, i.line) for i in node.items] + ([(node.next, node.line)] if node.next else [])
            for target, line in targets:
                if target not in nodes:
                    self.fail(line, f"node {node.id!r} leads to unknown node {target!r}")
        reachable = _reachable(nodes, [t for t, _ in roots])
        for node in nodes.values():
            if node.id not in reachable:
                self.fail(node.line, f"node {node.id!r} is unreachable from every USSD code and the voice menu")
        actions = self.catalogue.actions if self.catalogue else None
        for node in nodes.values():
            outputs: Iterable[str] = ("items",) if node.kind is Kind.LIST else ()
            if node.action and actions is not None:
                if node.action not in actions:
                    self.fail(node.line, f"node {node.id!r}: unknown action {node.action!r}")
                else:
                    outputs = set(actions[node.action])
            if node.action and actions is None:
                continue  # outputs unknown without the catalogue
            for locale, template in node.text.items():
                for name in _placeholders(template, self.fail, node.line):
                    if name not in outputs:
                        self.fail(node.line, f"node {node.id!r} ({locale}): {{{name}}} is not an output of its action")
        for number in menus.sms.values():
            for command in number.commands:
                if actions is not None and command.action not in actions:
                    self.fail(command.line, f"sms {number.number}: unknown action {command.action!r}")
        texts_raw = raw.get("texts") if isinstance(raw.get("texts"), Located) else Located()
        for text_id, text in menus.texts.items():
            for template in text.values():
                _placeholders(template, self.fail, texts_raw.line_of(text_id))
        self.check_channels(menus, raw)
        if self.catalogue:
            for text_id in self.catalogue.required_texts:
                if text_id not in menus.texts:
                    self.fail(raw.key_lines.get("texts", raw.line), f"texts: missing {text_id!r}, which the gateway uses")


    def check_channels(self, menus: MenuSet, raw: Located) -> None:
        """Navigation-key clashes, USSD screen limits in every locale, voice parity."""
        ussd_roots = [s.root for s in menus.ussd.values()] + [t for s in menus.ussd.values() for t in s.shortcuts.values()]
        by_channel = {
            Channel.USSD: _reachable(menus.nodes, ussd_roots),
            Channel.VOICE: _reachable(menus.nodes, [menus.voice.root] if menus.voice.root else []),
        }
        for channel, reachable in by_channel.items():
            nav = menus.navigation[channel]
            reserved = {k for k in (nav.back, nav.home, nav.more) if k}
            for node_id in sorted(reachable):
                node = menus.nodes[node_id]
                for item in node.items:
                    if item.key in reserved:
                        self.fail(item.line, f"menu {node_id!r}: key {item.key!r} is the {channel.value} navigation key")
                if node.kind is Kind.CONFIRM and reserved & {"1", "2"}:
                    self.fail(node.line, f"confirm {node_id!r}: 1/2 clash with {channel.value} navigation keys")
        required = {"nav_back", "nav_more", "invalid_choice", "invalid_input"}
        if not required <= set(menus.texts):
            return  # reported as missing texts when a catalogue is given
        for node_id in sorted(by_channel[Channel.USSD]):
            try:
                self.check_screens(menus, menus.nodes[node_id])
            except (ValueError, KeyError, IndexError):
                continue  # a malformed template: reported by the placeholder check
        voice_actions = {menus.nodes[n].action for n in by_channel[Channel.VOICE] if menus.nodes[n].action}
        for node_id in sorted(by_channel[Channel.USSD]):
            node = menus.nodes[node_id]
            if node.action and node.action not in voice_actions and not node.ussd_only:
                self.fail(node.line, f"node {node_id!r}: action {node.action!r} is offered by USSD but not in the "
                                     "voice menu; add it there or say why with `ussd_only: <reason>`")

    def check_screens(self, menus: MenuSet, node: Node) -> None:
        """Every screen of a USSD-reachable node fits one USSD string in every locale."""
        outputs = (self.catalogue.actions.get(node.action or "", {}) if self.catalogue else {})
        for locale in menus.locales:
            worst_prefix = max((fill(menus.text(t), locale) for t in ("invalid_choice", "invalid_input")), key=len)
            deep = engine.Cursor(node=node.id, locale=locale, trail=("",))
            if node.kind is Kind.MENU:
                pages = engine._menu_pages(menus, node, deep, worst_prefix)
            elif node.kind is Kind.LIST:
                label = outputs.get("label")
                header = fill(node.text, locale, {k: o.worst() for k, o in outputs.items()}) if outputs else \
                    node.text.get(locale, "")
                choices = ((str(n), label.worst() if label else "Ж" * 20) for n in range(1, 3))
                cursor = engine.Cursor(node=node.id, locale=locale, trail=("",), choices=tuple(choices), header=header)
                pages = engine._menu_pages(menus, node, cursor, worst_prefix)
            elif node.kind in (Kind.INPUT, Kind.CONFIRM):
                pages = [f"{worst_prefix}\n{fill(node.text, locale)}"]
            else:
                continue  # final texts are paged to fit at run time
            for page in pages:
                used, limit = screen.size(page)
                if used > limit:
                    self.fail(node.line, f"node {node.id!r} ({locale}): a screen of {used} characters exceeds the "
                                         f"USSD limit of {limit}: {page[:40]!r}…")
                    break


def _reachable(nodes: Mapping[str, Node], roots: list[str]) -> set[str]:
    seen: set[str] = set()
    stack = [r for r in roots if r in nodes]
    while stack:
        node_id = stack.pop()
        if node_id in seen or node_id not in nodes:
            continue
        seen.add(node_id)
        node = nodes[node_id]
        stack.extend(i.goto for i in node.items)
        if node.next:
            stack.append(node.next)
    return seen


def _placeholders(template: str, fail, line: int) -> list[str]:
    try:
        return [name for _, name, _, _ in string.Formatter().parse(template) if name]
    except ValueError as error:
        fail(line, f"bad template {template!r}: {error}")
        return []
