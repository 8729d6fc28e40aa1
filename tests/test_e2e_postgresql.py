"""The same gateway on PostgreSQL (`--db postgresql+psycopg://…`), and `gateway db upgrade`."""

from __future__ import annotations

import subprocess
import sys

import pytest
import sqlalchemy
from alembic.script import ScriptDirectory

from core.db.store import alembic_config
from tests.gatewayproc import ROOT, GatewayProcess, password_in

A = "79261234567"


@pytest.fixture
def pg_gateway(tmp_path, pg_url):
    process = GatewayProcess(tmp_path, "--db", pg_url)
    process.start()
    yield process
    process.stop()


def test_r02_r05_password_story_on_postgresql(pg_gateway):
    gateway = pg_gateway
    gateway.ussd(A, "*105*00#")
    password = password_in(gateway.inbox(A)[-1]["text"])
    for _ in range(4):
        assert gateway.login("9261234567", "wrong-pass")[0] == 401
    assert gateway.login("9261234567", "wrong-pass")[0] == 423
    gateway.post(f"/api/v1/handsets/{A}/sms", {"to": "000110", "text": "00"})
    fresh = password_in(gateway.inbox(A)[-1]["text"])
    assert fresh != password
    assert gateway.login("9261234567", fresh)[0] == 200


def test_db_upgrade_command_migrates_to_head(pg_url):
    result = subprocess.run([sys.executable, "-m", "gateway.cli", "db", "upgrade", "--db", pg_url],
                            cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    engine = sqlalchemy.create_engine(pg_url)
    with engine.connect() as connection:
        tables = set(sqlalchemy.inspect(connection).get_table_names())
        version = connection.execute(sqlalchemy.text("SELECT version_num FROM alembic_version")).scalar()
    engine.dispose()
    assert {"subscribers", "credentials", "messages", "ledger_entries", "login_tokens"} <= tables
    assert version == ScriptDirectory.from_config(alembic_config()).get_current_head()
