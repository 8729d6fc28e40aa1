"""What the cluster's clients see while Redis or the shared store is away."""

from __future__ import annotations


class Unavailable(Exception):
    """A shared engine (Redis, PostgreSQL) does not answer now; answered 503 over HTTP."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


EVENTS = "events_unavailable"  # Redis: events between nodes, the registry of binds
STORE = "store_unavailable"  # Redis holding USSD dialogues, or PostgreSQL
