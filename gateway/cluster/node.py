"""One node of several: what it tells the others and what it does when they tell it.

How it works: every node subscribes to one shared channel (`gw:bus`: events for web-phone
watchers, announcements of binds) and one of its own (`gw:node:<id>`: work addressed to
it). Each node announces on `gw:bus` which receiving binds it holds (keys `mobile`,
`app:<short number>`, `rx:<system_id>`) whenever that changes and every HEARTBEAT
seconds, and writes it into the hash `gw:binds` too; each announcement is a lease of
NODE_TTL seconds, so every node keeps a view of the others' binds in memory and a dead
node's binds stop counting by themselves. Looking up who holds a bind costs no round trip;
when the view knows nobody for MO or receipts (a bind announced a moment ago), the hash is
read once to be sure.

When something has no bind here (an SMS for the `mobile` ESME, MO for an application,
receipts for an account) it is already in the shared store; this node picks one node
that holds such a bind and asks it to deliver. That node claims MO in one transaction
(`claim_held_mo`, rows locked) and claims the stored receipts it sends (receiptclaims.py),
so one node delivers each; a lost request costs only time: the store keeps the message, and
every node looks again after a reconnection and every CATCH_UP seconds.
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import random
import socket
import time
import uuid

from twisted.internet.defer import Deferred, succeed
from twisted.internet.task import LoopingCall

from gateway.cluster.errors import Unavailable
from gateway.cluster.receiptclaims import ReceiptClaims
from gateway.cluster.redislink import RedisLink
from gateway.sms.events import Deliver, Role
from gateway.sms.submits import Submission

log = logging.getLogger(__name__)
BUS = "gw:bus"
BINDS = "gw:binds"  # node id -> its last announcement (JSON), for a node that missed it
HEARTBEAT = 5.0  # seconds between announcements of this node's binds
NODE_TTL = 15.0  # an announcement counts this long
CATCH_UP = 30.0  # seconds between looks for MO and receipts waiting for binds held here


def node_channel(node_id: str) -> str:
    return f"gw:node:{node_id}"


def bind_keys(bind) -> list[str]:
    """The registry keys a receiving bind stands for."""
    account = bind.account
    keys = [f"rx:{account.system_id}"]
    if account.role is Role.MOBILE:
        keys.append("mobile")
    else:
        keys += [f"app:{number}" for number in account.owns]
    return keys


def held_mo(msisdn: str, to: str, text: str, now: float) -> Submission:
    """An HTTP handset's MO to an application bound on another node: kept in the SMSC (the
    shared store) as MO waiting for a bind are, for the node holding one to claim."""
    return Submission(new=dict(
        system_id="", source_addr=msisdn, destination_addr=to, registered_delivery=0, data_coding=8,
        payload=text.encode("utf-16-be"), text=text, submitted_at=now, valid_until=None))


class ClusterNode:
    """This node's side of the cluster: relays events, announces binds, routes deliveries."""

    def __init__(self, reactor, url: str, hub, sms, node_id: str | None = None) -> None:
        self.reactor = reactor
        self.id = node_id or f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self.link = RedisLink(reactor, url, [BUS, node_channel(self.id)], self._received, self._connected)
        self.hub = hub
        self.sms = sms
        self._bound: dict[str, int] = {}  # registry key -> receiving binds here
        self._peers: dict[str, tuple[frozenset[str], float]] = {}  # node id -> (its keys, lease end)
        self._announcing = False  # an announcement is due at the end of this reactor turn
        self._fresh: set[str] = set()  # keys bound since the last announcement
        self._receipts_asked: set[str] = set()  # system ids asked about in this reactor turn
        self._rotation = itertools.count()
        self._beats = 0
        self._beat = LoopingCall(self._heartbeat)
        self._beat.clock = reactor
        self._relay_failing = False
        self.dialogues = None  # gateway/cluster/dialogues.SharedDialogues, started and stopped with the node
        hub.relay = self.relay
        sms.cluster = self
        self.receipt_claims = ReceiptClaims(self.id)
        sms.claim_receipts(self.receipt_claims)

    def start(self) -> None:
        log.info("cluster node %s on redis %s", self.id, self.link.url.split("@")[-1])
        self.link.start()
        self._beat.start(HEARTBEAT, now=False)
        if self.dialogues is not None:
            self.dialogues.start()

    def stop(self) -> Deferred:
        if self._beat.running:
            self._beat.stop()
        if self.dialogues is not None:
            self.dialogues.stop()
        # The others forget this node's binds at once rather than when its lease ends.
        leaving = self.link.publish(BUS, {"kind": "binds", "from": self.id, "keys": [], "until": 0})
        leaving.addCallback(lambda _: self.link.run(lambda client: client.hdel(BINDS, self.id)))
        leaving.addErrback(lambda f: None)
        return leaving.addBoth(lambda _: self.link.stop())

    # -- the SMSC's binds: SMSCFactory's backend is this node in front of SmsService ----------

    def backend(self) -> BindRegistry:
        return BindRegistry(self)

    def _opened(self, bind) -> None:
        if not bind.can_receive:
            return
        for key in bind_keys(bind):
            self._bound[key] = self._bound.get(key, 0) + 1
            self._fresh.add(key)
        self._receivers_changed()
        self._announce_soon()

    def _closed(self, bind) -> None:
        if not bind.can_receive:
            return
        for key in bind_keys(bind):
            if key in self._bound:
                self._bound[key] -= 1
                if self._bound[key] <= 0:
                    del self._bound[key]
        self._receivers_changed()
        self._announce_soon()

    def _receivers_changed(self) -> None:
        # Receipts created for these accounts are claimed by this node as they are stored.
        self.receipt_claims.bound = frozenset(key[3:] for key in self._bound if key.startswith("rx:"))

    def _announce_soon(self) -> None:
        if not self._announcing:  # binds opening together: one announcement
            self._announcing = True
            self.reactor.callLater(0, self._announce)

    def _announce(self) -> Deferred:
        self._announcing = False
        announcement = json.dumps({"kind": "binds", "from": self.id, "keys": sorted(self._bound),
                                   "until": time.time() + NODE_TTL})

        def send(client) -> None:
            with client.pipeline(transaction=False) as pipe:
                pipe.hset(BINDS, self.id, announcement)
                pipe.publish(BUS, announcement)
                pipe.execute()

        # Once the others can see the new binds, look again for what waits for them: MO or
        # receipts stored by a node that looked a moment before are claimed now.
        fresh, self._fresh = self._fresh, set()
        sent = self.link.run(send)
        sent.addCallback(lambda _: self._catch_up(fresh))
        sent.addErrback(lambda f: log.warning("redis: announcing binds failed: %s", f.getErrorMessage()))
        return sent

    def _heartbeat(self) -> Deferred:
        self._beats += 1
        self.sms.renew_receipt_claims()
        if self._beats % int(CATCH_UP / HEARTBEAT) == 0:
            self._catch_up()
        return self._announce()

    def _connected(self) -> None:
        """The pub/sub link is up (again): announcements and requests may have been missed."""
        self._announce()
        hello = self.link.publish(BUS, {"kind": "hello", "from": self.id})  # the others announce theirs
        hello.addErrback(lambda f: log.warning("redis: hello failed: %s", f.getErrorMessage()))
        self._catch_up()

    def _catch_up(self, keys=None) -> None:
        for key in list(self._bound if keys is None else keys):
            kind, _, name = key.partition(":")
            if kind == "app":
                self.sms.deliver_held_to(name)
            elif kind == "rx":
                self.sms.send_receipts_of(name)

    # -- asking the others ---------------------------------------------------------------

    def holders(self, key: str) -> list[str]:
        """The other nodes holding a receiving bind of `key`, as last announced."""
        now = time.time()
        return [node for node, (keys, until) in self._peers.items() if key in keys and until > now]

    def app_bound(self, number: str) -> Deferred[bool]:
        """Whether another node holds a receiving bind of the application owning `number`.

        With Redis down nobody can tell: the answer is yes, so the MO is kept in the store
        (held) and claimed by whichever node has the bind once Redis is back, not refused."""

        def unsure(failure):
            failure.trap(Unavailable)
            log.warning("bind registry unreadable (%s): holding the MO for %s", failure.value, number)
            return True

        return self._holders_surely(f"app:{number}").addCallback(bool).addErrback(unsure)

    def _holders_surely(self, key: str) -> Deferred[list[str]]:
        """`holders`, with the announcements read from Redis when the view knows nobody."""
        known = self.holders(key)
        if known:
            return succeed(known)

        def read(client) -> dict:
            return client.hgetall(BINDS)

        def learnt(announcements: dict) -> list[str]:
            for raw in announcements.values():
                self._learn(json.loads(raw))
            return self.holders(key)

        return self.link.run(read).addCallback(learnt)

    def _learn(self, announcement: dict) -> None:
        sender = announcement["from"]
        if sender == self.id:
            return
        if float(announcement["until"]) > time.time():
            self._peers[sender] = (frozenset(announcement["keys"]), float(announcement["until"]))
        else:  # it left
            self._peers.pop(sender, None)

    @property
    def peers(self) -> int:
        """The other nodes whose last announcement is still current."""
        now = time.time()
        return sum(1 for _, until in self._peers.values() if until > now)

    def view(self) -> dict:
        """This node and the others as it sees them (the status page): ids, Redis, receiving binds."""
        now = time.time()
        return {"node": self.id, "redis_up": self.link.listening, "binds_here": sorted(self._bound),
                "peers": [{"node": node, "binds": sorted(keys), "lease_seconds": round(until - now, 1)}
                          for node, (keys, until) in sorted(self._peers.items()) if until > now]}

    def held_mo(self, msisdn: str, to: str, text: str, now: float) -> Submission:
        return held_mo(msisdn, to, text, now)

    def mo_held(self, number: str) -> None:
        self._ask(f"app:{number}", {"kind": "mo", "number": number}, surely=True)

    def receipts_pending(self, system_id: str) -> None:
        if system_id in self._receipts_asked:
            return
        self._receipts_asked.add(system_id)  # one request for the receipts of one turn
        self.reactor.callLater(0, self._receipts_asked.discard, system_id)
        self._ask(f"rx:{system_id}", {"kind": "receipts", "system_id": system_id}, surely=True)

    def mt_unbound(self, message) -> None:
        self._ask("mobile", {"kind": "mt", "id": message.id, "msisdn": message.msisdn, "peer": message.peer,
                             "text": message.text})

    def relay(self, msisdn: str, event: dict) -> None:
        """An event for the watchers of `msisdn` on the other nodes."""
        sent = self.link.publish(BUS, {"kind": "event", "from": self.id, "msisdn": msisdn, "event": event})
        sent.addCallbacks(self._relayed, self._relay_failed)

    def _relayed(self, _) -> None:
        if self._relay_failing:
            log.info("redis: events reach the other nodes again")
        self._relay_failing = False

    def _relay_failed(self, failure) -> None:
        if not self._relay_failing:  # once per outage, not once per event
            log.error("events for other nodes' watchers lost while redis is away: %s", failure.getErrorMessage())
        self._relay_failing = True

    def _ask(self, key: str, message: dict, surely: bool = False) -> Deferred:
        """Send `message` to one node holding a bind of `key`; none: it waits in the store.
        `surely`: with nobody in the view, read the announcements from Redis first."""
        found = self._holders_surely(key) if surely else succeed(self.holders(key))

        def send(holders: list[str]) -> Deferred | None:
            if not holders:
                return None
            return self.link.publish(node_channel(random.choice(holders)), {**message, "from": self.id})

        asked = found.addCallback(send)
        asked.addErrback(lambda f: log.warning("redis: %s for %s not passed on (%s); it waits in the store",
                                               message["kind"], key, f.getErrorMessage()))
        return asked

    # -- asked by the others -----------------------------------------------------------------

    def _received(self, message: dict) -> None:
        kind = message.get("kind")
        sender = message.get("from")
        if sender == self.id:
            return
        if kind == "event":
            self.hub.deliver(message["msisdn"], message["event"])
        elif kind == "binds":
            self._learn(message)
        elif kind == "hello":
            self._announce_soon()
        elif kind == "mo":
            self.sms.deliver_held_to(message["number"])
        elif kind == "receipts":
            self.sms.send_receipts_of(message["system_id"])
        elif kind == "mt":
            self._deliver_mt(message)

    def _deliver_mt(self, message: dict) -> None:
        binds = self.sms.mobile_binds()
        if not binds:
            log.info("sms %s for %s: no mobile bind here any more; it stays in the inbox", message["id"],
                     message["msisdn"])
            return
        bind = binds[next(self._rotation) % len(binds)]
        sent = bind.deliver(Deliver(source_addr=message["peer"], destination_addr=message["msisdn"],
                                    text=message["text"]))
        sent.addErrback(lambda f: log.warning("deliver_sm of sms %s failed: %s", message["id"], f.getErrorMessage()))


class BindRegistry:
    """The SMSC's backend on a cluster node: SmsService, with each bind registered in Redis."""

    def __init__(self, node: ClusterNode) -> None:
        self._node = node
        self._sms = node.sms

    def __getattr__(self, name: str):
        return getattr(self._sms, name)

    def bind_opened(self, bind) -> None:
        self._sms.bind_opened(bind)
        self._node._opened(bind)

    def bind_closed(self, bind) -> None:
        self._sms.bind_closed(bind)
        self._node._closed(bind)


