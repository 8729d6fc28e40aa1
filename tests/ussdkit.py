"""The USSD service in memory: a real store run synchronously, a task.Clock, fake SMPP binds.

The menus are this file's own (below), so the tests do not follow menus.yaml's edits;
they need only the actions show_balance and set_keypad_password of the real catalogue.
"""

from __future__ import annotations

import inspect
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from twisted.internet.defer import Deferred, fail, succeed
from twisted.internet.task import Clock

from core import subscribers
from core.db.store import Store
from gateway.actions import CATALOGUE
from gateway.menurunner import MenuRunner
from gateway.outbox import Outbox
from gateway.sms.events import Account, Deliver, Role
from gateway.ussd.service import UssdService
from gateway.ussd.session import Dialogues
from gateway.ussd.smpp import UssdOverSmpp
from menus.engine import Continuation
from menus.loader import Catalogue, load

A, B, C = "79261234567", "79261112233", "79267654321"
NOW = 1_800_000_000.0

MENUS_YAML = """
locales: [ru, en]
sender: "000110"
texts:
  invalid_choice: {ru: "Неверный выбор.", en: "Invalid choice."}
  invalid_input: {ru: "Неверный ввод.", en: "Invalid input."}
  too_many_tries: {ru: "Слишком много ошибок.", en: "Too many errors."}
  session_ended: {ru: "Сеанс завершён.", en: "Session ended."}
  unknown_service_code: {ru: "Неизвестный запрос.", en: "Unknown request."}
  error.default: {ru: "Операция не выполнена.", en: "The operation failed."}
  nav_back: {ru: "Назад", en: "Back"}
  nav_more: {ru: "Далее", en: "More"}
  list_empty: {ru: "Список пуст.", en: "The list is empty."}
  voice_item: {ru: "{label} — нажмите {key}.", en: "For {label}, press {key}."}
ussd:
  "105":
    root: main
    shortcuts:
      "9": pin
nodes:
  main:
    type: menu
    text: {ru: "Сервис-Гид", en: "Service Guide"}
    items:
      - {key: "1", label: {ru: "Баланс", en: "Balance"}, goto: balance}
      - {key: "2", label: {ru: "Пароль", en: "Password"}, goto: pin}
      - {key: "3", label: {ru: "Длинный список", en: "A long list"}, goto: long}
  balance:
    type: action
    action: show_balance
    ussd_only: a test menu
    text: {ru: "Баланс: {balance} руб.", en: "Balance: {balance} RUB"}
  pin:
    type: input
    text: {ru: "Введите пароль, 6-12 цифр", en: "Enter a password, 6-12 digits"}
    input: {name: password, kind: digits, min: 6, max: 12, secret: true}
    next: set_pin
  set_pin:
    type: action
    action: set_keypad_password
    ussd_only: a test menu
    text: {ru: "Пароль сохранён.", en: "Password saved."}
  long:
    type: menu
    text: {ru: "Выберите пункт", en: "Choose"}
    items:
""" + "".join(
    f'      - {{key: "{n}", label: {{ru: "Пункт номер {n}", '
    f'en: "Item number {n}"}}, goto: balance}}\n'
    for n in range(1, 13)
) + """
voice:
  numbers: ["0505"]
  root: voice_main
sms: {}
"""
VOICE = """
  voice_main:
    type: end
    text: {ru: "До свидания.", en: "Goodbye."}
"""


def build_menus(directory: Path):
    path = directory / "menus.yaml"
    path.write_text(MENUS_YAML.replace("\nvoice:", VOICE + "\nvoice:", 1), encoding="utf-8")
    return load(str(path), Catalogue(actions=CATALOGUE.actions, required_texts=()))


def _offer_argument() -> dict:
    """MenuRunner's catalogue of the operator's offer, when this version of it takes one."""
    if "offer" not in inspect.signature(MenuRunner).parameters:
        return {}
    from core.catalogue import load_catalogue

    offer = load_catalogue(str(Path(__file__).resolve().parent.parent / "catalogue.yaml"))
    return {"offer": lambda: offer}


