"""Driving the pure menu engine: runs each requested action in a store transaction."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from twisted.internet.defer import Deferred, inlineCallbacks

from core.catalogue import Catalogue as Offer
from core.corporate.login import REFUSALS as COMMITTED_REFUSALS
from core.errors import DomainError
from gateway.actions import Context, perform
from gateway.metrics import Metrics
from gateway.outbox import Outbox
from gateway.storework import StoreRunner
from menus import engine
from menus.schema import MenuSet

log = logging.getLogger(__name__)


class MenuRunner:
    """Turns engine outcomes into screens, running actions against the store."""

    def __init__(self, menus: Callable[[], MenuSet], store: StoreRunner, outbox: Outbox,
                 offer: Callable[[], Offer | None] = lambda: None, metrics: Metrics | None = None) -> None:
        self._metrics = metrics
        self._menus = menus
        self._store = store
        self._outbox = outbox
        self._offer = offer

    @property
    def menus(self) -> MenuSet:
        return self._menus()

    @property
    def offer(self) -> Offer | None:
        return self._offer()

    @inlineCallbacks
    def drive(self, outcome: engine.Outcome, ctx: Context) -> Deferred[engine.Screen]:
        """Run actions until the engine shows a screen."""
        menus = self.menus
        ctx.offer = self._offer()
        while isinstance(outcome, engine.Act):
            act = outcome
            ctx.sent = []
            try:
                outputs = yield self._store.run(_run_action, menus, ctx, act.action, dict(act.args))
                if isinstance(outputs, Refused):
                    self._outbox.publish(ctx.sent)
                    raise outputs.error
            except DomainError as error:
                log.info("action %s refused for %s: %s", act.action, ctx.msisdn, error.code)
                self._count(act.action, ctx, "refused")
                outcome = engine.failed(menus, act, error.code)
            else:
                log.info("action %s done for %s via %s", act.action, ctx.msisdn, ctx.channel)
                self._count(act.action, ctx, "done")
                self._outbox.publish(ctx.sent)
                outcome = engine.resume(menus, act, outputs)
        return outcome

    def _count(self, action: str, ctx: Context, outcome: str) -> None:
        if self._metrics is not None:
            self._metrics.actions.labels(action, ctx.channel, outcome).inc()

    def run_action(self, name: str, ctx: Context, args: dict | None = None) -> Deferred[dict]:
        """Run one action outside a dialogue (an SMS command); publishes its SMS."""
        ctx.sent = []
        ctx.offer = self._offer()
        d = self._store.run(_run_action, self.menus, ctx, name, args or {})

        def published(outputs):
            self._outbox.publish(ctx.sent)
            if isinstance(outputs, Refused):
                raise outputs.error
            return outputs

        return d.addCallback(published)


@dataclass(frozen=True)
class Refused:
    """A refusal whose changes must stay (a failure count): the transaction commits it."""

    error: DomainError


def _run_action(uow, menus: MenuSet, ctx: Context, name: str, args: dict) -> dict | Refused:
    try:
        return perform(uow, menus, ctx, name, args)
    except COMMITTED_REFUSALS as refusal:
        return Refused(refusal)
