"""The built-in engine: rules over the shopper's words, answers from the tools.

First the line's language (``language.py``): a language the engine does not
speak gets an honest answer (in that language where there is one) and a
handoff offer; Spanish, French, German, Portuguese and Italian are read into
the engine's English words (``translate.py``) and answered in the shopper's
language (``messages/``). Then, in order (the first that applies answers):

1. a pending offer of a human answered "yes" / "no";
2. handoff triggers: an explicit request, complaint words, an angry tone;
3. greetings, thanks, goodbyes and other small talk;
4. the order-status dialogue (an order number, an email, "where is my order?");
5. a question in a language the detector did not catch (English lines only); a line that tries
   to instruct the assistant is refused first of all;
6. a product's maker, a brand's products, a product's attributes from its description (``facts``);
   store content: shipping, returns, policies, contact and hours;
7. products: search, details and price, availability, comparison;
8. any other store content that clearly matches; out of scope; not understood.

A reply that leaves the question unanswered counts toward the "two
unanswered turns in a row" handoff rule (``Turn.unanswered_streak`` from the
service, and the engine's own count in ``context["misses"]``).
"""

from __future__ import annotations

import re

from core.assistant import handoff_rules
from core.assistant.builtin import facts, knowledge, language, orders, shopping
from core.assistant.builtin.dialogue import ENGINE, Answer, Dialogue
from core.assistant.builtin.messages import UNSPOKEN
from core.assistant.builtin.templates import QUICK, quick
from core.assistant.builtin.text import (
    angry,
    asks_if_bot,
    complaint,
    content_words,
    foreign_language,
    gives_instructions,
    is_ack,
    is_goodbye,
    is_no,
    is_yes,
    strip_greeting,
    strip_thanks,
    wants_human,
)
from core.assistant.builtin.translate import translation
from core.assistant.engine import Reply, Turn
from core.assistant.tools import Tools

_OFF_TOPIC = re.compile(
    r"\b(weather|forecast|joke|jokes|news|politics?|president|election|sports?|football|soccer|basketball|"
    r"baseball|recipes?|cook|poem|poems|story|stories|song|songs|lyrics|movies?|films?|tv show|bitcoin|crypto|"
    r"stock market|homework|math|equation|capital of|meaning of life|translate|write (me )?(a|an|some) (code|"
    r"essay|poem|story|letter)|code|programming|python|javascript|horoscope|lottery|dating|medical|doctor|"
    r"diagnos\w*|lawyer|legal advice|who (are|is) (you|the)|what time is it|how old are you|your name)\b",
    re.I,
)

_STORE = re.compile(
    r"\b(ship|shipping|deliver|delivery|return|returns|refund|order|price|prices|cost|stock|buy|sell|"
    r"size|wear|gift|products?|store|shop|discount|sale|available|\$)",
    re.I,
)


class BuiltinEngine:
    name = ENGINE
    waits = False

    def reply(self, turn: Turn, tools: Tools) -> Reply:
        previous = (turn.context or {}).get("lang")
        lang = language.for_turn(
            turn.text, previous if previous in language.SPOKEN else None, tools.locale, turn.shop.locale
        )
        if lang not in language.SPOKEN:
            return _unspoken(turn, tools, lang, previous)
        # A line in another language is read through its lexicon; the reply is worded in that language,
        # and the handoff tool's note (when the team is back) follows it.
        english, origin = translation(turn.text, lang)
        if language.supported(tools.locale) != lang:
            tools.locale = lang  # the page's "en-US" (a 12-hour clock) stays when the shopper writes English
        d = Dialogue(turn, tools, lang, origin)
        answer = _answer(d, english.strip())
        misses = 0 if answer.answered else int(d.prev.get("misses") or 0) + 1
        if not answer.answered and answer.handoff is None and max(misses - 1, turn.unanswered_streak) >= 1:
            # The second unanswered turn in a row: a person takes over.
            answer = Answer(
                d.t.render("handoff_unanswered"), answer.intent, answered=False, handoff="unanswered twice in a row"
            )
        answer.context = {k: v for k, v in answer.context.items() if v not in (None, [], {})}
        if misses:
            answer.context["misses"] = misses
        if answer.handoff:
            handed = tools.handoff(answer.handoff)
            if handed.get("team_away"):  # outside business hours: when the team is back, not "connecting you"
                answer.text = d.t.render("handoff_away", away=handed["say"])
        answer.context["lang"] = lang
        if lang != "en" and (said := d.words_said()):
            answer.context["said"] = said
        answer.quick_replies = [_quick_in(q, lang) for q in answer.quick_replies]
        reply = answer.reply()
        reply.language = lang
        return reply


def _quick_in(text: str, lang: str) -> str:
    """An English quick reply of ``QUICK`` in ``lang`` (a product title stays as it is)."""
    for kind, replies in QUICK.items():
        if text in replies:
            return quick(kind, lang)[replies.index(text)]
    return text


