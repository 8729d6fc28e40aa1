"""Structured logs (console or JSON) and the redaction layer in front of them."""

from __future__ import annotations

import io
import json
import logging

import pytest
import structlog
from hypothesis import given
from hypothesis import strategies as st

from gateway import logsetup

SECRETS = st.text(alphabet="abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789-_", min_size=6, max_size=24)


@pytest.fixture
def captured():
    """The root logger writing JSON into a buffer; the previous set-up restored after."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    buffer = io.StringIO()
    logsetup.configure("json", "DEBUG", stream=buffer)
    yield buffer
    root.handlers[:], root.level = handlers, level
    structlog.reset_defaults()


def lines(buffer: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in buffer.getvalue().splitlines()]


def test_json_lines_carry_level_logger_time_and_fields(captured):
    logging.getLogger("gateway.sms").info("sms %s stored", 7)
    structlog.get_logger("gateway.ussd").warning("dialogue released", msisdn="79261234567", seconds=30)
    first, second = lines(captured)
    assert first["event"] == "sms 7 stored" and first["level"] == "info" and first["logger"] == "gateway.sms"
    assert first["timestamp"].endswith("Z")
    assert second["msisdn"] == "79261234567" and second["seconds"] == 30 and second["level"] == "warning"


@given(secret=SECRETS)
def test_secret_fields_and_password_shaped_text_never_reach_the_output(secret):
    buffer = io.StringIO()
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    logsetup.configure("json", "DEBUG", stream=buffer)
    try:
        logging.getLogger("t").info("login with password=%s failed", secret)
        logging.getLogger("t").info("пароль: %s", secret)
        logging.getLogger("t").warning("Authorization %s", secret)
        structlog.get_logger("t").info("login", password=secret, token=secret, corp_password=secret,
                                       answer=secret, msisdn="79261234567")
    finally:
        root.handlers[:], root.level = handlers, level
        structlog.reset_defaults()
    written = buffer.getvalue()
    assert secret not in written
    assert written.count(logsetup.MASK) >= 7 and "79261234567" in written


def test_exceptions_are_rendered_inside_the_json_line(captured):
    try:
        raise ValueError("boom")
    except ValueError:
        logging.getLogger("t").exception("failed")
    (line,) = lines(captured)
    assert "ValueError: boom" in line["exception"]


def test_console_format_and_unknown_formats():
    buffer = io.StringIO()
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        logsetup.configure("console", "INFO", stream=buffer)
        logging.getLogger("gateway.x").info("hello %s", "world")
        logging.getLogger("gateway.x").debug("not shown")
        with pytest.raises(ValueError, match="console, json"):
            logsetup.configure("xml")
    finally:
        root.handlers[:], root.level = handlers, level
        structlog.reset_defaults()
    assert "hello world" in buffer.getvalue() and "gateway.x" in buffer.getvalue()
    assert "not shown" not in buffer.getvalue()
