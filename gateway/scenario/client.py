"""The handset's side of the HTTP API (CONTRACT.md), blocking, for the scenario runner and the terminal phone."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass


@dataclass
class ApiError(Exception):
    """The gateway answered with an error status and its JSON `{"error", "message"}`."""

    status: int
    code: str
    message: str
    body: dict | None = None  # the whole JSON answer (`attempts_left`, `captcha` …)

    def __str__(self) -> str:
        return f"{self.status} {self.code}: {self.message}"


class Unreachable(Exception):
    """No gateway answers at the URL."""


class HandsetApi:
    """One gateway's /api/v1 over plain HTTP, every call a blocking request."""

    def __init__(self, base_url: str, timeout: float = 30.0) -> None:
        self.base = base_url.rstrip("/")
        self.timeout = timeout

    def request(self, method: str, path: str, body: object = None) -> object:
        """JSON in and out; ApiError for a 4xx/5xx answer, Unreachable when nothing answers."""
        data = json.dumps(body).encode("utf-8") if body is not None else None
        request = urllib.request.Request(self.base + path, data=data, method=method)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                payload = response.read()
        except urllib.error.HTTPError as error:
            raise _api_error(error.code, error.read()) from None
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise Unreachable(f"no gateway at {self.base}: {reason}") from None
        return json.loads(payload) if payload else None

    # -- the handset ---------------------------------------------------------------------

    def ussd(self, msisdn: str, text: str) -> dict:
        return self.request("POST", f"/api/v1/handsets/{_q(msisdn)}/ussd", {"input": text})

    def ussd_release(self, msisdn: str) -> None:
        self.request("DELETE", f"/api/v1/handsets/{_q(msisdn)}/ussd")

    def ussd_screen(self, msisdn: str) -> dict | None:
        """The screen a handset shows now (a push, a timeout), None when there is none."""
        return self.request("GET", f"/api/v1/handsets/{_q(msisdn)}/ussd")

    def ussd_push(self, msisdn: str, text: str, kind: str) -> dict:
        return self.request("POST", f"/api/v1/handsets/{_q(msisdn)}/ussd/push", {"text": text, "type": kind})

    def send_sms(self, msisdn: str, to: str, text: str) -> dict:
        return self.request("POST", f"/api/v1/handsets/{_q(msisdn)}/sms", {"to": to, "text": text})

    def inbox(self, msisdn: str, since: int | None = None) -> list[dict]:
        query = f"?since={since}" if since is not None else ""
        return self.request("GET", f"/api/v1/handsets/{_q(msisdn)}/inbox{query}")

    def call(self, msisdn: str, to: str) -> dict:
        return self.request("POST", f"/api/v1/handsets/{_q(msisdn)}/calls", {"to": to})

    def dtmf(self, call_id: str, digits: str) -> dict:
        return self.request("POST", f"/api/v1/calls/{_q(call_id)}/dtmf", {"digits": digits})

    def hang_up(self, call_id: str) -> dict:
        return self.request("DELETE", f"/api/v1/calls/{_q(call_id)}")

    def set_handset(self, msisdn: str, **state: bool) -> dict:
        return self.request("PATCH", f"/api/v1/handsets/{_q(msisdn)}", state)

    # -- the account and the gateway ---------------------------------------------------

    def subscriber(self, msisdn: str) -> dict:
        return self.request("GET", f"/api/v1/subscribers/{_q(msisdn)}")

    def add_subscriber(self, fields: dict) -> dict:
        return self.request("POST", "/api/v1/subscribers", fields)

    def add_corporate_client(self, fields: dict) -> dict:
        return self.request("POST", "/api/v1/corporate/clients", fields)

    def login(self, login: str, password: str) -> dict:
        return self.request("POST", "/api/v1/login", {"login": login, "password": password})

    def advance_clock(self, seconds: float) -> dict:
        return self.request("POST", "/api/v1/clock/advance", {"seconds": seconds})

    def clock(self) -> dict:
        return self.request("GET", "/api/v1/clock")


def _q(part: str) -> str:
    return urllib.parse.quote(part, safe="+")


def _api_error(status: int, payload: bytes) -> ApiError:
    try:
        body = json.loads(payload)
        return ApiError(status, str(body.get("error", "error")), str(body.get("message", "")), body)
    except (ValueError, AttributeError):
        return ApiError(status, "error", payload.decode("utf-8", "replace")[:200])
