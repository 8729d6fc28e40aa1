"""SMS command grammar: a keyword (Russian or English) and its arguments, matched tolerantly.

Tolerant of case, of `ё`/`е`, of punctuation around words, and of the keyboard layout:
`,fkfyc` (баланс typed on a Latin layout) and `ифдфтсу` (balance on a Cyrillic one)
match as the word meant.
"""

from __future__ import annotations

from collections.abc import Mapping

from menus.schema import SmsCommand, SmsNumber

_LATIN = "qwertyuiop[]asdfghjkl;'zxcvbnm,.`"
_CYRILLIC = "йцукенгшщзхъфывапролджэячсмитьбюё"
_TO_CYRILLIC = str.maketrans(_LATIN, _CYRILLIC)
_TO_LATIN = str.maketrans(_CYRILLIC, _LATIN)
_TRIM = " \t\r\n.,!?;:\"'«»()"


def normalise(text: str) -> list[str]:
    """Lower-case words with `ё` as `е`, without surrounding punctuation."""
    return [w.lower().replace("ё", "е") for w in _words(text)]


def _words(text: str) -> list[str]:
    return [w for w in (word.strip(_TRIM) for word in text.split()) if w]


def _readings(text: str) -> list[str]:
    """The text as typed, and as meant on the other keyboard layout (before trimming:
    `,` and `.` are letters there)."""
    lower = text.lower()
    return [text, lower.translate(_TO_CYRILLIC), lower.translate(_TO_LATIN)]


def match(number: SmsNumber, text: str) -> tuple[SmsCommand, dict[str, str]] | None:
    """The command an SMS asks for and its arguments, or None (answer with help)."""
    if not normalise(text):
        return None
    for variant in _readings(text):
        reading = normalise(variant)
        best: tuple[int, SmsCommand] | None = None
        for command in number.commands:
            for keyword in command.keywords:
                kw = normalise(keyword)
                if kw and reading[: len(kw)] == kw and (best is None or len(kw) > best[0]):
                    best = (len(kw), command)
        if best is not None:
            size, command = best
            args = _bind(command, reading[size:], _words(variant)[size:])
            if args is not None:
                return command, args
    return None


def _bind(command: SmsCommand, words: list[str], typed: list[str]) -> dict[str, str] | None:
    """Arguments by name; the last takes the rest. Missing ones mean the command is wrong."""
    names = command.args
    if not names:
        return {} if not words else None
    if len(words) < len(names):
        return None
    # Arguments are taken as typed (case and layout kept): numbers, amounts, free text.
    values = typed[: len(names) - 1] + [" ".join(typed[len(names) - 1:])]
    return dict(zip(names, values, strict=True))


def keywords_table(numbers: Mapping[str, SmsNumber]) -> list[tuple[str, str, str]]:
    """(number, keywords, action) rows, for documentation."""
    return [(n.number, " / ".join(c.keywords), c.action) for n in numbers.values() for c in n.commands]
