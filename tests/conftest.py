"""Shared fixtures: stores on SQLite and PostgreSQL, and a real `gateway run` on port 0."""

from __future__ import annotations

import os
import uuid

import pytest
import sqlalchemy

import core.db.repositories  # noqa: F401 - every area's tables on Base.metadata
from core.db.models import Base
from core.db.store import Store
from tests.gatewayproc import GatewayProcess

PG_ADMIN_URL = os.environ.get("TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _pg_available() -> bool:
    try:
        engine = sqlalchemy.create_engine(PG_ADMIN_URL)
        with engine.connect():
            pass
        engine.dispose()
        return True
    except sqlalchemy.exc.OperationalError:
        return False


@pytest.fixture(scope="session")
def pg_server() -> str:
    """The admin URL of the machine's PostgreSQL; under CI=true its absence fails."""
    if not _pg_available():
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL is required under CI=true and is not reachable at {PG_ADMIN_URL}")
        pytest.skip("PostgreSQL not reachable")
    return PG_ADMIN_URL


@pytest.fixture
def pg_url(pg_server):
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    name = "gw_" + uuid.uuid4().hex[:12]
    admin = sqlalchemy.create_engine(pg_server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sqlalchemy.text(f'CREATE DATABASE "{name}"'))
    url = sqlalchemy.engine.make_url(pg_server).set(database=name).render_as_string(hide_password=False)
    yield url
    with admin.connect() as connection:
        connection.execute(sqlalchemy.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def pg_shared(pg_server):
    """One migrated PostgreSQL database for the whole run; tests empty it between them."""
    name = "gw_shared_" + uuid.uuid4().hex[:8]
    admin = sqlalchemy.create_engine(pg_server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sqlalchemy.text(f'CREATE DATABASE "{name}"'))
    url = sqlalchemy.engine.make_url(pg_server).set(database=name).render_as_string(hide_password=False)
    shared = Store(url)
    shared.upgrade()
    yield shared
    shared.dispose()
    with admin.connect() as connection:
        connection.execute(sqlalchemy.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def redis_client():
    """A client of a private redis-server (tests/clusterkit.py), killed after the test."""
    from tests.clusterkit import RedisServer

    server = RedisServer()
    server.start()
    client = server.client()
    yield client
    client.close()
    server.kill()


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path):
    """A migrated, empty store, once on SQLite and once on PostgreSQL."""
    if request.param == "postgresql":
        shared = request.getfixturevalue("pg_shared")
        tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
        with shared.engine.begin() as connection:
            connection.execute(sqlalchemy.text(
                "TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
        yield shared
        return
    store = Store(f"sqlite:///{tmp_path}/store.sqlite3")
    store.upgrade()
    yield store
    store.dispose()


@pytest.fixture
def gateway(tmp_path):
    """A real `gateway run` on SQLite, every port chosen by the OS."""
    process = GatewayProcess(tmp_path)
    process.start()
    yield process
    process.stop()
