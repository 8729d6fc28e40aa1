"""USSD dialogues shared by the nodes through Redis: a dialogue dialled on one node is
answered on another.

How it works: each handset request through the HTTP handset API (`UssdService.handle`)
runs `around` it: first the handset's dialogue is read from Redis (`gw:ussd:<msisdn>`) and,
when another node moved it on, this node adopts it (its table, its timer); then the
request runs as on one node; then the dialogue is written back (version + 1) with a TTL
of what is left of the dialogue limit plus GRACE, and only then is the screen answered,
so the next request finds it wherever it lands. An ended dialogue leaves a tombstone
(`ended`) so that a node holding an old copy drops it instead of timing it out.

Which dialogue a copy is: its session id; a newer version of the same session supersedes
a copy (taken on, never recorded twice). A copy of another session than the stored one
was ended somewhere or lost with Redis: the node that ends and records a shared dialogue
sets its mark `gw:ussd:ended:<session id>` (naming the node) before the key moves on, so
a node finding its copy unmarked takes the mark itself and records the copy as released
(a new dial replaced it), quietly: exactly once across nodes, the new dialogue untouched.

Timers fire once across nodes: each node arms them for its own copies; when one fires,
a Lua script decides in Redis: a copy whose version is still the stored one (or whose
key is gone with Redis) is the current one and this node ends it, marking the key ended
in the same step; an older copy is dropped silently (the node that moved it on times it);
a copy of another session is settled by its mark as above. With the key gone, the mark
also keeps two nodes' copies of one dialogue from both timing it out.

Secrets: values typed at secret inputs (a corporate password) are never written to
Redis: `state_of` leaves them out and they stay in this node's memory for the dialogue's
life. A dialogue that moves to another node while it holds one cannot go on there: it is
ended cleanly and the handset dials again (docs/scaling.md).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

from twisted.internet.defer import Deferred, maybeDeferred, succeed
from twisted.internet.task import LoopingCall

from gateway.cluster.errors import STORE
from gateway.cluster.redislink import RedisLink
from gateway.ussd.events import Server
from gateway.ussd.session import Dialogue, dialogue_of, state_of
from menus.schema import Kind, MenuSet

log = logging.getLogger(__name__)
GRACE = 30.0  # Redis keeps a dialogue this long past its limit: its own timer ends it first
DEADLINES = "gw:ussd:deadlines"  # msisdn scored by when its dialogue runs out (the sweeper's list)
SWEEPER = "gw:ussd:sweeper"  # the lease of the node sweeping for the others
SWEEP_EVERY = 1.0  # seconds between sweeps
SWEEP_AFTER = 2.0  # seconds past a deadline before the sweeper ends a dialogue its node did not
SHARED_SERVERS = (Server.MENUS, Server.HTTP_APP)  # an SMPP application's bind is on one node
# In every state this node writes: it marks the dialogues it ends. A state without it comes
# from a node of an older release that does not: a copy of another session is then taken
# as ended there, never recorded twice.
MARKS = {"marks": True}

# The mark of an ended session names the node recording it: taken when free, or when already
# this node's (its timer and its next request may both ask); kept `keep` ms.
_MARK = """
local function mark(key, node, keep)
  local owner = redis.call('GET', key)
  if owner and owner ~= node then return false end
  redis.call('SET', key, node, 'PX', keep)
  return true
end
"""

# KEYS[1] the dialogue's key, KEYS[2] the mark of the copy's session; ARGV session id, version,
# node id, keep (ms). 1: this copy is the current one (or the key is gone with Redis) and this
# node times it out, the key now saying ended; 2: the key holds another dialogue, written by
# a node that marks, and nobody recorded this one (Redis lost it): this node ends it as
# released; 0: another node moved it on or ended it.
CLAIM_EXPIRY = _MARK + """
local raw = redis.call('GET', KEYS[1])
if not raw then
  if mark(KEYS[2], ARGV[3], ARGV[4]) then return 1 end
  return 0
end
local state = cjson.decode(raw)
if state['session_id'] ~= ARGV[1] then
  if state['marks'] and mark(KEYS[2], ARGV[3], ARGV[4]) then return 2 end
  return 0
end
if state['ended'] or tonumber(state['version']) > tonumber(ARGV[2]) then return 0 end
redis.call('SET', KEYS[1], cjson.encode({session_id = ARGV[1], ended = true, version = state['version'],
                                         marks = true}), 'KEEPTTL')
