"""A Hypothesis state machine drives random money operations and checks the money invariants.

The model keeps its own balance per number and a tally of every flow that enters or leaves
the three numbers; after every step the store must agree with it: each balance is the sum
of its entries and equals the model, transfers neither create nor lose money, no balance is
below its floor, and no autopay rule is ever paid twice for one period. Spending bonus
points (core.bonuses, R21) is among the steps: it must never move money.
"""

from __future__ import annotations

import calendar
import contextlib
import datetime
import shutil
import tempfile
from collections import Counter
from pathlib import Path

from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, rule
from sqlalchemy import text

from core import autopay, billing, bonuses, payments, promised
from core.autopay import Every
from core.db.store import Store
from core.errors import InsufficientFunds, InvalidRecipient, NotEnoughPoints, PromisedPaymentRefused
from core.ledger import MOSCOW, Cause, debit
from tests.moneykit import BORN, CATALOGUE, DAY, NOW, A, B, C, add, me

NUMBERS = (A, B, C)
OPENING = 100_00
TOKEN = "tok_model_0001"
_TEMPLATE: dict[str, Path] = {}


def migrated_copy(directory: str) -> str:
    """A migrated SQLite store with the three numbers, copied from a template built once."""
    if "path" not in _TEMPLATE:
        template = Path(tempfile.mkdtemp(prefix="money-template-")) / "store.sqlite3"
        store = Store(f"sqlite:///{template}")
        store.upgrade()
        for msisdn in NUMBERS:
            add(store, msisdn, OPENING, born=BORN)
        store.dispose()  # the last connection closing checkpoints the WAL into the file
        _TEMPLATE["path"] = template
    target = Path(directory) / "store.sqlite3"
    shutil.copyfile(_TEMPLATE["path"], target)
    wal = _TEMPLATE["path"].with_name("store.sqlite3-wal")
    if wal.exists():
        shutil.copyfile(wal, target.with_name("store.sqlite3-wal"))
    return f"sqlite:///{target}"


def model_period(every: str, anchor: float, now: float) -> str | None:
    """An independent reckoning of the period a moment falls in: step through the starts."""
    first = datetime.datetime.fromtimestamp(anchor, MOSCOW)

    def start(k: int) -> datetime.datetime:
        if every != Every.MONTH:
            return first + datetime.timedelta(days=(7 if every == Every.WEEK else 20) * k)
        year, month = first.year + (first.month - 1 + k) // 12, (first.month - 1 + k) % 12 + 1
        return first.replace(year=year, month=month, day=min(first.day, calendar.monthrange(year, month)[1]))

    if now < anchor:
        return None
    k = 0
    while start(k + 1).timestamp() <= now:
        k += 1
    return start(k).strftime("%Y-%m-%d")


