"""kill -9 of Redis under two nodes sharing one PostgreSQL database, while handsets walk USSD
dialogues across the nodes, send MO over HTTP on node A to the application bound on node B,
and the application submits MT on node A with receipts asked for its receiver on node B.
Meanwhile what needs Redis answers clearly (503) and is counted as refused; Redis comes back
empty on the same port and, once the nodes reconnected, every acknowledged MT is in its
handset's inbox, every acknowledged MO and every receipt reached node B's bind, and every
completed dialogue is recorded in PostgreSQL. The server is a private one
(tests/faults/privateredis.py), never the machine's."""

from __future__ import annotations

import collections
import http.client
import json
import threading
import time
import urllib.request

import pytest
import smpplib.client
import smpplib.consts as c

from tests.faults.kit import Listener, private_server
from tests.faults.privateredis import PrivateRedis
from tests.gatewayproc import GatewayProcess
from tests.test_e2e_smpp_receipts import text_of

HANDSETS = ("79261234567", "79261112233", "79267654321")  # the demo subscribers
APP_NUMBER = "7000"  # owned by the `app` account
WAIT = 30.0  # seconds any awaited condition may take before the test fails
WINDOW = 5  # submit_sm outstanding at once
# What each load must have done in a phase before the test moves on.
WANTED = {
    "before": {"ussd completed": 3, "mo accepted": 10, "mt acknowledged": 20},
    "down": {"ussd refused": 5, "mo answered": 10, "mt acknowledged": 20},
    "after": {"ussd completed": 3, "mo accepted": 10, "mt acknowledged": 20},
}
STORE_UNAVAILABLE = {"error": "store_unavailable"}


@pytest.fixture
def redis_server():
    server = private_server(PrivateRedis, "redis-server is")
    yield server
    server.remove()


class Progress:
    """The phase the test is in and what each load did in each phase; loads tell it every
    outcome, the test waits on it."""

    def __init__(self) -> None:
        self.changed = threading.Condition()
        self.phase = "before"
        self.counts: collections.Counter[tuple[str, str]] = collections.Counter()
        self.errors: list[str] = []
        self.stop = threading.Event()

    def add(self, what: str) -> str:
        """Count one outcome in the current phase; returns the phase."""
        with self.changed:
            self.counts[(what, self.phase)] += 1
            self.changed.notify_all()
            return self.phase

    def fail(self, error: str) -> None:
        with self.changed:
            self.errors.append(error)
            self.changed.notify_all()

    def enter(self, phase: str) -> None:
        with self.changed:
            self.phase = phase

    def wait_phase_done(self) -> None:
        """Until every load did what WANTED asks of the current phase (or one failed)."""
        wanted = WANTED[self.phase]
        with self.changed:
            done = self.changed.wait_for(
                lambda: self.errors or all(self.counts[(what, self.phase)] >= n for what, n in wanted.items()),
                timeout=WAIT)
            assert not self.errors, self.errors
            assert done, f"phase {self.phase}: not done within {WAIT} s: {dict(self.counts)}"

    def n(self, what: str, phase: str | None = None) -> int:
        with self.changed:
            return sum(n for (w, p), n in self.counts.items() if w == what and phase in (None, p))


class Load(threading.Thread):
    """One kind of traffic, one request at a time, until the test says stop."""

    def __init__(self, progress: Progress) -> None:
        super().__init__(daemon=True, name=type(self).__name__)
        self.progress = progress

    def run(self) -> None:
        try:
            while not self.progress.stop.is_set():
                self.step()
            self.finish()
        except Exception as error:  # noqa: BLE001 - handed to the test, which fails with it
            self.progress.fail(f"{self.name}: {error!r}")

    def step(self) -> None:
        raise NotImplementedError

    def finish(self) -> None:
        pass


def post(conn: http.client.HTTPConnection, path: str, body: dict) -> tuple[int, dict]:
    conn.request("POST", path, body=json.dumps(body), headers={"Content-Type": "application/json"})
    response = conn.getresponse()
    return response.status, json.loads(response.read() or b"null")


