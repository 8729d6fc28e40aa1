"""The composition root: reads the config, builds the store, menus and channels, listens."""

from __future__ import annotations

import gc
import logging
import os
import signal
from dataclasses import dataclass

from twisted.internet import threads
from twisted.internet.defer import Deferred, DeferredList
from twisted.web.server import Site

from core import autopay, options, promised, subscribers, support, tariffs
from core.catalogue import Catalogue as Offer
from core.catalogue import load_catalogue
from core.db.store import Store
from gateway import logsetup
from gateway.actions import CATALOGUE
from gateway.config import Config
from gateway.events import EventHub
from gateway.http.africastalking import AfricasTalkingApps
from gateway.http.api import Api
from gateway.http.ratelimit import Door, RateLimiter, limited_request
from gateway.ivr.protocol import SipProtocol
from gateway.ivr.service import VoiceService
from gateway.ivr.session import CallState, Timers
from gateway.ivr.speech import Prompts
from gateway.ivr.uas import UserAgentServer
from gateway.menurunner import MenuRunner
from gateway.metrics import Metrics
from gateway.outbox import Outbox
from gateway.scheduler import Job, Scheduler
from gateway.sms.protocol import SMSCFactory
from gateway.sms.service import SmsService
from gateway.sms.simulation import Simulation
from gateway.status import Status
from gateway.storework import StoreRunner
from gateway.testclock import TestClock
from gateway.ussd.service import UssdService
from gateway.ussd.session import Dialogues
from gateway.ussd.smpp import UssdOverSmpp
from gateway.web.eventsocket import HandsetEventsFactory
from gateway.web.site import Root
from menus.loader import lint, load
from menus.schema import MenuSet

log = logging.getLogger(__name__)

DEMO_AGE = 400 * 86400.0
DEMO_SUBSCRIBERS = (
    ("79261234567", "300.00", "ru"),
    ("79261112233", "150.00", "ru"),
    ("79267654321", "500.00", "en"),
)


def beside_checkout(configured: str) -> str:
    """A data file (menus, catalogue): as configured, else the one at the root of this checkout."""
    if os.path.exists(configured) or os.path.isabs(configured):
        return configured
    beside = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), configured)
    return beside if os.path.exists(beside) else configured


@dataclass
class Listening:
    name: str
    host: str
    port: int

    def line(self) -> str:
        return f"listening {self.name} {self.host}:{self.port}"


