"""`GET /api/v1/texts?prefix=phone.&locale=ru`: menus.yaml texts for a page (the web phone's
labels live there, under `phone.`), as `{"locale", "texts": {id: text}}`."""

from __future__ import annotations

import re
from collections.abc import Callable

from gateway.http.errors import BadRequest
from menus.render import fill
from menus.schema import MenuSet

PREFIX = re.compile(r"[a-z0-9_.]{1,40}")


class TextsApi:
    def __init__(self, menus: Callable[[], MenuSet]) -> None:
        self._menus = menus

    def routes(self, prefix: str) -> list[tuple[bytes, re.Pattern, object]]:
        return [(b"GET", re.compile(prefix + r"/texts"), self.texts)]

    def texts(self, request):
        """Texts whose id starts with `prefix` (required: a page asks for its own), in `locale`
        (default: the first of menus.yaml)."""
        menus = self._menus()
        prefix = _arg(request, "prefix")
        if prefix is None or not PREFIX.fullmatch(prefix):
            raise BadRequest("invalid_field", "prefix is required: letters, digits, '_' and '.', e.g. phone.")
        locale = _arg(request, "locale") or menus.locales[0]
        if locale not in menus.locales:
            raise BadRequest("invalid_field", f"locale is one of {', '.join(menus.locales)}")
        chosen = {text_id: fill(text, locale) for text_id, text in menus.texts.items() if text_id.startswith(prefix)}
        return 200, {"locale": locale, "locales": list(menus.locales), "texts": chosen}


def _arg(request, name: str) -> str | None:
    raw = request.args.get(name.encode(), [None])[0]
    return None if raw is None else raw.decode("utf-8", "replace")