def _unspoken(turn: Turn, tools: Tools, lang: str, previous: object) -> Reply:
    """A language the engine does not speak: say so, in it where we can, and offer a person."""
    d = Dialogue(turn, tools)
    text = UNSPOKEN.get(lang) or d.t.render("other_language")
    context: dict[str, object] = {"offer": "human"}
    if previous in language.SPOKEN:
        context["lang"] = previous
    reply = Answer(text, "other_language", [], list(QUICK["human"]), context, answered=False).reply()
    reply.language = lang if lang in UNSPOKEN else "en"
    return reply


def _answer(d: Dialogue, raw: str) -> Answer:
    if not re.search(r"\w", raw):
        return Answer(d.t.render("unknown"), "unknown", answered=False)

    if gives_instructions(raw):
        # Refused plainly, never searched for or echoed: the words are the shopper's, not the store's.
        return Answer(d.t.render("refuse_instructions"), "refused", [], list(QUICK["start"]))

    if d.prev.get("offer") == "human":
        if is_yes(raw):
            return _handoff(d, "handoff_requested", "human", "requested")
        if is_no(raw):
            return Answer(d.t.render("declined"), "thanks")

    if wants_human(raw):
        return _handoff(d, "handoff_requested", "human", "requested")
    if (name := handoff_rules.topic(d.turn.shop, raw)) is not None:  # the shop's own rule
        return _handoff(d, "handoff_requested", "human", f"topic: {name}")
    if handoff_rules.complaints_to_person(d.turn.shop) and (phrase := complaint(raw)) is not None:
        return _handoff(d, "handoff_complaint", "complaint", f"complaint: {phrase}")
    if handoff_rules.complaints_to_person(d.turn.shop) and angry(raw):
        return _handoff(d, "handoff_angry", "complaint", "angry tone")

    greeted, text = strip_greeting(raw)
    thanked, text = strip_thanks(text)
    text = text.strip()
    if not re.search(r"\w", text):
        return (
            Answer(d.t.render("thanks"), "thanks")
            if thanked
            else Answer(d.t.render("greeting"), "greeting", quick_replies=list(QUICK["start"]))
        )
    if is_goodbye(text):
        return Answer(d.t.render("goodbye"), "thanks")
    if is_ack(text) and not orders.pending(d):
        return Answer(d.t.render("ack"), "thanks")
    if is_yes(text) and not orders.pending(d):
        return Answer(d.t.render("prompt"), "greeting", quick_replies=list(QUICK["start"]))
    if is_no(text):
        return Answer(d.t.render("declined"), "thanks")
    if asks_if_bot(text):
        return Answer(d.t.render("bot"), "greeting", quick_replies=list(QUICK["human"]), context={"offer": "human"})

    if orders.wants_order(d, text):
        return orders.handle(d, text)

    if d.lang == "en" and foreign_language(text):
        return Answer(
            d.t.render("other_language"), "other_language", [], list(QUICK["human"]), {"offer": "human"}, answered=False
        )

    if _OFF_TOPIC.search(text) and not _STORE.search(text) and not d.vocab.mention(text).words:
        return Answer(d.t.render("out_of_scope"), "out_of_scope", [], list(QUICK["start"]), answered=False)

    found = knowledge.topics(text)
    if (about := facts.route(d, text, attributes_too=not found or _about_a_product(d, text, found))) is not None:
        return about
    if found and not _about_a_product(d, text, found):
        return knowledge.answer(d, found, text)
    if orders.WEAK_CUE.search(text) and not found:
        return orders.handle(d, text)

    product = shopping.route(d, text)
    if product is not None:
        return product
    if found:
        return knowledge.answer(d, found, text)
    if (store := knowledge.fallback(d, text)) is not None:
        return store
    if len(content_words(text)) and len(text.split()) <= 6:
        product = shopping.route(d, text, fallback_search=True)
        if product is not None:
            return product
    return Answer(d.t.render("unknown"), "unknown", [], list(QUICK["start"]), answered=False)


def _about_a_product(d: Dialogue, text: str, found: list[knowledge.Topic]) -> bool:
    """ "Is the varsity top in stock?" is a product question even though "stock" ... ; the few topics
    that a product name can carry ("does the jacket come in a different size?") go to the product."""
    generic = {"exchange", "size_guide", "warranty", "hours"}
    if not all(t.name in generic for t in found):
        return False
    if [t.name for t in found] == ["warranty"] and d.focus is not None and not d.vocab.mention(text).words:
        return True  # "what's the warranty?" right after a product: that product's
    return d.vocab.mention(text, within=d.shown).product is not None


def _handoff(d: Dialogue, key: str, intent: str, reason: str) -> Answer:
    return Answer(d.t.render(key), intent, handoff=reason)