def connection(node: GatewayProcess) -> http.client.HTTPConnection:
    return http.client.HTTPConnection(*node.ports["http"], timeout=WAIT)


class UssdWalks(Load):
    """*105# on one node, `1` on the other, `1` on the first again: the balance, a dialogue
    crossing nodes twice. A 503 abandons the walk (the next one dials again)."""

    def __init__(self, progress: Progress, a: GatewayProcess, b: GatewayProcess) -> None:
        super().__init__(progress)
        self.nodes = (connection(a), connection(b))
        self.walks = 0
        self.completed: list[tuple[str, str]] = []  # (msisdn, session id) shown their last screen
        self.other: list[tuple[int, dict]] = []  # answers neither a screen nor a clear 503

    def step(self) -> None:
        k, self.walks = self.walks, self.walks + 1
        msisdn = HANDSETS[k % len(HANDSETS)]
        first, second = self.nodes[k % 2], self.nodes[(k + 1) % 2]
        session = None
        for conn, text in ((first, "*105#"), (second, "1"), (first, "1")):
            status, body = post(conn, f"/api/v1/handsets/{msisdn}/ussd", {"input": text})
            if status == 503 and body.items() >= STORE_UNAVAILABLE.items():
                self.progress.add("ussd refused")
                return
            if status != 200 or body["session_id"] != (session or body["session_id"]):
                raise AssertionError(f"ussd {text!r} of {msisdn}: {status} {body}")
            session = body["session_id"]
        assert body["end"], body
        self.completed.append((msisdn, session))
        self.progress.add("ussd completed")


class HttpMo(Load):
    """A handset's SMS to the application's number, sent on node A. With Redis away it is
    accepted and held in the store for the node holding the bind (docs/scaling.md)."""

    def __init__(self, progress: Progress, a: GatewayProcess) -> None:
        super().__init__(progress)
        self.conn = connection(a)
        self.sent = 0
        self.accepted: list[str] = []
        self.refused: collections.Counter[tuple[int, str]] = collections.Counter()

    def step(self) -> None:
        text = f"mo-{self.sent:04d}"
        msisdn = HANDSETS[self.sent % len(HANDSETS)]
        self.sent += 1
        status, body = post(self.conn, f"/api/v1/handsets/{msisdn}/sms", {"to": APP_NUMBER, "text": text})
        if status == 202:
            self.accepted.append(text)
            self.progress.add("mo accepted")
        elif (status, body["error"]) == (409, "destination_unavailable"):
            # Not stored, the handset may send again: A forgot B's bind (an outage longer than
            # its lease) and the restarted Redis does not list it yet.
            self.refused[(status, body["error"])] += 1
        else:
            raise AssertionError(f"mo {text}: {status} {body}")
        self.progress.add("mo answered")


class SmppMt(Load):
    """The application's submit_sm on node A, a window of WINDOW, each asking a receipt."""

    def __init__(self, progress: Progress, a: GatewayProcess) -> None:
        super().__init__(progress)
        self.client = smpplib.client.Client(*a.smpp, timeout=WAIT, allow_unknown_opt_params=True)
        self.client.connect()
        self.client.bind_transmitter(system_id="app", password="app")
        self.client.error_pdu_handler = lambda pdu: None  # a refusal is counted, not raised
        self.client.set_message_sent_handler(self._answered)
        self.submitted = 0
        self.sent: dict[int, tuple[str, str]] = {}  # sequence -> (destination, text), unanswered
        self.acknowledged: dict[str, tuple[str, str]] = {}  # message_id -> (destination, text)
        self.refused: list[int] = []  # command_status of each refusal

    def _answered(self, pdu) -> None:
        destination_text = self.sent.pop(pdu.sequence)
        if pdu.status == 0:
            self.acknowledged[pdu.message_id.decode()] = destination_text
            self.progress.add("mt acknowledged")
        else:
            self.refused.append(pdu.status)
            self.progress.add("mt refused")

    def step(self) -> None:
        while len(self.sent) < WINDOW:
            destination = HANDSETS[self.submitted % len(HANDSETS)]
            text = f"mt-{self.submitted:04d}"
            pdu = self.client.send_message(
                source_addr=APP_NUMBER, source_addr_ton=3, source_addr_npi=0, destination_addr=destination,
                dest_addr_ton=1, dest_addr_npi=1, short_message=text.encode(), data_coding=c.SMPP_ENCODING_DEFAULT,
                registered_delivery=1)
            self.sent[pdu.sequence] = (destination, text)
            self.submitted += 1
        self.client.read_once()

    def finish(self) -> None:
        deadline = time.monotonic() + WAIT
        while self.sent:  # every submit_sm answered before the counts are taken
            assert time.monotonic() < deadline, f"{len(self.sent)} submit_sm never answered"
            self.client.read_once()
        self.client.unbind()
        self.client.disconnect()