class Gateway:
    """Every channel in one reactor, sharing one store and one menu set."""

    def __init__(self, config: Config, reactor) -> None:
        self.config = config
        self.reactor = reactor
        # The services' time: the reactor, or with `test_clock` one that moves only when told.
        self.test_clock = TestClock(reactor, reactor.seconds()) if config.test_clock else None
        clock = self.test_clock or reactor
        self.menus: MenuSet = load(beside_checkout(config.menus), CATALOGUE)
        self.store = Store(config.db_url)
        self.metrics = Metrics()
        self.runner = StoreRunner(reactor, self.store, self.metrics)
        self.outbox = Outbox()
        self.ready = False
        self.offer: Offer = load_catalogue(beside_checkout(config.catalogue))
        menu_runner = MenuRunner(lambda: self.menus, self.runner, self.outbox, lambda: self.offer, self.metrics)
        self.ussd = UssdService(
            menu_runner, self.runner,
            Dialogues(config.ussd_screen_timeout, config.ussd_dialogue_limit, config.ussd_app_timeout),
            clock, config.otp_ttl, routes=dict(config.ussd_routes), metrics=self.metrics,
        )
        self.sms = SmsService(menu_runner, self.runner, self.outbox, clock, config.accounts, config.otp_ttl,
                              Simulation(config.sms_simulation), config.smpp_reassembly_timeout)
        self.sms.mo_retry = (config.smpp_mo_retry, config.smpp_mo_retry_max)
        self.sms.ussd = UssdOverSmpp(self.ussd, self.sms)
        self.ussd.http_apps = self.ussd_apps = AfricasTalkingApps(
            reactor, config.ussd_network_code, config.ussd_app_timeout)
        self.voice = VoiceService(menu_runner, self.runner, clock, config.otp_ttl, Timers(
            config.voice_first_digit_timeout, config.voice_inter_digit_timeout, config.voice_max_digits,
            config.voice_max_failures, config.voice_max_timeouts))
        self.api = Api(self.runner, self.ussd, self.sms, self.voice, self.outbox,
                       lambda: self.menus, clock, lambda: self.ready, self.metrics)
        self.api.advance_clock = self.advance_clock if self.test_clock else None
        # Real time, never the test clock: a bucket must refill while the test clock stands still.
        self.api.door = Door(RateLimiter(config.http_rate_limit, config.http_rate_burst, reactor), config.admin_token)
        self.status = Status(self.sms, self.ussd, self.voice, self.runner, reactor, clock)
        self.api.add_routes(self.status.routes("/api/v1"))
        self.api.catalogue = lambda: self.offer  # names of tariffs and options in the summary
        self.events = EventHub()  # what each handset's screen shows live (the web phone's WebSocket)
        self.outbox.subscribe(self.events.sms_arrived)
        self.ussd.on_screen = self.events.ussd_shown
        self.voice.observers.append(self.events.call_changed)
        self.api.on_account = self.events.account_changed
        self.cluster = self._cluster(config, reactor, clock) if config.redis else None
        self.status.cluster = self.cluster
        self._ports: list = []
        self._gauges()
        self.scheduler = Scheduler(clock, self.runner, self._jobs(), config.scheduler_interval)

    def _cluster(self, config: Config, reactor, clock):
        """Several nodes (docs/scaling.md): events, deliveries and USSD dialogues through Redis."""
        from gateway.cluster.dialogues import SharedDialogues
        from gateway.cluster.node import ClusterNode

        if self.store.is_sqlite:
            log.warning("--redis with SQLite: a SQLite store is this node's alone; share a PostgreSQL one (--db)")
        node = ClusterNode(reactor, config.redis, self.events, self.sms)
        node.dialogues = SharedDialogues(node.link, self.ussd, lambda: self.menus, clock, node.id)
        return node

    def _gauges(self) -> None:
        """Live state read at each scrape of /metrics, and counters fed by the services' listeners."""
        self.outbox.subscribe(lambda message: self.metrics.sms_to_handsets.inc())
        self.voice.observers.append(self._count_call)
        gauge = self.metrics.gauge
        gauge("gateway_store_queue_depth", "Store transactions waiting for a store thread", lambda: self.runner.queued)
        gauge("gateway_ussd_open_dialogues", "USSD dialogues open now", lambda: len(self.ussd.dialogues))
        gauge("gateway_voice_active_calls", "Voice-menu calls in progress", lambda: len(self.voice.calls))
        gauge("gateway_smpp_binds", "SMPP binds open now", lambda: self.sms.binds)
        if self.cluster is not None:
            cluster = self.cluster
            gauge("gateway_cluster_redis_up", "1 while this node hears the others through Redis",
                  lambda: int(cluster.link.listening))
            gauge("gateway_cluster_peers", "Other nodes whose announcements are current", lambda: cluster.peers)

    def _count_call(self, call) -> None:
        if call.state is CallState.ENDED and call.end_reason is not None:
            self.metrics.calls.labels(call.transport, call.end_reason.value).inc()

    def _jobs(self) -> list[Job]:
        """The core's periodic work, in the order a billing day needs it."""
        return [
            Job("promised payments due", promised.settle_due),
            Job("autopay", lambda uow, now: autopay.run_due(uow, self.offer, now)),
            Job("monthly tariff fees", lambda uow, now: tariffs.charge_monthly_fees(uow, self.offer, now)),
            Job("option and subscription fees", lambda uow, now: options.charge_fees(uow, self.offer, now)),
            Job("support answers", lambda uow, now: support.answer_pending(
                uow, self.offer, now, fallback=self.menus.text("support_fallback_answer"))),
        ]

    def reload_menus(self) -> bool:
        """Load menus.yaml again (SIGHUP); a file with problems never replaces the good one."""
        path = beside_checkout(self.config.menus)
        problems = lint(path, CATALOGUE)
        if problems:
            for problem in problems:
                log.error("menus not reloaded: %s", problem)
            return False
        self.menus = load(path, CATALOGUE)
        log.info("menus reloaded from %s", path)
        return True

    def prepare_store(self) -> None:
        """Migrate to head and, on a fresh store, add the demo subscribers."""
        self.store.upgrade()
        if not self.config.demo_subscribers:
            return
        # Demo subscribers are long-standing customers (a promised payment needs 60 days).
        since = (self.test_clock or self.reactor).seconds() - DEMO_AGE
        with self.store.transaction() as uow:
            for msisdn, balance, locale in DEMO_SUBSCRIBERS:
                if uow.subscribers.get(msisdn) is None:
                    subscribers.create(uow, msisdn, since, balance=int(balance.replace(".", "")), locale=locale)

    def start(self) -> list[Listening]:
        """Open the store and every listener; returns where each listens."""
        self.prepare_store()
        self.runner.start()
        self.sms.resume()  # MT held before a restart: delivered, expired or waiting again
        if self.cluster is not None:
            self.cluster.start()
        host = self.config.host
        site = Site(Root(self.api, HandsetEventsFactory(self.events, self.ussd.locale_of, self.reactor)),
                    requestFactory=limited_request(self.config.http_max_body))
        site.displayTracebacks = False
        http = self.reactor.listenTCP(self.config.http_port, site, interface=host)
        backend = self.cluster.backend() if self.cluster is not None else self.sms
        smpp = self.reactor.listenTCP(self.config.smpp_port, SMSCFactory(backend, self.reactor, metrics=self.metrics),
                                       interface=host)
        self.sip = SipProtocol(UserAgentServer(host, self.config.sip_port), self.voice,
                               lambda media: self.reactor.listenUDP(0, media, interface=host), self.reactor,
                               Prompts(lambda fn, *args: threads.deferToThreadPool(
                                   self.reactor, self.reactor.getThreadPool(), fn, *args)))
        sip = self.reactor.listenUDP(self.config.sip_port, self.sip, interface=host)
        self._ports = [http, smpp, sip]
        if self.test_clock is None:
            self.scheduler.start()  # with a test clock the jobs run on each advance instead
        self.ready = True
        return [Listening("http", host, http.getHost().port), Listening("smpp", host, smpp.getHost().port),
                Listening("sip", host, sip.getHost().port)]

    def advance_clock(self, seconds: float) -> Deferred:
        """Test clock: move time on, fire the timers due, run the periodic jobs once at the new time."""
        assert self.test_clock is not None
        self.test_clock.advance(seconds)
        return self.scheduler.tick().addCallback(lambda _: self.test_clock.seconds())

    def stop(self) -> Deferred:
        self.ready = False
        self.scheduler.stop()
        stopping = [d for d in (port.stopListening() for port in self._ports) if d is not None]
        if self._ports:
            stopping += self.sip.close()
        stopping += [self.ussd.records.settled(), self.ussd_apps.close(), self.voice.close()]
        if self.cluster is not None:
            stopping.append(self.cluster.stop())

        def release(result):
            self.runner.stop()
            self.store.dispose()
            return result

        return DeferredList(stopping).addBoth(release)