class SyncStore:
    """StoreRunner's interface, each transaction run at once in the caller's thread."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def run(self, fn, *args) -> Deferred:
        try:
            with self.store.transaction() as uow:
                return succeed(fn(uow, *args))
        except Exception as error:  # noqa: BLE001 - handed to the Deferred like a thread's failure
            return fail(error)


@dataclass
class FakeBind:
    """A bound ESME as the SMPP USSD adapter sees it; deliveries are recorded, answered 0."""

    account: Account
    can_receive: bool = True
    peer: str = "127.0.0.1:1"
    sent: list[Deliver] = field(default_factory=list)
    status: int = 0

    def deliver(self, message: Deliver) -> Deferred[int]:
        self.sent.append(message)
        return succeed(self.status)

    def take(self) -> list[Deliver]:
        taken, self.sent[:] = list(self.sent), []
        return taken


class FakeBinds:
    """The bind registry of SmsService: owners of numbers and the bound ESMEs."""

    def __init__(self, accounts: tuple[Account, ...]) -> None:
        self.accounts = accounts
        self.binds: list[FakeBind] = []

    def bind(self, system_id: str, can_receive: bool = True) -> FakeBind:
        account = next(a for a in self.accounts if a.system_id == system_id)
        bind = FakeBind(account, can_receive)
        self.binds.append(bind)
        return bind

    def owner(self, number: str):
        return next((a for a in self.accounts if number in a.owns), None)

    def app_binds(self, number: str) -> list:
        return [b for b in self.binds if number in b.account.owns]

    def mobile_binds(self) -> list:
        return [b for b in self.binds if b.account.role is Role.MOBILE]


class FakeHttpApps:
    """Routed applications whose answers the test gives by hand."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, str, str]] = []  # (url, session id, text)
        self.pending: list[Deferred] = []

    def ask(self, url: str, dialogue) -> Deferred[tuple[str, Continuation]]:
        self.asked.append((url, dialogue.session_id, dialogue.history))
        d: Deferred = Deferred()
        self.pending.append(d)
        return d

    def answer(self, text: str, continuation: Continuation = Continuation.CONTINUE) -> None:
        self.pending.pop(0).callback((text, continuation))


ACCOUNTS = (
    Account("handsets", "handsets", Role.MOBILE),
    Account("app", "app", Role.APPLICATION, owns=("123", "7000")),
)

_STORE: Store | None = None


def shared_store() -> Store:
    """One migrated SQLite store for a test session, with three subscribers."""
    global _STORE
    if _STORE is None:
        directory = Path(tempfile.mkdtemp(prefix="ussdkit-"))
        _STORE = Store(f"sqlite:///{directory}/store.sqlite3")
        _STORE.upgrade()
        with _STORE.transaction() as uow:
            for msisdn, locale in ((A, "ru"), (B, "ru"), (C, "en")):
                subscribers.create(uow, msisdn, NOW, balance=30000, locale=locale)
    return _STORE


class Harness:
    """The service wired as in gateway/app.py, with fakes at the edges."""

    def __init__(self, *, screen_timeout=30.0, dialogue_limit=180.0, app_timeout=10.0,
                 routes: dict[str, str] | None = None) -> None:
        self.clock = Clock()
        self.clock.advance(NOW)
        self.store = SyncStore(shared_store())
        self.menus = build_menus(Path(tempfile.mkdtemp(prefix="ussdmenus-")))
        runner = MenuRunner(lambda: self.menus, self.store, Outbox(), **_offer_argument())
        self.dialogues = Dialogues(screen_timeout, dialogue_limit, app_timeout)
        self.service = UssdService(runner, self.store, self.dialogues, self.clock, 3600.0,
                                   routes=routes or {"555": "http://127.0.0.1:9/ussd"})
        self.binds = FakeBinds(ACCOUNTS)
        self.smpp = UssdOverSmpp(self.service, self.binds)
        self.http_apps = FakeHttpApps()
        self.service.http_apps = self.http_apps

    def result(self, d: Deferred):
        """The result of a Deferred that has fired; its failure is raised."""
        out: list = []
        d.addBoth(out.append)
        assert out, "the Deferred has not fired"
        if hasattr(out[0], "raiseException"):
            out[0].raiseException()
        return out[0]

    def ussd(self, msisdn: str, text: str):
        return self.result(self.service.handle(msisdn, text))

    def records(self, msisdn: str) -> list[dict]:
        """The handset's latest records (the store is shared by the tests: mind the others')."""
        self.clock.advance(0)  # records are written once per reactor turn
        return self.result(self.service.records.of(msisdn, 100))

    def record(self, session_id: str) -> dict:
        self.clock.advance(0)
        return self.result(self.service.records.get(session_id))