def receipted(pdu) -> str | None:
    if not pdu.esm_class & 0x04:
        return None
    value = pdu.receipted_message_id
    return value.decode() if isinstance(value, bytes) else str(value)


def hears_redis(node: GatewayProcess) -> bool:
    """What the node's /metrics say of its pub/sub link (1 while it listens to the others)."""
    with urllib.request.urlopen(node.base + "/metrics", timeout=WAIT) as response:
        text = response.read().decode()
    assert "gateway_cluster_redis_up" in text
    return "gateway_cluster_redis_up 1.0" in text


def until(what: str, condition) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        assert time.monotonic() < deadline, f"{what}: not within {WAIT} s"


def wait_records(nodes: tuple[GatewayProcess, ...], wanted: set[str]) -> dict[str, str]:
    """The outcome of each dialogue of `wanted` in PostgreSQL, once every one is recorded (the
    node that ended it writes the record just after its last screen)."""
    deadline = time.monotonic() + WAIT
    while True:
        outcomes: dict[str, str] = {}
        for node in nodes:
            for msisdn in HANDSETS:
                status, rows = node.get(f"/api/v1/handsets/{msisdn}/dialogues?limit=500")
                assert status == 200, rows
                outcomes.update((row["id"], row["outcome"]) for row in rows if row["ended_at"] is not None)
        if wanted <= set(outcomes) or time.monotonic() > deadline:
            return outcomes