def run(config: Config) -> int:
    """`gateway run`: serve until SIGTERM or SIGINT."""
    from twisted.internet import reactor
    from twisted.logger import STDLibLogObserver, globalLogBeginner

    logsetup.configure(config.log_format, config.log_level)
    globalLogBeginner.beginLoggingTo([STDLibLogObserver()], redirectStandardIO=False)
    gateway = Gateway(config, reactor)
    for listening in gateway.start():
        print(listening.line(), flush=True)
    for account in config.accounts:
        if account.system_id == account.password:
            # Said without the password: a log never carries one, even a default.
            log.warning("SMPP account %s (%s) has its system_id for password (the development default); "
                        "replace it in production", account.system_id, account.role.value)
    for code, url in config.ussd_routes:
        log.info("ussd route *%s# -> %s", code, url)
    reactor.addSystemEventTrigger("before", "shutdown", gateway.stop)
    signal.signal(signal.SIGHUP, lambda *_: reactor.callFromThread(gateway.reload_menus))
    # The objects of the start (modules, menus, mappers) never die: out of the collector's
    # sight, and collections rarer, full collections stop pausing the reactor for tens of
    # milliseconds under load (p99 of submit_sm_resp 85 ms -> 25 ms in bench/smpp.py).
    gc.freeze()
    gc.set_threshold(10_000, 20, 20)
    reactor.run()
    return 0
