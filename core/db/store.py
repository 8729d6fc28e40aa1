"""Opening the store: engine, SQLite pragmas, Alembic upgrade, transactions."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from importlib import resources

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import sessionmaker

from core.db.repositories import SqlUnitOfWork


class Store:
    """A database behind one engine; `transaction()` yields a unit of work."""

    def __init__(self, url: str) -> None:
        self.url = url
        parsed = make_url(url)
        self.is_sqlite = parsed.get_backend_name() == "sqlite"
        # A SQLite file (in WAL mode, see _sqlite_pragmas): the one `checkpoint()` works on.
        self.sqlite_file: str | None = None
        if self.is_sqlite and parsed.database not in (None, "", ":memory:"):
            self.sqlite_file = os.path.abspath(parsed.database)
            os.makedirs(os.path.dirname(self.sqlite_file), exist_ok=True)
        # A server restart leaves dead connections in the pool: each is checked before use.
        self.engine: Engine = create_engine(url, future=True, pool_pre_ping=not self.is_sqlite)
        if self.is_sqlite:
            event.listen(self.engine, "connect", _sqlite_pragmas)
            event.listen(self.engine, "begin", _sqlite_begin_immediate)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    def upgrade(self) -> None:
        """Run the Alembic migrations up to head."""
        config = alembic_config()
        with self.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")

    @contextmanager
    def transaction(self) -> Iterator[SqlUnitOfWork]:
        """One transaction: committed when the block ends, rolled back on an exception."""
        with self._sessions.begin() as session:
            yield SqlUnitOfWork(session)

    def checkpoint(self) -> tuple[int, int, int]:
        """Copy the SQLite file's committed WAL pages into it, on a connection of its own so
        that it can run on another thread while transactions go on (PASSIVE: it waits for
        no one). Returns SQLite's (busy, pages in the WAL, pages copied so far)."""
        assert self.sqlite_file is not None, "only a SQLite file has a WAL"
        with closing(sqlite3.connect(self.sqlite_file, isolation_level=None)) as connection:
            return connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()

    def dispose(self) -> None:
        self.engine.dispose()


def alembic_config() -> Config:
    """The Alembic configuration of the packaged migrations."""
    config = Config()
    config.set_main_option("script_location", str(resources.files("core.db").joinpath("migrations")))
    return config


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # The driver's own transaction handling begins a transaction only at the first
    # write, so a balance read before it would not be protected; we begin ourselves.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    # WAL + synchronous=NORMAL: a committed transaction survives kill -9 of the process
    # (the WAL is in the OS page cache); only a power loss could cost the last commits.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def _sqlite_begin_immediate(connection) -> None:
    # IMMEDIATE takes the write lock at BEGIN: transactions that read a balance and then
    # write are serialised (no lost update, no "database is locked" on upgrading a read
    # lock); a waiting transaction retries for busy_timeout. Read-only transactions take
    # the lock too: SQLite has one writer thread anyway (STYLE.md), PostgreSQL is for scale.
    connection.exec_driver_sql("BEGIN IMMEDIATE")
