"""Reading JSON requests and writing JSON responses on twisted.web requests, within limits:
a body of at most `max_body` bytes (413), nesting at most MAX_DEPTH deep, strings at most
MAX_STRING characters and free of NUL (which PostgreSQL text cannot store)."""

from __future__ import annotations

import json
from typing import Any

from gateway.http.errors import BadRequest

MAX_BODY = 64 * 1024  # the default of config `http.max_body`
MAX_DEPTH = 32
MAX_STRING = 4096  # above the longest SMS text (1530), so that one is refused by its own rule


def read_json(request) -> dict:
    """The request body as a JSON object, or BadRequest saying what is wrong."""
    limit = getattr(request, "max_body", MAX_BODY)
    if getattr(request, "body_too_large", False):
        raise too_large(limit)
    raw = request.content.read(limit + 1) if request.content else b""
    if len(raw) > limit:
        raise too_large(limit)
    if not raw.strip():
        raise BadRequest("invalid_json", "the request needs a JSON object body")
    try:
        body = json.loads(raw.decode("utf-8"))
    except RecursionError as error:  # the C scanner recurses once per nesting level
        raise BadRequest("invalid_json", f"JSON nested deeper than {MAX_DEPTH} levels") from error
    except (UnicodeDecodeError, ValueError) as error:
        raise BadRequest("invalid_json", f"malformed JSON: {error}") from error
    if not isinstance(body, dict):
        raise BadRequest("invalid_json", "the body must be a JSON object")
    if _depth(body) > MAX_DEPTH:
        raise BadRequest("invalid_json", f"JSON nested deeper than {MAX_DEPTH} levels")
    return body


def too_large(limit: int) -> BadRequest:
    return BadRequest("payload_too_large", f"a request body is at most {limit} bytes", 413)


def _depth(value: object) -> int:
    """Nesting depth of decoded JSON, without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, depth)
            stack.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


def field(body: dict, name: str, kind: type | tuple[type, ...], *, required: bool = True, default: Any = None) -> Any:
    """A typed field of a JSON object."""
    if name not in body or body[name] is None:
        if required:
            raise BadRequest("missing_field", f"missing field {name!r}")
        return default
    value = body[name]
    # bool is an int in Python; JSON true is never a number here.
    if isinstance(value, bool) and bool not in (kind if isinstance(kind, tuple) else (kind,)):
        raise BadRequest("invalid_field", f"field {name!r} has the wrong type")
    if not isinstance(value, kind):
        raise BadRequest("invalid_field", f"field {name!r} has the wrong type")
    if isinstance(value, str):
        if len(value) > MAX_STRING:
            raise BadRequest("field_too_long", f"field {name!r} is at most {MAX_STRING} characters")
        if "\x00" in value:
            raise BadRequest("invalid_field", f"field {name!r} contains a NUL character")
    return value


def write_json(request, status: int, body: object | None) -> None:
    request.setResponseCode(status)
    if body is None:
        request.finish()
        return
    payload = json.dumps(body, ensure_ascii=False).encode("utf-8")
    request.setHeader(b"content-type", b"application/json; charset=utf-8")
    request.setHeader(b"content-length", str(len(payload)).encode())
    request.write(payload)
    request.finish()
