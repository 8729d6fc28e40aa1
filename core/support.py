"""Support (R25): questions to the operator, a simulated operator's answers, the FAQ by topic.

How it works: `answer_pending` plays the operator. A question waiting at least `delay`
seconds gets the FAQ answer of its topic whose question shares the most keywords with it
(words of four letters or more, compared by their first five letters as a crude stem, a few
common words left out), in the subscriber's language; with no keyword in common it gets the
standard answer the caller passes in.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from core import subscribers
from core.access import Actor, require_change, require_view
from core.catalogue import Catalogue, FaqEntry, FaqTopic, UnknownItem
from core.errors import InvalidInput
from core.ports import SupportQuestionRecord, UnitOfWork

MAX_TEXT = 1000
ANSWER_DELAY = 300.0  # seconds the simulated operator takes
PENDING, ANSWERED = "pending", "answered"
_WORD = re.compile(r"\w+")
_STOP = frozenset({
    "если", "когда", "почему", "можно", "меня", "мне", "мой", "моя", "мои", "это", "этот", "какой",
    "делать", "сделать", "нужно", "надо", "what", "when", "where", "which", "with", "this", "that",
    "have", "does", "your", "about", "there", "should",
})


@dataclass(frozen=True)
class Question:
    id: int
    topic: str
    text: str
    status: str
    asked_at: float
    answer: str | None
    answered_at: float | None


def topics(catalogue: Catalogue) -> list[FaqTopic]:
    """The FAQ topics in catalogue order."""
    return list(catalogue.faq.values())


def faq(catalogue: Catalogue, topic_id: str) -> tuple[FaqEntry, ...]:
    """The questions and answers of one FAQ topic."""
    return _topic(catalogue, topic_id).entries


def ask(uow: UnitOfWork, catalogue: Catalogue, actor: Actor, msisdn: str, topic_id: str, text: str,
        now: float) -> Question:
    """Send a question (1 to 1000 characters) on one of the FAQ topics."""
    msisdn = require_change(uow, actor, msisdn)
    topic = _topic(catalogue, topic_id)
    text = text.strip() if isinstance(text, str) else ""
    if not 1 <= len(text) <= MAX_TEXT:
        raise InvalidInput(f"a question is 1 to {MAX_TEXT} characters")
    return _question(uow.questions.add(msisdn, topic.id, text, now))


def questions(uow: UnitOfWork, actor: Actor, msisdn: str) -> list[Question]:
    """The number's questions with their status and answers, oldest first."""
    msisdn = require_view(uow, actor, msisdn)
    return [_question(row) for row in uow.questions.of(msisdn)]


def answer_pending(uow: UnitOfWork, catalogue: Catalogue, now: float, *, fallback: Mapping[str, str],
                   delay: float = ANSWER_DELAY) -> int:
    """Answer every question asked at least `delay` seconds ago; returns how many."""
    waiting = uow.questions.pending(now - delay)
    for row in waiting:
        locale = subscribers.require(uow, row.msisdn).locale
        entry = _best_entry(catalogue.faq.get(row.topic), row.text)
        texts = entry.answer if entry else fallback
        row.answer = texts.get(locale) or next(iter(texts.values()), "")
        row.status, row.answered_at = ANSWERED, now
    return len(waiting)


def _best_entry(topic: FaqTopic | None, text: str) -> FaqEntry | None:
    asked = _keywords(text)
    best, best_score = None, 0
    for entry in topic.entries if topic else ():
        score = len(asked & set().union(*(_keywords(q) for q in entry.question.values())))
        if score > best_score:
            best, best_score = entry, score
    return best


def _keywords(text: str) -> set[str]:
    words = _WORD.findall(text.lower().replace("ё", "е"))
    return {word[:5] for word in words if len(word) >= 4 and word not in _STOP and not word.isdigit()}


def _topic(catalogue: Catalogue, topic_id: str) -> FaqTopic:
    try:
        return catalogue.faq[topic_id]
    except (KeyError, TypeError):
        raise UnknownItem(f"no FAQ topic {topic_id!r}") from None


def _question(row: SupportQuestionRecord) -> Question:
    return Question(id=row.id, topic=row.topic, text=row.text, status=row.status, asked_at=row.asked_at,
                    answer=row.answer, answered_at=row.answered_at)
