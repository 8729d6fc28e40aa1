"""The HTTP channel's table from errors to status codes and JSON error bodies."""

from __future__ import annotations

from sqlalchemy import exc as store_errors

from core import errors as core_errors
from core.subscribers import SwitchedOff
from core.voice import NotConnected
from gateway.cluster.errors import Unavailable
from gateway.ivr.errors import InvalidDtmf, UnknownCall, UnknownVoiceNumber
from gateway.sms.service import SmsRejected
from gateway.ussd.errors import InvalidUssdString, ScreenTooLong, UnknownDialogue, UssdBusy


class BadRequest(Exception):
    """Malformed JSON, a missing field or a field of the wrong type."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


_STATUS: list[tuple[type[BaseException], int]] = [
    (core_errors.WrongPassword, 401),
    (core_errors.CaptchaRequired, 428),
    (core_errors.NotAuthenticated, 401),
    (core_errors.LoginLocked, 423),
    (NotConnected, 409),
    (SwitchedOff, 409),
    (core_errors.NotAllowed, 403),
    (core_errors.UnknownSubscriber, 404),
    (core_errors.UnknownClient, 404),
    (core_errors.SubscriberExists, 409),
    (core_errors.DomainError, 400),
    (InvalidUssdString, 400),
    (UssdBusy, 409),
    (ScreenTooLong, 400),
    (UnknownDialogue, 404),
    (InvalidDtmf, 400),
    (UnknownCall, 404),
    (UnknownVoiceNumber, 404),
    (Unavailable, 503),  # Redis or the shared store away (gateway/cluster)
]

_SMS_STATUS = {"unknown_destination": 404, "destination_unavailable": 409}

# The database went away (restart, network, pool exhausted): the request may be repeated later.
STORE_UNAVAILABLE = (store_errors.OperationalError, store_errors.InterfaceError, store_errors.TimeoutError)


def error_response(error: BaseException) -> tuple[int, dict] | None:
    """(status, body) for an error the API knows; None for a bug (answered 500)."""
    if isinstance(error, BadRequest):
        return error.status, {"error": error.code, "message": error.message}
    if isinstance(error, STORE_UNAVAILABLE):
        return 503, {"error": "store_unavailable", "message": "the store cannot be reached now; try again shortly"}
    if isinstance(error, SmsRejected):
        return _SMS_STATUS.get(error.code, 400), {"error": error.code, "message": error.message}
    for kind, status in _STATUS:
        if isinstance(error, kind):
            body = {"error": error.code, "message": getattr(error, "message", None) or str(error)}
            if isinstance(error, core_errors.WrongPassword) and error.attempts_left is not None:
                body["attempts_left"] = error.attempts_left
            if isinstance(error, core_errors.CaptchaRequired):
                body["captcha"] = {"id": error.captcha_id, "prompt": error.prompt}
                body["wrong_answer"] = error.wrong_answer
            return status, body
    return None