if mark(KEYS[2], ARGV[3], ARGV[4]) then return 1 end
return 0
"""

# KEYS[1] the mark of a copy's session; ARGV node id, keep (ms): 1 when this node records it.
CLAIM_LOST = _MARK + """
if mark(KEYS[1], ARGV[1], ARGV[2]) then return 1 end
return 0
"""


def dialogue_key(msisdn: str) -> str:
    return f"gw:ussd:{msisdn}"


def ended_key(session_id: str) -> str:
    """The mark of an ended dialogue: the id of the node that records it."""
    return f"gw:ussd:ended:{session_id}"


def secret_inputs(menus: MenuSet) -> frozenset[str]:
    """The names of the values typed at secret inputs of the menus."""
    return frozenset(node.input.name for node in menus.nodes.values()
                     if node.kind is Kind.INPUT and node.input is not None and node.input.secret)


class SharedDialogues:
    """The USSD service's dialogues, shared through Redis (`UssdService.shared`)."""

    def __init__(self, link: RedisLink, service, menus: Callable[[], MenuSet], clock, node_id: str) -> None:
        self._link = link
        self._node_id = node_id
        self._service = service
        self._menus = menus
        self._clock = clock
        self._secrets: dict[str, dict[str, str]] = {}  # session id -> secret values typed here
        self._tails: dict[str, Deferred] = {}  # msisdn -> the end of its requests queued here
        self._checking: set[str] = set()  # session ids whose expiry Redis is deciding
        self._confirmed: set[str] = set()  # session ids Redis said this node ends
        self._claim = link.client.register_script(CLAIM_EXPIRY)
        self._claim_lost = link.client.register_script(CLAIM_LOST)
        self._names_of: MenuSet | None = None
        self._names: frozenset[str] = frozenset()
        self._sweeper = LoopingCall(self._sweep)
        self._sweeper.clock = clock
        service.shared = self

    def start(self) -> None:
        self._sweeper.start(SWEEP_EVERY, now=False)

    def stop(self) -> None:
        if self._sweeper.running:
            self._sweeper.stop()

    def around(self, msisdn: str, fn: Callable[..., Deferred], *args) -> Deferred:
        """Run one handset request with the dialogue read from Redis first and written after;
        requests of one handset on this node run one at a time."""
        previous = self._tails.get(msisdn)
        finished: Deferred = Deferred()
        self._tails[msisdn] = finished
        started = succeed(None) if previous is None else previous

        def run(_):
            pulled = self._pull(msisdn)
            pulled.addCallback(lambda before: maybeDeferred(fn, *args).addBoth(self._push, msisdn, before))
            return pulled

        def done(result):
            if self._tails.get(msisdn) is finished:
                del self._tails[msisdn]
            finished.callback(None)
            return result

        chained: Deferred = Deferred()
        started.addBoth(lambda _: run(None).addBoth(done).chainDeferred(chained))
        return chained

    # -- reading ----------------------------------------------------------------------------

    def _pull(self, msisdn: str) -> Deferred[Dialogue | None]:
        read = self._link.run(lambda client: client.get(dialogue_key(msisdn)), code=STORE)
        return read.addCallback(self._pulled, msisdn)

    def _pulled(self, raw: str | None, msisdn: str) -> Dialogue | None | Deferred[Dialogue | None]:
        local = self._service.dialogues.get(msisdn)
        state = json.loads(raw) if raw else None
        if state is None:  # never shared, or Redis lost it: this node's copy, if any, goes on
            return local
        if local is not None and not_its_copy(local, state):
            # Ended first (recorded here unless another node did), then the stored one is taken on.
            settled = self._settle(local, state)
            return settled.addCallback(lambda _: self._take(state, self._service.dialogues.get(msisdn), msisdn))
        return self._take(state, local, msisdn)

    def _take(self, state: dict, local: Dialogue | None, msisdn: str) -> Dialogue | None:
        """The stored dialogue, taken on unless `local` is it already."""
        if state.get("ended"):
            if local is not None and local.session_id == state["session_id"]:
                self._drop(local)  # ended on another node, which recorded it
                return None
            return local
        if local is not None and local.session_id == state["session_id"] and local.version >= state["version"]:
            return local
        sid = state["session_id"]
        try:
            moved = dialogue_of(state, self._secrets.get(sid))
        except KeyError:  # typed on the node it comes from, and only there
            stripped = dialogue_of({**state, "secrets": []})
            self._service.abandon(stripped)
            return stripped  # gone from the table now: written back as ended
        if local is not None and local.session_id == sid:
            moved.terminal = local.terminal
        self._service.adopt(moved)
        log.info("ussd dialogue %s of %s taken on from another node (version %d)", sid, msisdn, moved.version)
        return moved

    def _drop(self, d: Dialogue) -> None:
        self._service.forget(d)
        self._secrets.pop(d.session_id, None)

    def _settle(self, d: Dialogue, state: dict) -> Deferred[None]:
        """End this node's copy `d`, which the stored dialogue `state` does not continue:
        recorded here (released) when no node did, else dropped; `state` is left alone."""
        sid = d.session_id
        if d.version > 0 and not state.get("marks"):  # its writer ended and recorded `d` unmarked
            log.info("ussd dialogue %s ended on another node: this copy dropped", sid)
            self._drop(d)
            return succeed(None)
        claim = self._link.run(lambda client: self._claim_lost(keys=[ended_key(sid)],
                                                               args=[self._node_id, self._keep_ms()]), code=STORE)

        def decided(mine) -> None:
            if self._service.dialogues.get(d.msisdn) is not d:
                return  # its timer ended it meanwhile
            if mine:
                self._supersede(d)
            else:
                log.info("ussd dialogue %s ended on another node: this copy dropped", sid)
                self._drop(d)

        return claim.addCallback(decided)

    def _supersede(self, d: Dialogue) -> None:
        self._secrets.pop(d.session_id, None)
        self._service.supersede(d)

    def _keep_ms(self) -> int:
        # As long as the dialogue could have lived: any node's older copy finds it.
        return int((self._service.dialogues.dialogue_limit + GRACE) * 1000)

    # -- writing ----------------------------------------------------------------------------

    def _push(self, result, msisdn: str, before: Dialogue | None):
        """Write back what the request left (an answer or a failure, passed on as it was)."""
        after = self._service.dialogues.get(msisdn)
        # A shared dialogue the request ended here (and recorded): marked with the write.
        ended = before if before is not None and before is not after and before.version > 0 else None
        if ended is not None:
            self._secrets.pop(ended.session_id, None)
        if after is not None and after.terminal is None and after.server in SHARED_SERVERS:
            written = self._write(after, ended)
        elif ended is not None:
            written = self._tombstone(ended)
        else:
            return result
        # The screen is answered once the dialogue is in Redis; when it cannot be, the
        # handset still gets it and the dialogue goes on here (and only here).
        written.addErrback(lambda f: log.error("ussd dialogue of %s not shared: %s", msisdn, f.getErrorMessage()))
        return written.addCallback(lambda _: result)

    def _secret_names(self) -> frozenset[str]:
        menus = self._menus()
        if menus is not self._names_of:  # a reload (SIGHUP) may add secret inputs
            self._names_of, self._names = menus, secret_inputs(menus)
        return self._names

    def _write(self, d: Dialogue, ended: Dialogue | None = None) -> Deferred:
        names = self._secret_names()
        if d.cursor is not None:
            typed = {name: value for name, value in d.cursor.values if name in names}
            if typed:
                self._secrets[d.session_id] = typed
        d.version += 1
        raw = json.dumps({**state_of(d, names), **MARKS}, separators=(",", ":"))
        left = d.started_at + self._service.dialogues.dialogue_limit + GRACE - self._clock.seconds()
        when, _ = self._service.dialogues.expiry(d)

        def write(client) -> None:
            with client.pipeline(transaction=False) as pipe:
                if ended is not None:  # first: whoever reads the new dialogue finds the old one marked
                    pipe.set(ended_key(ended.session_id), self._node_id, px=self._keep_ms())
                pipe.set(dialogue_key(d.msisdn), raw, px=max(1, int(left * 1000)))
                pipe.zadd(DEADLINES, {d.msisdn: when})
                pipe.execute()

        return self._link.run(write, code=STORE)

    def _tombstone(self, d: Dialogue) -> Deferred:
        # Kept as long as the dialogue could have lived: a node's older copy finds it ended.
        raw = json.dumps({"session_id": d.session_id, "ended": True, "version": d.version + 1, **MARKS})
        keep = self._keep_ms()

        def write(client) -> None:
            with client.pipeline(transaction=False) as pipe:
                pipe.set(ended_key(d.session_id), self._node_id, px=keep)
                pipe.set(dialogue_key(d.msisdn), raw, px=keep)
                pipe.zrem(DEADLINES, d.msisdn)
                pipe.execute()

        return self._link.run(write, code=STORE)

    # -- timers --------------------------------------------------------------------------------

    def may_expire(self, d: Dialogue, again: Callable[[], None]) -> bool:
        """Whether this node ends `d` now its timer fired; False while Redis decides (`again`
        fires the timer once more when it has)."""
        sid = d.session_id
        if d.version == 0 or sid in self._confirmed:
            self._confirmed.discard(sid)
            return True
        if sid in self._checking:
            return False
        self._checking.add(sid)
        claim = self._link.run(lambda client: self._claim(keys=[dialogue_key(d.msisdn), ended_key(sid)],
                                                          args=[sid, d.version, self._node_id, self._keep_ms()]),
                               code=STORE)

        def decided(mine) -> None:
            self._checking.discard(sid)
            if self._service.dialogues.get(d.msisdn) is not d:
                return
            if not mine:
                log.info("ussd dialogue %s moved on to another node: this copy dropped", sid)
                self._drop(d)
                return
            if mine == 2:  # replaced by a dial that never saw it: ended as that dial would have
                self._supersede(d)
                return
            self._confirmed.add(sid)
            self._secrets.pop(sid, None)
            again()

        def unknown(failure) -> None:
            # Redis is away: a timer must not wait for it; this node ends its own copy.
            log.error("ussd dialogue %s: redis cannot say who ends it (%s); ending it here", sid,
                      failure.getErrorMessage())
            decided(1)

        claim.addCallbacks(decided, unknown)
        claim.addErrback(lambda f: log.error("ussd expiry of %s: %s", sid, f.getTraceback()))
        return False

    # -- the sweeper: dialogues whose node died ----------------------------------------------------

    def _sweep(self) -> Deferred:
        """With the lease, take on the dialogues SWEEP_AFTER past their deadline: a node that
        served them last would have ended them, so it is gone; this node's timer ends them
        (through the same claim, so once)."""
        now = self._clock.seconds()
        lease = int(SWEEP_EVERY * 3 * 1000)

        def overdue(client) -> list[str]:
            if not client.set(SWEEPER, self._node_id, nx=True, px=lease):
                if client.get(SWEEPER) != self._node_id:
                    return []
                client.pexpire(SWEEPER, lease)
            found = []
            for msisdn in client.zrangebyscore(DEADLINES, "-inf", now - SWEEP_AFTER, start=0, num=100):
                client.zrem(DEADLINES, msisdn)
                raw = client.get(dialogue_key(msisdn))
                if raw is not None:
                    found.append(raw)
            return found

        swept = self._link.run(overdue, code=STORE)
        swept.addCallback(self._take_overdue)
        swept.addErrback(lambda f: log.warning("ussd sweep: %s", f.getErrorMessage()))
        return swept

    def _take_overdue(self, states: list[str]) -> None:
        for raw in states:
            state = json.loads(raw)
            if state.get("ended"):
                continue
            local = self._service.dialogues.get(state["msisdn"])
            if local is not None and local.session_id == state["session_id"] and local.version >= state["version"]:
                continue  # this node's own: its timer is on it
            log.info("ussd dialogue %s of %s overdue and its node silent: ended here", state["session_id"],
                     state["msisdn"])
            taken = dialogue_of({**state, "secrets": []})
            if local is not None and not_its_copy(local, state):
                settled = self._settle(local, state)
                settled.addCallback(lambda _, taken=taken: self._adopt_if_free(taken))
                settled.addErrback(lambda f: log.warning("ussd sweep: %s", f.getErrorMessage()))
            else:
                self._service.adopt(taken)  # its timer fires at once

    def _adopt_if_free(self, d: Dialogue) -> None:
        if self._service.dialogues.get(d.msisdn) is None:  # a request may have taken one on meanwhile
            self._service.adopt(d)


def not_its_copy(local: Dialogue, state: dict) -> bool:
    """Whether this node's dialogue is neither the stored one nor an older version of it: then
    it ended elsewhere, or Redis lost it. A copy never shared stays this node's own beside
    the tombstone of another dialogue."""
    if local.session_id == state["session_id"]:
        return False
    return local.version > 0 or not state.get("ended")
