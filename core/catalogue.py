"""The operator's catalogue (catalogue.yaml): typed, checked at load, with FILE:LINE errors."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import yaml

from core.errors import DomainError, InvalidAmount
from core.money import parse_roubles
from core.yamlmarks import Located, error_line, load_located

Name = Mapping[str, str]  # locale -> text
LOCALES = ("ru", "en")
PERIODS = ("day", "week", "month")
PACKAGE_KINDS = ("minutes", "sms", "internet_mb")
REWARD_KINDS = (*PACKAGE_KINDS, "roaming_minutes", "fee_discount_percent")


class UnknownItem(DomainError):
    """A tariff, option, subscription, package or reward the catalogue does not have."""

    code = "unknown_item"


class CatalogueError(Exception):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Tariff:
    id: str
    name: Name
    monthly_fee: int
    change_fee: int
    packages: Mapping[str, int]
    corporate: bool = False
    available: bool = True


@dataclass(frozen=True)
class Option:
    id: str
    name: Name
    fee: int
    period: str
    connect_fee: int
    incompatible: tuple[str, ...] = ()


@dataclass(frozen=True)
class Subscription:
    id: str
    name: Name
    fee: int
    period: str


@dataclass(frozen=True)
class Package:
    id: str
    name: Name
    kind: str
    amount: int
    price: int


@dataclass(frozen=True)
class Reward:
    id: str
    name: Name
    points: int
    kind: str
    amount: int


@dataclass(frozen=True)
class BonusRules:
    earn_per_10_roubles_top_up: int
    earn_per_10_roubles_spent: int
    rewards: Mapping[str, Reward]


@dataclass(frozen=True)
class FeeTier:
    up_to: int
    fee: int


@dataclass(frozen=True)
class PromisedPaymentRules:
    max_amount: int
    term_days: int
    min_account_age_days: int
    fees: tuple[FeeTier, ...]

    def fee_for(self, amount: int) -> int:
        for tier in self.fees:
            if amount <= tier.up_to:
                return tier.fee
        raise InvalidAmount(f"a promised payment is at most {self.max_amount / 100:.2f}")


@dataclass(frozen=True)
class RoamingRates:
    voice_menu_minute: int
    sms: int


@dataclass(frozen=True)
class FaqEntry:
    question: Name
    answer: Name


@dataclass(frozen=True)
class FaqTopic:
    id: str
    title: Name
    entries: tuple[FaqEntry, ...]


@dataclass(frozen=True)
class Catalogue:
    tariffs: Mapping[str, Tariff]
    options: Mapping[str, Option]
    subscriptions: Mapping[str, Subscription]
    packages: Mapping[str, Package]
    bonus: BonusRules
    promised_payment: PromisedPaymentRules
    roaming: RoamingRates
    sim_replacement_fee: int
    faq: Mapping[str, FaqTopic]

    def tariff(self, tariff_id: str) -> Tariff:
        return _find(self.tariffs, tariff_id, "tariff")

    def option(self, option_id: str) -> Option:
        return _find(self.options, option_id, "option")

    def subscription(self, subscription_id: str) -> Subscription:
        return _find(self.subscriptions, subscription_id, "subscription")

    def package(self, package_id: str) -> Package:
        return _find(self.packages, package_id, "package")

    def reward(self, reward_id: str) -> Reward:
        return _find(self.bonus.rewards, reward_id, "bonus reward")


def _find(items: Mapping, item_id: str, what: str):
    try:
        return items[item_id]
    except (KeyError, TypeError):
        raise UnknownItem(f"no {what} {item_id!r}") from None


def load_catalogue(path: str) -> Catalogue:
    """Read and check a catalogue file; CatalogueError lists every problem as FILE:LINE."""
    try:
        with open(path, encoding="utf-8") as handle:
            raw = load_located(handle)
    except OSError as error:
        raise CatalogueError([f"{path}:0: cannot read: {error.strerror}"]) from error
    except yaml.YAMLError as error:
        raise CatalogueError([f"{path}:{error_line(error)}: YAML: {getattr(error, 'problem', None) or error}"]) from error
    reader = _Reader(path)
    catalogue = reader.catalogue(raw)
    if reader.problems:
        raise CatalogueError(reader.problems)
    return catalogue


class _Reader:
    def __init__(self, path: str) -> None:
        self.path = path
        self.problems: list[str] = []

    def fail(self, line: int, message: str) -> None:
        self.problems.append(f"{self.path}:{line}: {message}")

    def section(self, parent: Located, key: str) -> Located:
        value = parent.get(key)
        if not isinstance(value, Located):
            self.fail(parent.line_of(key), f"{key!r} must be a mapping")
            return Located()
        return value

    def money(self, parent: Located, key: str) -> int:
        try:
            return parse_roubles(str(parent[key]))
        except KeyError:
            self.fail(parent.line, f"missing {key!r}")
        except InvalidAmount as error:
            self.fail(parent.line_of(key), f"{key}: {error.message}")
        return 0

    def count(self, parent: Located, key: str, default: int | None = None) -> int:
        value = parent.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            self.fail(parent.line_of(key), f"{key!r} must be a whole number >= 0")
            return 0
        return value

    def choice(self, parent: Located, key: str, allowed: tuple[str, ...]) -> str:
        value = parent.get(key)
        if value not in allowed:
            self.fail(parent.line_of(key), f"{key!r} must be one of {', '.join(allowed)}")
            return allowed[0]
        return value

    def name(self, parent: Located, key: str = "name") -> dict[str, str]:
        value = parent.get(key)
        if not isinstance(value, Located) or any(not isinstance(value.get(loc), str) for loc in LOCALES):
            self.fail(parent.line_of(key), f"{key!r} needs ru and en texts")
            return {}
        return dict(value)

    def items(self, raw: Located, key: str, build) -> dict:
        result = {}
        section = self.section(raw, key)
        for item_id, value in section.items():
            if not isinstance(value, Located):
                self.fail(section.line_of(item_id), f"{key}.{item_id} must be a mapping")
                continue
            result[str(item_id)] = build(str(item_id), value)
        return result

    def catalogue(self, raw: object) -> Catalogue | None:
        if not isinstance(raw, Located):
            self.fail(1, "the catalogue must be a mapping")
            return None
        tariffs = self.items(raw, "tariffs", lambda i, v: Tariff(
            id=i, name=self.name(v), monthly_fee=self.money(v, "monthly_fee"), change_fee=self.money(v, "change_fee"),
            packages={kind: self.count(self.section(v, "packages"), kind, 0) for kind in PACKAGE_KINDS},
            corporate=bool(v.get("corporate", False)), available=bool(v.get("available", True)),
        ))
        options = self.items(raw, "options", lambda i, v: Option(
            id=i, name=self.name(v), fee=self.money(v, "fee"), period=self.choice(v, "period", PERIODS),
            connect_fee=self.money(v, "connect_fee"), incompatible=tuple(v.get("incompatible", ())),
        ))
        for option in options.values():
            for other in option.incompatible:
                if other not in options:
                    self.fail(raw["options"].line_of(option.id), f"option {option.id!r}: unknown incompatible option {other!r}")
        subscriptions = self.items(raw, "subscriptions", lambda i, v: Subscription(
            id=i, name=self.name(v), fee=self.money(v, "fee"), period=self.choice(v, "period", PERIODS),
        ))
        packages = self.items(raw, "packages", lambda i, v: Package(
            id=i, name=self.name(v), kind=self.choice(v, "kind", PACKAGE_KINDS),
            amount=self.count(v, "amount"), price=self.money(v, "price"),
        ))
        bonus_raw = self.section(raw, "bonus")
        bonus = BonusRules(
            earn_per_10_roubles_top_up=self.count(bonus_raw, "earn_per_10_roubles_top_up", 0),
            earn_per_10_roubles_spent=self.count(bonus_raw, "earn_per_10_roubles_spent", 0),
            rewards=self.items(bonus_raw, "rewards", lambda i, v: Reward(
                id=i, name=self.name(v), points=self.count(v, "points"),
                kind=self.choice(v, "kind", REWARD_KINDS), amount=self.count(v, "amount"),
            )),
        )
        pp = self.section(raw, "promised_payment")
        tiers = []
        for tier in pp.get("fees") or []:
            if isinstance(tier, Located):
                tiers.append(FeeTier(up_to=self.money(tier, "up_to"), fee=self.money(tier, "fee")))
            else:
                self.fail(pp.line_of("fees"), "each promised payment fee tier is {up_to, fee}")
        promised = PromisedPaymentRules(
            max_amount=self.money(pp, "max_amount"), term_days=self.count(pp, "term_days", 3),
            min_account_age_days=self.count(pp, "min_account_age_days", 0), fees=tuple(sorted(tiers, key=lambda t: t.up_to)),
        )
        if not tiers or promised.fees[-1].up_to < promised.max_amount:
            self.fail(pp.line_of("fees"), "promised payment fee tiers must reach max_amount")
        roaming_raw = self.section(raw, "roaming")
        roaming = RoamingRates(voice_menu_minute=self.money(roaming_raw, "voice_menu_minute"),
                               sms=self.money(roaming_raw, "sms"))
        corporate = self.section(raw, "corporate")
        faq = self.items(raw, "faq", lambda i, v: FaqTopic(
            id=i, title=self.name(v, "title"),
            entries=tuple(FaqEntry(self.name(e, "q"), self.name(e, "a")) for e in v.get("entries", []) if isinstance(e, Located)),
        ))
        return Catalogue(
            tariffs=tariffs, options=options, subscriptions=subscriptions, packages=packages, bonus=bonus,
            promised_payment=promised, roaming=roaming,
            sim_replacement_fee=self.money(corporate, "sim_replacement_fee") if "sim_replacement_fee" in corporate else 0,
            faq=faq,
        )
