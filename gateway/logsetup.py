"""Logging of `gateway run`: structlog over the standard library, as console lines or JSON,
with a redaction layer in front of every renderer.

Code logs through `logging.getLogger(__name__)` (Twisted's log is bridged there too);
each record goes through the same structlog processors. Secrets are kept out at the
source (no log line carries an SMS text, a USSD reply or a keypad input); the redaction
layer is the second wall: values of secret-named fields and `password=…`-shaped text are
masked before anything is written.
"""

from __future__ import annotations

import logging
import re
import sys
from typing import IO

import structlog

FORMATS = ("console", "json")
MASK = "***"
SECRET_KEYS = frozenset({
    "password", "old_password", "new_password", "corp_password", "secret", "secret_answer", "answer",
    "captcha_answer", "token", "otp", "pin", "authorization",
})
# `password=…`, `пароль: …`, `token …`: the word, its separator, then the value.
_SECRET_TEXT = re.compile(
    r"(?i)\b(password|passwd|пароль|token|secret|otp|captcha_answer|authorization)(\s*[=:]\s*|\s+)([^\s,;]+)")


def redact(_logger, _method: str, event: dict) -> dict:
    """Mask secret-named fields and `password=…`-shaped text in the message."""
    for key in event:
        if key.lower() in SECRET_KEYS:
            event[key] = MASK
    message = event.get("event")
    if isinstance(message, str):
        event["event"] = _SECRET_TEXT.sub(lambda m: m.group(1) + m.group(2) + MASK, message)
    return event


def configure(log_format: str = "console", level: str = "INFO", stream: IO[str] | None = None) -> None:
    """Route every standard-library record through structlog to `stream` (stderr)."""
    if log_format not in FORMATS:
        raise ValueError(f"log format is one of {', '.join(FORMATS)}, not {log_format!r}")
    shared = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    renderer = (structlog.processors.JSONRenderer(ensure_ascii=False) if log_format == "json"
                else structlog.dev.ConsoleRenderer(colors=False))
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[*shared, structlog.processors.format_exc_info],
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, redact, renderer],
    )
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
