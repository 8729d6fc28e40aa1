"""Reading JSON requests and writing JSON responses on twisted.web requests."""

from __future__ import annotations

import json
from typing import Any

from gateway.http.errors import BadRequest

MAX_BODY = 64 * 1024


def read_json(request) -> dict:
    """The request body as a JSON object, or BadRequest saying what is wrong."""
    raw = request.content.read(MAX_BODY + 1) if request.content else b""
    if len(raw) > MAX_BODY:
        raise BadRequest("payload_too_large", f"a request body is at most {MAX_BODY} bytes", 413)
    if not raw.strip():
        raise BadRequest("invalid_json", "the request needs a JSON object body")
    try:
        body = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise BadRequest("invalid_json", f"malformed JSON: {error}") from error
    if not isinstance(body, dict):
        raise BadRequest("invalid_json", "the body must be a JSON object")
    return body


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
