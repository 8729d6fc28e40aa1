"""SIP messages over UDP (RFC 3261 §7): parse datagrams into requests and responses, serialise back.

How it works: a datagram is one message. The start line tells a request from a response;
header names are folded to lower case and compact forms (`i`, `f`, `t`, `v`, `l`, `c`,
`m`, ...) expanded; Content-Length cuts the body. Errors are split by blame as in h11:
`RemoteProtocolError` the peer sent bad SIP (`NotSip` when it is not SIP at all, so there
is nobody to answer), `LocalProtocolError` we tried to send something invalid.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

VERSION = "SIP/2.0"
COMPACT = {
    "i": "call-id", "m": "contact", "e": "content-encoding", "l": "content-length",
    "c": "content-type", "f": "from", "s": "subject", "k": "supported", "t": "to", "v": "via",
}
DISPLAY = {"call-id": "Call-ID", "cseq": "CSeq", "www-authenticate": "WWW-Authenticate"}
REQUIRED = ("via", "from", "to", "call-id", "cseq")
_TOKEN = re.compile(r"[A-Za-z0-9.!%*_+`'~-]+")
_REQUEST_LINE = re.compile(r"(?P<method>[A-Za-z0-9.!%*_+`'~-]+) (?P<uri>\S+) SIP/2\.0")
_STATUS_LINE = re.compile(r"SIP/2\.0 (?P<status>[1-6]\d\d) ?(?P<reason>.*)")
MAX_DATAGRAM = 65507
# Limits on what a peer may send: far above any real phone's INVITE, far below a datagram.
MAX_HEADERS = 100
MAX_HEADER_VALUE = 4096

Headers = tuple[tuple[str, str], ...]


class RemoteProtocolError(ValueError):
    """The peer sent bad SIP; `partial` holds what could be read, to answer 400 if possible."""

    def __init__(self, message: str, partial: Request | None = None) -> None:
        super().__init__(message)
        self.partial = partial


class NotSip(RemoteProtocolError):
    """Not a SIP message at all: dropped and logged, nobody to answer."""


class LocalProtocolError(ValueError):
    """We tried to build a message that is not valid SIP."""


@dataclass(frozen=True)
class _Message:
    headers: Headers = ()
    body: bytes = b""

    def header(self, name: str) -> str | None:
        """The first value of a header (any case, compact forms accepted)."""
        wanted = _canonical(name)
        return next((value for key, value in self.headers if key == wanted), None)

    def header_all(self, name: str) -> list[str]:
        wanted = _canonical(name)
        return [value for key, value in self.headers if key == wanted]

    @property
    def cseq(self) -> tuple[int, str]:
        number, _, method = (self.header("cseq") or "").partition(" ")
        return int(number), method.strip()


@dataclass(frozen=True)
class Request(_Message):
    method: str = ""
    uri: str = ""


@dataclass(frozen=True)
class Response(_Message):
    status: int = 200
    reason: str = "OK"


def _canonical(name: str) -> str:
    lowered = name.strip().lower()
    return COMPACT.get(lowered, lowered)


def _display(name: str) -> str:
    return DISPLAY.get(name) or "-".join(part.capitalize() for part in name.split("-"))


def parse(data: bytes) -> Request | Response:
    """One datagram into one message; raises NotSip or RemoteProtocolError."""
    if not data.strip():
        raise NotSip("empty datagram (keep-alive)")
    for separator in (b"\r\n\r\n", b"\n\n"):
        head, found, body = data.partition(separator)
        if found:
            break
    else:
        head, body = data, b""
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as error:
        raise NotSip("start line and headers are not UTF-8") from error
    lines = text.replace("\r\n", "\n").split("\n")
    start = lines[0].strip()
    request, response = _REQUEST_LINE.fullmatch(start), _STATUS_LINE.fullmatch(start)
    if not request and not response:
        raise NotSip(f"not a SIP start line: {start[:60]!r}")
    headers: list[tuple[str, str]] = []
    problem = None
    for line in lines[1:]:
        if line[:1] in (" ", "\t") and headers:  # folded continuation line
            key, value = headers[-1]
            headers[-1] = (key, f"{value} {line.strip()}")
            continue
        name, colon, value = line.partition(":")
        if not colon or not _TOKEN.fullmatch(name.strip()):
            problem = problem or f"malformed header line {line[:60]!r}"
            continue
        key = _canonical(name)
        # Via, Contact and friends may carry several comma-separated values on one line.
        values = _split_commas(value) if key == "via" else [value.strip()]
        headers.extend((key, item) for item in values)
    if len(headers) > MAX_HEADERS:
        problem = problem or f"more than {MAX_HEADERS} headers"
    if len(start) > MAX_HEADER_VALUE or any(len(value) > MAX_HEADER_VALUE for _, value in headers):
        problem = problem or f"a start line or header value longer than {MAX_HEADER_VALUE} characters"
    if "\x00" in text:
        problem = problem or "a NUL character in the headers"
    message: Request | Response
    if request:
        message = Request(tuple(headers), b"", request["method"].upper(), request["uri"])
    else:
        assert response is not None
        message = Response(tuple(headers), b"", int(response["status"]), response["reason"].strip())
    length = message.header("content-length")
    if length is not None:
        if not length.isdigit():
            raise RemoteProtocolError(f"bad Content-Length {length!r}", _partial(message))
        if int(length) > len(body):
            raise RemoteProtocolError("body shorter than Content-Length", _partial(message))
        body = body[: int(length)]
    if isinstance(message, Request):
        message = Request(message.headers, body, message.method, message.uri)
    else:
        message = Response(message.headers, body, message.status, message.reason)
    if problem:
        raise RemoteProtocolError(problem, _partial(message))
    missing = [name for name in REQUIRED if message.header(name) is None]
    if missing:
        raise RemoteProtocolError(f"missing {', '.join(missing)}", _partial(message))
    if not re.fullmatch(r"\d{1,10} [A-Za-z]+", message.header("cseq") or ""):
        raise RemoteProtocolError("malformed CSeq", _partial(message))
    if isinstance(message, Request) and message.cseq[1].upper() != message.method and message.method != "ACK":
        raise RemoteProtocolError("CSeq method does not match the request", message)
    return message


def _partial(message: Request | Response) -> Request | None:
    return message if isinstance(message, Request) else None


def _split_commas(value: str) -> list[str]:
    """Split `a, b` outside quotes and angle brackets."""
    parts, depth, quoted, current = [], 0, False, []
    for char in value:
        if char == '"':
            quoted = not quoted
        elif not quoted and char == "<":
            depth += 1
        elif not quoted and char == ">":
            depth -= 1
        elif char == "," and not quoted and depth == 0:
            parts.append("".join(current).strip())
            current = []
            continue
        current.append(char)
    parts.append("".join(current).strip())
    return [part for part in parts if part]


def serialise(message: Request | Response) -> bytes:
    """A message as one datagram; Content-Length is always computed here."""
    if isinstance(message, Request):
        if not _TOKEN.fullmatch(message.method) or not message.uri or " " in message.uri:
            raise LocalProtocolError(f"bad request line {message.method} {message.uri}")
        start = f"{message.method} {message.uri} {VERSION}"
    else:
        if not 100 <= message.status <= 699:
            raise LocalProtocolError(f"bad status {message.status}")
        start = f"{VERSION} {message.status} {message.reason}"
    lines = [start]
    for name, value in message.headers:
        if name == "content-length":
            continue
        if any(char in value for char in "\r\n") or not _TOKEN.fullmatch(name):
            raise LocalProtocolError(f"bad header {name!r}")
        lines.append(f"{_display(name)}: {value}")
    lines.append(f"Content-Length: {len(message.body)}")
    data = ("\r\n".join(lines) + "\r\n\r\n").encode() + message.body
    if len(data) > MAX_DATAGRAM:
        raise LocalProtocolError("message does not fit one UDP datagram")
    return data


def param(value: str, name: str) -> str | None:
    """A `;name=value` parameter of a header value (outside the <uri>)."""
    tail = value.rsplit(">", 1)[-1] if ">" in value else value
    for item in tail.split(";")[1:]:
        key, _, found = item.partition("=")
        if key.strip().lower() == name:
            return found.strip()
    return None


def uri_of(value: str) -> str:
    """The URI inside a From/To/Contact value: `"Bob" <sip:1@h>;tag=x` -> `sip:1@h`."""
    if "<" in value:
        return value.split("<", 1)[1].split(">", 1)[0]
    return value.split(";", 1)[0].strip()


def user_of(uri: str) -> str:
    """The user part of `sip:user@host`, or '' when there is none."""
    rest = uri.split(":", 1)[1] if ":" in uri else uri
    if "@" not in rest:
        return ""
    return rest.split("@", 1)[0].split(";", 1)[0]