class MoneyMachine(RuleBasedStateMachine):
    rules_made = Bundle("rules_made")

    def __init__(self) -> None:
        super().__init__()
        self.directory = tempfile.mkdtemp(prefix="money-")
        self.url = migrated_copy(self.directory)
        self.store = Store(self.url)
        self.now = NOW
        self.balance = dict.fromkeys(NUMBERS, OPENING)
        self.owed: dict[str, tuple[int, float] | None] = dict.fromkeys(NUMBERS)  # amount, due_at
        self.floor = dict.fromkeys(NUMBERS, 0)
        self.flows: Counter = Counter()
        self.autopay: dict[int, dict] = {}  # rule id -> the model of the rule

    def teardown(self) -> None:
        self.store.dispose()
        shutil.rmtree(self.directory, ignore_errors=True)

    def tx(self, fn, *args, **kwargs):
        with self.store.transaction() as uow:
            return fn(uow, *args, **kwargs)

    def credit_top_up(self, msisdn: str, amount: int, flow: str) -> None:
        self.balance[msisdn] += amount
        self.flows[flow] += amount
        if self.owed[msisdn]:
            owed, _ = self.owed[msisdn]
            self.balance[msisdn] -= owed
            self.flows["repaid"] += owed
            self.owed[msisdn] = None

    # -- the steps ---------------------------------------------------------------------

    @rule(seconds=st.sampled_from([60, 3600, DAY, 3 * DAY, 7 * DAY, 20 * DAY, 31 * DAY]))
    def advance(self, seconds):
        self.now += seconds

    @rule(n=st.sampled_from(NUMBERS), amount=st.integers(1, 3000_00) | st.sampled_from([500_00, 3000_00]))
    def top_up(self, n, amount):
        self.tx(payments.top_up, me(n), amount, self.now)
        self.credit_top_up(n, amount, "top_up")

    @rule(n=st.sampled_from(NUMBERS), amount=st.integers(1, 300_00))
    def fee(self, n, amount):
        try:
            self.tx(debit, n, amount, Cause.OPTION_FEE, self.now)
        except InsufficientFunds:
            assert self.balance[n] < amount
        else:
            assert self.balance[n] >= amount
            self.balance[n] -= amount
            self.flows["fee"] += amount

    @rule(a=st.sampled_from(NUMBERS), b=st.sampled_from(NUMBERS), amount=st.integers(1, 300_00))
    def transfer(self, a, b, amount):
        try:
            self.tx(payments.transfer, me(a), b, amount, self.now)
        except InvalidRecipient:
            assert a == b
        except InsufficientFunds:
            assert self.balance[a] < amount
        else:
            assert a != b and self.balance[a] >= amount
            self.balance[a] -= amount
            self.balance[b] += amount

    @rule(n=st.sampled_from(NUMBERS), amount=st.integers(1, CATALOGUE.promised_payment.max_amount))
    def take_promised(self, n, amount):
        fee = CATALOGUE.promised_payment.fee_for(amount)
        try:
            granted = self.tx(promised.take, me(n), CATALOGUE, amount, self.now)
        except PromisedPaymentRefused:
            assert self.owed[n] or self.balance[n] + amount - fee < 0
        else:
            assert not self.owed[n] and self.balance[n] + amount - fee >= 0
            self.balance[n] += amount - fee
            self.flows["promised"] += amount
            self.flows["promised_fee"] += fee
            self.owed[n] = (amount, granted.due_at)
            self.floor[n] = -amount

    @rule()
    def settle(self):
        settled = {p.msisdn for p in self.tx(promised.settle_due, self.now)}
        expected = {n for n, owed in self.owed.items() if owed and owed[1] <= self.now}
        assert settled == expected
        for n in expected:
            self.balance[n] -= self.owed[n][0]
            self.flows["repaid"] += self.owed[n][0]
            self.owed[n] = None

    @rule(target=rules_made, n=st.sampled_from(NUMBERS), every=st.sampled_from(list(Every)),
          amount=st.integers(1, 200_00))
    def create_periodic(self, n, every, amount):
        made = self.tx(autopay.create_periodic, me(n), TOKEN, every, amount, self.now)
        self.autopay[made.id] = {"msisdn": n, "every": every, "anchor": self.now, "amount": amount,
                                 "active": True, "paid": [], "threshold": None}
        return made.id

    @rule(target=rules_made, n=st.sampled_from(NUMBERS), threshold=st.integers(1, 200_00),
          amount=st.integers(1, 200_00))
    def create_threshold(self, n, threshold, amount):
        made = self.tx(autopay.create_threshold, me(n), TOKEN, threshold, amount, self.now)
        self.autopay[made.id] = {"msisdn": n, "threshold": threshold, "amount": amount, "active": True,
                                 "paid": [], "armed": True, "episode": 0}
        return made.id

    @rule(rule_id=rules_made, active=st.booleans())
    def pause_or_resume(self, rule_id, active):
        self.tx(autopay.resume if active else autopay.pause, me(self.autopay[rule_id]["msisdn"]), rule_id)
        self.autopay[rule_id]["active"] = active

    @rule(times=st.integers(1, 2), restart=st.booleans())
    def run_autopay(self, times, restart):
        if restart:  # a crash and restart between runs: a new engine on the same file
            self.store.dispose()
            self.store = Store(self.url)
        expected = self.expected_runs()
        for attempt in range(times):
            runs = self.tx(autopay.run_due, CATALOGUE, self.now)
            assert [(r.rule_id, r.period) for r in runs] == (expected if attempt == 0 else [])

    def expected_runs(self) -> list[tuple[int, str]]:
        # Passes repeat until nothing more is due, as run_due does: a top-up may repay a
        # promised payment and take the balance under another rule's threshold.
        runs: list[tuple[int, str]] = []
        while True:
            paid = self.expected_pass()
            if not paid:
                return runs
            runs.extend(paid)

    def expected_pass(self) -> list[tuple[int, str]]:
        runs = []
        for rule_id, model in sorted(self.autopay.items()):
            if not model["active"]:
                continue
            n = model["msisdn"]
            if model["threshold"] is None:
                key = model_period(model["every"], model["anchor"], self.now)
                if key is None or key in model["paid"]:
                    continue
            else:
                if not model["armed"] and self.balance[n] >= model["threshold"]:
                    model["armed"], model["episode"] = True, model["episode"] + 1
                if not (model["armed"] and self.balance[n] < model["threshold"]):
                    continue
                key, model["armed"] = f"low-{model['episode']}", False
            model["paid"].append(key)
            self.credit_top_up(n, model["amount"], "autopay")
            runs.append((rule_id, key))
        return runs

    @rule(n=st.sampled_from(NUMBERS), reward=st.sampled_from(sorted(CATALOGUE.bonus.rewards)))
    def spend_bonus_points(self, n, reward):
        with contextlib.suppress(NotEnoughPoints):  # either way no balance may change
            self.tx(bonuses.spend, CATALOGUE, me(n), n, reward, self.now)

    # -- the invariants, checked after every step in one read transaction -------------

    @invariant()
    def money_invariants(self):
        with self.store.transaction() as uow:
            session = uow.session
            sums = dict(session.execute(text("SELECT msisdn, SUM(amount) FROM ledger_entries GROUP BY msisdn")).all())
            by_cause = dict(session.execute(text("SELECT cause, SUM(amount) FROM ledger_entries GROUP BY cause")).all())
            refs = session.execute(text("SELECT ref FROM ledger_entries WHERE cause = 'autopay'")).scalars().all()
            for n in NUMBERS:
                # Each balance is the sum of its entries and what the model expects.
                seen = billing.balance(uow, me(n))
                assert seen.amount == sums[n] == self.balance[n]
                assert seen.promised == (self.owed[n][0] if self.owed[n] else 0)
                # No balance below its floor; none below zero while a promised payment is owed.
                assert promised.floor(uow, n) == self.floor[n] <= self.balance[n]
                assert not self.owed[n] or self.balance[n] >= 0
        # Transfers neither create nor lose money; the total moves only by the outside flows.
        assert by_cause.get("transfer_in", 0) == -by_cause.get("transfer_out", 0)
        f = self.flows
        assert sum(self.balance.values()) == (
            3 * OPENING + f["top_up"] + f["autopay"] + f["promised"] - f["fee"] - f["promised_fee"] - f["repaid"])
        assert by_cause.get("promised_repayment", 0) == -f["repaid"]
        assert by_cause.get("autopay", 0) == f["autopay"]
        # Autopay never paid one period of one rule twice, and paid exactly the model's periods.
        assert len(refs) == len(set(refs))
        assert sorted(refs) == sorted(f"autopay:{i}:{k}" for i, m in self.autopay.items() for k in m["paid"])


MoneyMachine.TestCase.settings = settings(
    max_examples=60, stateful_step_count=50, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink],  # no slow "explain" tracing
)
TestMoneyInvariantsR15R18R19R20R23 = MoneyMachine.TestCase
