"""Operations per second of the money core on SQLite and PostgreSQL, for a mixed workload.

Run `python -m bench.core_ops [--ops 2000] [--threads 1]`. Each operation is one transaction
as the gateway runs it: top-ups, fee debits, transfers, balance reads and detailization,
spread over a few numbers. PostgreSQL comes from TEST_PG_URL (an admin URL); the benchmark
creates its own database there and drops it afterwards.
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import threading
import time
import uuid
from collections import defaultdict

import sqlalchemy

from core import billing, payments, subscribers
from core.access import Actor
from core.db.store import Store
from core.errors import InsufficientFunds
from core.ledger import Cause, debit

PG_ADMIN_URL = os.environ.get("TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
NOW = 1_795_000_000.0
NUMBERS = [f"7926{n:07d}" for n in range(20)]
MIX = [("top_up", 30), ("debit", 25), ("transfer", 20), ("balance", 20), ("detailization", 5)]


def operation(kind: str, rng: random.Random):
    a, b = rng.sample(NUMBERS, 2)
    actor = Actor.handset(a)
    if kind == "top_up":
        return lambda uow: payments.top_up(uow, actor, rng.randint(100, 50_000), NOW)
    if kind == "debit":
        return lambda uow: debit(uow, a, rng.randint(100, 5_000), Cause.OPTION_FEE, NOW)
    if kind == "transfer":
        return lambda uow: payments.transfer(uow, actor, b, rng.randint(100, 5_000), NOW)
    if kind == "balance":
        return lambda uow: billing.balance(uow, actor)
    return lambda uow: billing.detailization(uow, actor, NOW)


def run(store: Store, ops: int, threads: int) -> tuple[dict[str, list[float]], float]:
    with store.transaction() as uow:
        for msisdn in NUMBERS:
            subscribers.create(uow, msisdn, NOW - 86400, balance=100_000)
    kinds = [kind for kind, weight in MIX for _ in range(weight)]
    timings: dict[str, list[float]] = defaultdict(list)
    lock = threading.Lock()

    def worker(seed: int, count: int) -> None:
        rng = random.Random(seed)
        for _ in range(count):
            kind = rng.choice(kinds)
            op = operation(kind, rng)
            started = time.perf_counter()
            try:
                with store.transaction() as uow:
                    op(uow)
            except InsufficientFunds:
                pass  # a refused debit is still a completed operation
            with lock:
                timings[kind].append(time.perf_counter() - started)

    started = time.perf_counter()
    workers = [threading.Thread(target=worker, args=(n, ops // threads)) for n in range(threads)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    return timings, time.perf_counter() - started


def sqlite_store(directory: str) -> Store:
    return Store(f"sqlite:///{directory}/bench.sqlite3")


def report(backend: str, timings: dict[str, list[float]], wall: float) -> None:
    total = sum(len(t) for t in timings.values())
    for kind, _ in MIX:
        spent = timings.get(kind, [])
        if spent:
            print(f"{backend:<11} {kind:<14} {len(spent):>6} {len(spent) / sum(spent):>10.0f}"
                  f" {1000 * sorted(spent)[len(spent) // 2]:>9.2f}")
    print(f"{backend:<11} {'all (wall)':<14} {total:>6} {total / wall:>10.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ops", type=int, default=2000, help="operations per backend (bounded)")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    ops, threads = min(args.ops, 100_000), max(1, min(args.threads, 32))
    print(f"{ops} operations, {threads} thread(s); op/s of each kind counts its own time only")
    print(f"{'backend':<11} {'operation':<14} {'count':>6} {'op/s':>10} {'median ms':>9}")
    with tempfile.TemporaryDirectory() as directory:
        store = sqlite_store(directory)
        store.upgrade()
        try:
            report("sqlite", *run(store, ops, threads))
        finally:
            store.dispose()
    name = "bench_" + uuid.uuid4().hex[:12]
    admin = sqlalchemy.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(sqlalchemy.text(f'CREATE DATABASE "{name}"'))
    except sqlalchemy.exc.OperationalError as error:
        print(f"postgresql  skipped: {error.orig}")
        return
    try:
        store = Store(sqlalchemy.engine.make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False))
        store.upgrade()
        try:
            report("postgresql", *run(store, ops, threads))
        finally:
            store.dispose()
    finally:
        with admin.connect() as connection:
            connection.execute(sqlalchemy.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
