"""Turning localised templates into screen text."""

from __future__ import annotations

from collections.abc import Mapping

from menus.schema import Node, Text


def localise(text: Text, locale: str) -> str:
    """The template for `locale`, falling back to the first (default) locale."""
    if locale in text:
        return text[locale]
    return next(iter(text.values()), "")


def fill(text: Text, locale: str, values: Mapping[str, object] | None = None) -> str:
    """Localise and fill `{name}` placeholders."""
    template = localise(text, locale)
    return template.format_map(dict(values)) if values else template


def menu_screen(node: Node, locale: str) -> str:
    """A menu's text followed by one line per labelled item: `1 Баланс`."""
    lines = [fill(node.text, locale)]
    lines.extend(f"{item.key} {localise(item.label, locale)}" for item in node.items if item.label)
    return "\n".join(line for line in lines if line)
