"""kill -9 of the gateway while several handsets top up and transfer money through *105#: after
a restart on the same data directory every acknowledged action is in the ledger exactly once,
transfers balance, no idempotency key is there twice and each balance is its entries' sum."""

from __future__ import annotations

import collections
import http.client
import json
import sqlite3
import threading

from tests.faults.kit import kill_9
from tests.gatewayproc import GatewayProcess

HANDSETS = [f"7916555{i:04d}" for i in range(6)]
OPENING = 100_000  # kopecks each
KILL_AFTER = 60  # acknowledged money actions before the kill
RECOVERY = 777  # kopecks topped up after the restart (no action of the load has this amount)


class Handset(threading.Thread):
    """Tops itself up and transfers to the next handset in turn, one action at a time, until a
    request fails (the gateway was killed)."""

    def __init__(self, index: int, host: str, port: int, progress) -> None:
        super().__init__(daemon=True)
        self.index, self.msisdn = index, HANDSETS[index]
        self.peer = HANDSETS[(index + 1) % len(HANDSETS)]
        self.conn = http.client.HTTPConnection(host, port, timeout=30)
        self.progress = progress
        self.acknowledged: list[tuple[str, int]] = []  # (top_up | transfer, kopecks)
        self.in_doubt: list[tuple[str, int]] = []  # the deciding request got no answer

    def ussd(self, text: str) -> dict:
        self.conn.request("POST", f"/api/v1/handsets/{self.msisdn}/ussd", body=json.dumps({"input": text}),
                          headers={"Content-Type": "application/json"})
        response = self.conn.getresponse()
        body = json.loads(response.read())
        assert response.status == 200, body
        return body

    def run(self) -> None:
        k = 0
        while True:
            # Unique per handset and action: k+1 roubles and the handset's index in kopecks.
            kopecks = (k + 1) * 100 + self.index
            amount = f"{k + 1}*{self.index:02d}"
            kind = "top_up" if k % 2 == 0 else "transfer"
            try:
                self.ussd("*105#")
                self.ussd("5")
                if kind == "top_up":
                    self.ussd("1")
                    deciding = amount
                    done = "Зачислено"
                else:
                    self.ussd("3")
                    self.ussd(self.peer)
                    self.ussd(amount)
                    deciding = "1"  # confirm
                    done = "Переведено"
            except (OSError, http.client.HTTPException):
                return  # killed before the deciding request: nothing was asked
            try:
                screen = self.ussd(deciding)
            except (OSError, http.client.HTTPException):
                self.in_doubt.append((kind, kopecks))
                return
            assert screen["text"].startswith(done), screen
            self.acknowledged.append((kind, kopecks))
            self.progress()
            k += 1


def test_kill_9_under_ussd_money_load_loses_and_doubles_no_ledger_entry(tmp_path, report):
    first = GatewayProcess(tmp_path)
    first.start()
    for msisdn in HANDSETS:
        code, body = first.post("/api/v1/subscribers", {"msisdn": msisdn, "balance": str(OPENING // 100)})
        assert code == 201, body
    enough = threading.Event()
    count = collections.Counter()
    lock = threading.Lock()

    def progress() -> None:
        with lock:
            count["acknowledged"] += 1
            if count["acknowledged"] >= KILL_AFTER:
                enough.set()

    host, port = first.ports["http"]
    handsets = [Handset(i, host, port, progress) for i in range(len(HANDSETS))]
    for handset in handsets:
        handset.start()
    try:
        assert enough.wait(timeout=120), "the load did not get going"
    finally:
        kill_9(first)
    for handset in handsets:
        handset.join(timeout=60)
        assert not handset.is_alive()

    second = GatewayProcess(tmp_path)
    second.start()
    try:
        balances = {m: second.get(f"/api/v1/subscribers/{m}")[1]["balance"] for m in HANDSETS}
        # The restarted gateway takes money actions again.
        again = second.ussd(HANDSETS[0], "*105*5*1#")
        assert not again["end"]
        assert second.ussd(HANDSETS[0], "7*77")["text"].startswith("Зачислено")
    finally:
        second.stop()

    db = sqlite3.connect(tmp_path / "var" / "gateway.sqlite3")
    marks = ",".join("?" * len(HANDSETS))
    entries = db.execute(f"SELECT msisdn, amount, cause, ref FROM ledger_entries WHERE msisdn IN ({marks})",
                         HANDSETS).fetchall()
    doubled_refs = db.execute("SELECT ref, COUNT(*) FROM ledger_entries WHERE ref IS NOT NULL "
                              "GROUP BY ref HAVING COUNT(*) > 1").fetchall()
    db.close()
    ledger = collections.Counter((msisdn, amount, cause) for msisdn, amount, cause, _ in entries)

    def expected(handset: Handset, kind: str, kopecks: int) -> list[tuple[str, int, str]]:
        if kind == "top_up":
            return [(handset.msisdn, kopecks, "top_up")]
        return [(handset.msisdn, -kopecks, "transfer_out"), (handset.peer, kopecks, "transfer_in")]

    acknowledged = [(h, kind, kopecks) for h in handsets for kind, kopecks in h.acknowledged]
    in_doubt = [(h, kind, kopecks) for h in handsets for kind, kopecks in h.in_doubt]
    lost = [e for h, kind, kopecks in acknowledged for e in expected(h, kind, kopecks) if ledger[e] == 0]
    doubled = [e for e, n in ledger.items() if n > 1]
    in_doubt_done = [e for h, kind, kopecks in in_doubt for e in expected(h, kind, kopecks) if ledger[e]]
    transfers_out = sum(a for _, a, cause, _ in entries if cause == "transfer_out")
    transfers_in = sum(a for _, a, cause, _ in entries if cause == "transfer_in")
    sums = collections.Counter()
    for msisdn, amount, _, _ in entries:
        sums[msisdn] += amount
    recovery = HANDSETS[0], RECOVERY, "top_up"  # after the restart: once, and after the balances were read
    mismatched = [m for m in HANDSETS
                  if round(float(balances[m]) * 100) != sums[m] - (RECOVERY if m == recovery[0] else 0)]

    report.add("money actions acknowledged", len(acknowledged))
    report.add("  top-ups / transfers", f"{sum(k == 'top_up' for _, k, _ in acknowledged)} / "
                                          f"{sum(k == 'transfer' for _, k, _ in acknowledged)}")
    report.add("deciding request unanswered at the kill", len(in_doubt))
    report.add("  their ledger entries (committed before the kill)", len(in_doubt_done))
    report.add("ledger entries of the handsets", len(entries))
    report.add("transfers out / in (kopecks)", f"{transfers_out} / {transfers_in}")
    report.add("LOST (acknowledged, not in the ledger)", len(lost))
    report.add("doubled entries", len(doubled))
    report.add("idempotency keys twice", len(doubled_refs))
    report.add("balances not equal to their entries' sum", len(mismatched))
    assert len(acknowledged) >= KILL_AFTER
    assert not lost, lost[:10]
    assert not doubled, doubled[:10]
    assert not doubled_refs
    assert transfers_out + transfers_in == 0  # a transfer is both entries or neither
    assert ledger[recovery] == 1
    assert not mismatched, (mismatched, balances, sums)
