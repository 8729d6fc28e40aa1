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
