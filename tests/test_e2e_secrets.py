"""R08: no password or code in clear in any log line or table, but the handset's inbox."""

from __future__ import annotations

import json

import sqlalchemy

from tests.gatewayproc import GatewayProcess, password_in, password_over_smpp

A = "79261234567"


def test_r08_no_secret_in_logs_or_tables_but_the_inbox(gateway):
    codes, typed = exercise_every_secret(gateway)
    secrets = codes + typed
    log = gateway.log()
    assert "sms" in log and "action issue_password" in log  # the log does record the traffic
    for secret in secrets:
        assert secret not in log, "a secret is in the log"
    _tables_hold_no_secret(gateway, codes, typed)


def test_r08_json_logs_are_structured_and_hold_no_secret(tmp_path):
    gateway = GatewayProcess(tmp_path, "--log-format", "json")
    gateway.start()
    try:
        codes, typed = exercise_every_secret(gateway)
    finally:
        gateway.stop()
    records = [json.loads(line) for line in gateway.log().splitlines()]
    assert {"event", "level", "logger", "timestamp"} <= set(records[0])
    assert any(r["event"].startswith("action issue_password") for r in records)
    for secret in codes + typed:
        assert secret not in gateway.log(), "a secret is in the log"


def exercise_every_secret(gateway) -> tuple[list[str], list[str]]:
    """Every way a password or code is made or typed; the codes sent and the passwords typed.
    Stops the gateway, so everything is flushed to its files."""
    codes = []
    gateway.ussd(A, "*105*00#")
    codes.append(password_in(gateway.inbox(A)[-1]["text"]))
    gateway.post(f"/api/v1/handsets/{A}/sms", {"to": "000105", "text": "00"})
    codes.append(password_in(gateway.inbox(A)[-1]["text"]))
    _, call = gateway.post(f"/api/v1/handsets/{A}/calls", {"to": "0505"})
    gateway.post(f"/api/v1/calls/{call['call_id']}/dtmf", {"digits": "1"})
    codes.append(password_in(gateway.inbox(A)[-1]["text"]))
    token = gateway.login("9261234567", codes[-1])[1]["token"]
    gateway.post("/api/v1/account/password", {"old_password": codes[-1], "new_password": "Zq8-perm-pass"}, token=token)
    for typed_password in ("918273645", "55512340"):
        _, call = gateway.post(f"/api/v1/handsets/{A}/calls", {"to": "0505"})
        _, call = gateway.post(f"/api/v1/calls/{call['call_id']}/dtmf", {"digits": f"2{typed_password}#"})
        assert call["state"] == "ended"
        assert gateway.login("9261234567", typed_password)[0] == 200
    gateway.ussd(A, "*105*00#")
    codes.append(password_in(gateway.inbox(A)[-1]["text"]))
    typed = ["918273645", "55512340", "Zq8-perm-pass"]
    # Over SMPP too: the code travels in a deliver_sm, never in a log.
    password_over_smpp(gateway, A)
    codes.append(password_in(gateway.inbox(A)[-1]["text"]))
    gateway.stop()
    return codes, typed


def _tables_hold_no_secret(gateway, codes: list[str], typed: list[str]) -> None:
    secrets = codes + typed
    engine = sqlalchemy.create_engine(f"sqlite:///{gateway.workdir}/var/gateway.sqlite3")
    with engine.connect() as connection:
        tables = sqlalchemy.inspect(connection).get_table_names()
        assert {"credentials", "messages", "subscribers"} <= set(tables)
        for table in tables:
            for row in connection.execute(sqlalchemy.text(f'SELECT * FROM "{table}"')).mappings():
                inbox_row = table == "messages" and row["direction"] == "mt" and row["msisdn"] == A
                for value in row.values():
                    for secret in secrets:
                        if secret in str(value):
                            assert inbox_row and secret in codes, f"{table} holds a secret in clear"
    engine.dispose()
    # The typed keypad passwords appear nowhere at all, not even in the inbox.
    for path in (gateway.workdir / "var").iterdir():
        raw = path.read_bytes()
        for secret in typed:
            assert secret.encode() not in raw, f"{path.name} holds a typed password"