def test_redis_kill_9_under_load_refuses_clearly_and_loses_nothing_acknowledged(tmp_path, pg_url, redis_server,
                                                                                 report):
    nodes: list[GatewayProcess] = []
    app: Listener | None = None
    progress = Progress()
    loads: list[Load] = []
    try:
        for name in ("a", "b"):  # B starts on the store A migrated
            (tmp_path / name).mkdir()
            nodes.append(GatewayProcess(tmp_path / name, "--db", pg_url, "--redis", redis_server.url))
            nodes[-1].start()
        a, b = nodes
        app = Listener(b, "app", "app")  # receives MO to 7000 and the account's receipts
        # A hears of B's bind a moment after it opened; until then an MO is refused (409).
        deadline = time.monotonic() + WAIT
        while (answer := a.post(f"/api/v1/handsets/{HANDSETS[0]}/sms", {"to": APP_NUMBER, "text": "mo-warm"}))[0] != 202:
            assert answer[0] == 409 and time.monotonic() < deadline, answer
        try:
            ussd, mo, mt = UssdWalks(progress, a, b), HttpMo(progress, a), SmppMt(progress, a)
            loads = [ussd, mo, mt]
            for load in loads:
                load.start()
            progress.wait_phase_done()

            progress.enter("down")  # first: a 503 answered right after the kill counts as "down"
            redis_server.kill()
            killed = time.monotonic()
            progress.wait_phase_done()
            # Both listeners saw it go: the restart below is a reconnection (and a catch-up) for each.
            until("both nodes saw redis go", lambda: not any(hears_redis(node) for node in nodes))

            redis_server.start()  # empty, on the same port
            restarted = time.monotonic()
            progress.enter("after")
            progress.wait_phase_done()
            until("both nodes listening again", lambda: all(hears_redis(node) for node in nodes))
        finally:
            progress.stop.set()
            for load in loads:
                load.join(timeout=WAIT)
        assert not progress.errors, progress.errors
        assert not any(load.is_alive() for load in loads)
        mo_wanted = {"mo-warm", *mo.accepted}
        receipts_wanted = set(mt.acknowledged)

        def arrived(got) -> bool:
            texts = {text_of(p) for p in got if not p.esm_class & 0x04}
            return mo_wanted <= texts and receipts_wanted <= {receipted(p) for p in got}

        all_arrived = app.wait_for(arrived, timeout=WAIT)
        everything_in = time.monotonic()
        got = list(app.received)
        mo_got = collections.Counter(text_of(p) for p in got if not p.esm_class & 0x04)
        receipts_got = collections.Counter(receipted(p) for p in got if p.esm_class & 0x04)
        inboxes = collections.Counter()
        for msisdn in HANDSETS:
            inboxes.update((msisdn, m["text"]) for m in b.inbox(msisdn) if m["text"].startswith("mt-"))
        completed = {session for _, session in ussd.completed}
        outcomes = wait_records((a, b), completed)
    finally:
        if app is not None:
            app.close()
        alive = [node.process.poll() is None for node in nodes]
        for node in nodes:
            node.stop()
    logs = [node.log() for node in nodes]

    lost_mt = [key for key in mt.acknowledged.values() if inboxes[key] == 0]
    lost_mo = mo_wanted - set(mo_got)
    lost_receipts = receipts_wanted - set(receipts_got)
    unrecorded = [s for s in completed if outcomes.get(s) != "completed"]
    phases = ("before", "down", "after")

    def by_phase(what: str) -> str:
        return " / ".join(str(progress.n(what, p)) for p in phases)

    report.add("redis down / restart to last MO or receipt at B (s)",
               f"{restarted - killed:.1f} / {everything_in - restarted:.1f}")
    report.add("USSD dialogues completed before / down / after", by_phase("ussd completed"))
    report.add("USSD requests refused 503 store_unavailable b/d/a", by_phase("ussd refused"))
    report.add("HTTP MO to the app on B accepted (202) b/d/a", by_phase("mo accepted"))
    report.add("HTTP MO refused (not stored)", dict(mo.refused) or 0)
    report.add("submit_sm on A acknowledged b/d/a", by_phase("mt acknowledged"))
    report.add("submit_sm refused", len(mt.refused))
    report.add("MT in the handsets' inboxes (acknowledged)", f"{len(mt.acknowledged) - len(lost_mt)}"
                                                             f"/{len(mt.acknowledged)}")
    report.add("receipts at the app on B (acknowledged submits)",
               f"{len(receipts_wanted) - len(lost_receipts)}/{len(receipts_wanted)}")
    report.add("MO at the app on B (accepted, warm-up included)", f"{len(mo_wanted) - len(lost_mo)}/{len(mo_wanted)}")
    report.add("completed dialogues recorded in PostgreSQL", f"{len(completed) - len(unrecorded)}/{len(completed)}")
    report.add("LOST (MT / receipts / MO / dialogue records)",
               f"{len(lost_mt)} / {len(lost_receipts)} / {len(lost_mo)} / {len(unrecorded)}")
    report.add("doubled (MT in an inbox / receipts / MO)",
               f"{sum(n > 1 for n in inboxes.values())} / {sum(n > 1 for n in receipts_got.values())} / "
               f"{sum(n > 1 for n in mo_got.values())}")

    assert progress.n("ussd refused", "before") == 0 and not mt.refused
    assert progress.n("ussd refused", "down") >= WANTED["down"]["ussd refused"]
    assert all_arrived, (sorted(lost_mo)[:10], sorted(lost_receipts)[:10])
    # Well inside CATCH_UP (30 s): what waited came with the reconnection, not the periodic look.
    assert everything_in - restarted < 10.0
    assert not lost_mt, lost_mt[:10]
    assert not unrecorded, unrecorded[:10]
    assert not [key for key, n in inboxes.items() if n > 1]
    assert not [text for text, n in mo_got.items() if n > 1]
    assert all(alive)
    for log in logs:
        assert f"redis 127.0.0.1:{redis_server.port} lost" in log
        assert log.count("listening for the other nodes") >= 2  # at the start and after the restart
        assert "Traceback" not in log and "unhandled error" not in log
