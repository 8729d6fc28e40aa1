"""Domain errors; each channel turns them into its own wire form by `code`."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every rule violation the core reports to a channel."""

    code = "domain_error"

    def __init__(self, message: str = "") -> None:
        super().__init__(message or self.code)
        self.message = message or self.code


class InvalidNumber(DomainError):
    code = "invalid_number"


class UnknownSubscriber(DomainError):
    code = "unknown_number"


class SubscriberExists(DomainError):
    code = "subscriber_exists"


class InvalidAmount(DomainError):
    code = "invalid_amount"


class InsufficientFunds(DomainError):
    code = "insufficient_funds"

    def __init__(self, balance: int, amount: int) -> None:
        super().__init__(f"not enough money: balance {balance / 100:.2f}, needed {amount / 100:.2f}")
        self.balance = balance
        self.amount = amount


class InvalidPassword(DomainError):
    """A new password does not meet the password rules (length, alphabet)."""

    code = "invalid_password"


class WrongPassword(DomainError):
    code = "wrong_password"

    def __init__(self, attempts_left: int) -> None:
        super().__init__(f"wrong password, {attempts_left} attempts left before the login locks")
        self.attempts_left = attempts_left


class LoginLocked(DomainError):
    code = "locked"

    def __init__(self) -> None:
        super().__init__("login locked after five wrong passwords; request a new one-time password")


class UnsupportedLogin(DomainError):
    code = "unsupported_login"


class NotAuthenticated(DomainError):
    code = "not_authenticated"


class NotAllowed(DomainError):
    code = "not_allowed"


# -- subscriber services (R10-R14, R16, R17, R21, R22, R24, R25) --
class InvalidInput(DomainError):
    """A text, reason or kind outside what the operation accepts."""

    code = "invalid_input"


class SimBlocked(DomainError):
    """The SIM is blocked (R24): paid operations are refused until it is unblocked."""

    code = "sim_blocked"


class SimNotBlocked(DomainError):
    code = "sim_not_blocked"


class AlreadyConnected(DomainError):
    code = "already_connected"


class ServiceNotConnected(DomainError):
    code = "service_not_connected"


class IncompatibleOption(DomainError):
    code = "incompatible_option"


class TariffUnavailable(DomainError):
    """An archived tariff, or a corporate one asked for by a personal number."""

    code = "tariff_unavailable"


class SameTariff(DomainError):
    code = "same_tariff"


class NotEnoughPoints(DomainError):
    code = "not_enough_points"

    def __init__(self, points: int, needed: int) -> None:
        super().__init__(f"not enough bonus points: {points}, needed {needed}")
        self.points = points
        self.needed = needed


class NotServiceNumber(DomainError):
    """A number that is not one of the self-service's own (voice menu, service SMS)."""

    code = "not_service_number"


# -- corporate clients (R29-R33) --
class UnknownClient(DomainError):
    code = "unknown_client"


class NotAMember(DomainError):
    """A number outside the corporate group the operation is about."""

    code = "not_a_member"


class AlreadyMember(DomainError):
    code = "already_member"


class AlreadyRegistered(DomainError):
    code = "already_registered"


class NotRegistered(DomainError):
    """A CP_ login that no SMS to 000511 has created."""

    code = "not_registered"


class CorporateWrongPassword(WrongPassword):
    """A wrong corporate password; `attempts_left` counts down to the captcha (R32), not a lock."""

    def __init__(self, attempts_left: int) -> None:
        DomainError.__init__(self, f"wrong password, {attempts_left} more before a captcha is required")
        self.attempts_left = attempts_left


class CaptchaRequired(DomainError):
    """R32: the next corporate login must carry the answer to this (fresh) challenge."""

    code = "captcha_required"

    def __init__(self, captcha_id: str, prompt: str, *, wrong_answer: bool = False) -> None:
        super().__init__("the captcha answer was wrong; solve the new one" if wrong_answer
                         else "two wrong passwords: solve the captcha to log in")
        self.captcha_id = captcha_id
        self.prompt = prompt
        self.wrong_answer = wrong_answer


class WrongSecretAnswer(DomainError):
    code = "wrong_secret_answer"


class OfficeResetOnly(DomainError):
    """No secret question is set: only an operator's office can reset the password (R32)."""

    code = "office_reset_only"


class InvalidIccid(DomainError):
    code = "invalid_iccid"


class DuplicateEmployee(DomainError):
    code = "duplicate_employee"


class SpendingLimitExceeded(DomainError):
    code = "spending_limit_exceeded"

    def __init__(self, msisdn: str, limit: int, spent: int) -> None:
        super().__init__(f"{msisdn} spent {spent / 100:.2f} of its limit {limit / 100:.2f}")
        self.msisdn, self.limit, self.spent = msisdn, limit, spent


class BulkOperationFailed(DomainError):
    """One number of a bulk operation refused; nothing of the operation may be committed."""

    code = "bulk_operation_failed"

    def __init__(self, msisdn: str, cause: DomainError) -> None:
        super().__init__(f"{msisdn}: {cause.message}")
        self.msisdn = msisdn
        self.cause = cause


# -- money (R15, R18-R20, R23) --
class InvalidRecipient(DomainError):
    """A transfer or pay-for-me request to oneself."""

    code = "invalid_recipient"


class PromisedPaymentRefused(DomainError):
    """R19: one outstanding at a time, a young account, or a balance the credit cannot cover."""

    code = "promised_payment_refused"


class UnknownRequest(DomainError):
    code = "unknown_request"


class RequestAnswered(DomainError):
    """A pay-for-me request is answered once; the answer stands."""

    code = "request_answered"


class RequestExpired(DomainError):
    code = "request_expired"


class InvalidCardToken(DomainError):
    """Autopay stores a payment token (tok_...), never a card number."""

    code = "invalid_card_token"


class UnknownAutopayRule(DomainError):
    code = "unknown_autopay_rule"


class InvalidAutopayRule(DomainError):
    code = "invalid_autopay_rule"


class NoLinkedCard(DomainError):
    code = "no_linked_card"
