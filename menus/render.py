"""Turning localised templates into screen text."""

from __future__ import annotations

from collections.abc import Mapping

from menus.schema import Text


def localise(text: Text, locale: str) -> str:
    """The template for `locale`, falling back to the first (default) locale."""
    if locale in text:
        return text[locale]
    return next(iter(text.values()), "")


def fill(text: Text, locale: str, values: Mapping[str, object] | None = None) -> str:
    """Localise and fill `{name}` placeholders."""
    template = localise(text, locale)
    return template.format_map(dict(values)) if values else template
