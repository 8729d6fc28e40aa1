"""The VoiceService in memory: the real menus.yaml, a real SQLite store run synchronously, a task.Clock."""

from __future__ import annotations

import tempfile
from pathlib import Path

from twisted.internet.task import Clock

from core import subscribers
from core.catalogue import load_catalogue
from core.db.store import Store
from gateway.actions import CATALOGUE
from gateway.ivr.service import VoiceService
from gateway.ivr.session import Call, Timers
from gateway.menurunner import MenuRunner
from gateway.outbox import Outbox
from menus.loader import load
from tests.ussdkit import SyncStore

ROOT = Path(__file__).resolve().parent.parent
A, B, ROAMER, POOR = "79261234567", "79261112233", "79267777777", "79268888888"
NOW = 1_800_000_000.0
MENUS = load(str(ROOT / "menus.yaml"), CATALOGUE)
OFFER = load_catalogue(str(ROOT / "catalogue.yaml"))


def fresh_store() -> Store:
    """A migrated SQLite store: A and B at home (300 roubles), ROAMER abroad with 300, POOR abroad with 20."""
    directory = Path(tempfile.mkdtemp(prefix="ivrkit-"))
    store = Store(f"sqlite:///{directory}/store.sqlite3")
    store.upgrade()
    with store.transaction() as uow:
        for msisdn, balance in ((A, 30000), (B, 30000), (ROAMER, 30000), (POOR, 2000)):
            subscribers.create(uow, msisdn, NOW - 400 * 86400, balance=balance, locale="ru")
        for msisdn in (ROAMER, POOR):
            uow.subscribers.get(msisdn).roaming = True
    return store


class Voice:
    """A VoiceService wired as in gateway/app.py; every Deferred it returns has fired already."""

    def __init__(self, timers: Timers | None = None) -> None:
        self.clock = Clock()
        self.clock.advance(NOW)
        self.store = fresh_store()
        self.outbox = Outbox()
        runner = MenuRunner(lambda: MENUS, SyncStore(self.store), self.outbox, lambda: OFFER)
        self.service = VoiceService(runner, SyncStore(self.store), self.clock, 3600.0, timers)
        self.seen: list[Call] = []
        self.service.observers.append(self.seen.append)

    def start(self, msisdn: str = A, to: str = "0505", transport: str = "api") -> Call:
        return self.result(self.service.start(msisdn, to, transport))

    def press(self, call: Call, digits: str) -> Call:
        return self.result(self.service.dtmf(call.call_id, digits))

    def now(self, call: Call) -> Call:
        return self.service.get(call.call_id)

    @staticmethod
    def result(d):
        results = []
        d.addBoth(results.append)
        assert results, "the Deferred has not fired"
        if hasattr(results[0], "raiseException"):
            results[0].raiseException()
        return results[0]

    def records(self, msisdn: str = A) -> list[dict]:
        return self.result(self.service.records(msisdn, 100))

    def balance(self, msisdn: str) -> int:
        with self.store.transaction() as uow:
            return uow.ledger.balance(msisdn)
