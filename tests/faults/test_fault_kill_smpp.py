"""kill -9 of the gateway while an application ESME keeps a window of submit_sm outstanding and
the handsets' bind receives the MT: after a restart on the same data directory every message
answered with submit_sm_resp status 0 is in its handset's inbox exactly once, and every
receipt asked for reaches the application. (The deliver_sm copy to a `mobile` bind is live
and not retried: one in flight at the kill is counted in the report, not re-sent.)"""

from __future__ import annotations

import collections

import smpplib.client
import smpplib.consts as c
import smpplib.exceptions

from tests.faults.kit import Listener, kill_9
from tests.gatewayproc import GatewayProcess

HANDSETS = ("79261234567", "79261112233", "79267654321")
WINDOW = 10
TOTAL = 400  # at most this many submitted before the kill
KILL_AFTER = 150  # acknowledged submits before the kill
SWITCHED_OFF = HANDSETS[2]  # its MT wait in the SMSC across the kill


def receipted(pdu) -> str | None:
    if not pdu.esm_class & 0x04:
        return None
    value = pdu.receipted_message_id
    return value.decode() if isinstance(value, bytes) else str(value)


def text_of(pdu) -> str:
    return pdu.short_message.decode("ascii", "replace")


def test_kill_9_under_smpp_load_loses_no_acknowledged_message_and_no_receipt(tmp_path, report):
    first = GatewayProcess(tmp_path)
    first.start()
    assert first.request("PATCH", f"/api/v1/handsets/{SWITCHED_OFF}", {"switched_on": False})[0] == 200
    handsets = Listener(first, "handsets", "handsets")
    app = smpplib.client.Client(*first.smpp, timeout=10, allow_unknown_opt_params=True)
    app.connect()
    app.bind_transceiver(system_id="app", password="app")
    sent: dict[int, tuple[str, str]] = {}  # sequence -> (destination, text)
    acknowledged: dict[str, tuple[str, str]] = {}  # message_id -> (destination, text)
    refused: list[int] = []
    receipts: list[str] = []
    app.set_message_sent_handler(lambda pdu: (acknowledged.__setitem__(pdu.message_id.decode(), sent.pop(pdu.sequence))
                                              if pdu.status == 0 else refused.append(sent.pop(pdu.sequence))))
    app.set_message_received_handler(lambda pdu: receipts.append(receipted(pdu)))
    submitted = 0
    try:
        while len(acknowledged) < KILL_AFTER:
            while len(sent) < WINDOW and submitted < TOTAL:
                destination = HANDSETS[submitted % len(HANDSETS)]
                text = f"fault-{submitted:04d}"
                pdu = app.send_message(source_addr="7000", source_addr_ton=3, source_addr_npi=0,
                                       destination_addr=destination, dest_addr_ton=1, dest_addr_npi=1,
                                       short_message=text.encode(), data_coding=c.SMPP_ENCODING_DEFAULT,
                                       registered_delivery=1)
                sent[pdu.sequence] = (destination, text)
                submitted += 1
            app.read_once()
    finally:
        kill_9(first)  # with up to WINDOW submit_sm unanswered
    try:
        while True:
            app.read_once()  # answers already on the wire before the kill
    except (smpplib.exceptions.ConnectionError, OSError):
        pass
    handsets.close()
    in_doubt = {text for _, text in sent.values()}  # submitted, never answered: may or may not exist
    delivered_before = collections.Counter(text_of(p) for p in handsets.received)
    receipts_before = {r for r in receipts if r}

    second = GatewayProcess(tmp_path)
    second.start()
    try:
        handsets = Listener(second, "handsets", "handsets")
        application = Listener(second, "app", "app")
        assert second.request("PATCH", f"/api/v1/handsets/{SWITCHED_OFF}", {"switched_on": True})[0] == 200
        wanted = set(acknowledged)
        all_receipts = application.wait_for(
            lambda got: wanted <= receipts_before | {receipted(p) for p in got}, timeout=60)
        receipts_after = [receipted(p) for p in application.received if receipted(p)]
        inboxes = collections.Counter()
        for msisdn in HANDSETS:
            inboxes.update((msisdn, m["text"]) for m in second.inbox(msisdn) if m["text"].startswith("fault-"))
        delivered_after = collections.Counter(text_of(p) for p in handsets.received)
        handsets.close()
        application.close()
    finally:
        second.stop()

    lost = [t for t in acknowledged.values() if inboxes[t] == 0]
    doubled = [key for key, n in inboxes.items() if n > 1]
    missing_receipts = wanted - receipts_before - set(receipts_after)
    stray = [key for key in inboxes if key not in acknowledged.values() and key[1] not in in_doubt]
    report.add("submit_sm sent", submitted)
    report.add("acknowledged (submit_sm_resp 0)", len(acknowledged))
    report.add("refused (submit_sm_resp error)", len(refused))
    report.add("unanswered at the kill (in doubt)", len(in_doubt))
    report.add("in an inbox after restart (acknowledged)", sum(1 for t in acknowledged.values() if inboxes[t]))
    report.add("in an inbox after restart (in doubt)", sum(1 for k in inboxes if k[1] in in_doubt))
    report.add("deliver_sm to the handsets bind before / after", f"{sum(delivered_before.values())} / "
                                                                 f"{sum(delivered_after.values())}")
    report.add("receipts before kill / after restart", f"{len(receipts_before)} / {len(receipts_after)}")
    # The inbox is the handset (delivered = stored there, exactly once); the deliver_sm to a
    # `mobile` bind is a live copy sent after the commit, not retried: one in flight at the
    # kill is not sent again (the message itself is not lost: it is in the inbox).
    heard = delivered_before + delivered_after
    report.add("live deliver_sm copies lost with the kill (in the inbox)",
               sum(1 for _, text in acknowledged.values() if heard[text] == 0))
    report.add("LOST (acknowledged, in no inbox)", len(lost))
    report.add("doubled (in an inbox twice)", len(doubled))
    report.add("receipts missing", len(missing_receipts))
    assert not refused
    assert not lost, lost[:10]
    assert not doubled, doubled[:10]
    assert not stray, stray[:10]
    assert all_receipts and not missing_receipts, sorted(missing_receipts)[:10]
