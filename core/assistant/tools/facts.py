"""Product facts the store wrote itself: the sentences (or table rows) of a
product's description that answer "what is it made of?", "how big is it?",
"how do I wash it?", "what's included?".

Nothing is inferred: a fact is a sentence of the description, quoted as the
store wrote it, chosen because it carries the words of the attribute asked
about. When no sentence does, the answer is "the description doesn't say",
never a guess. And the stock a shop lets its assistant tell
(``shops.settings["assistant"]``):

``disclose_stock``
    ``true`` (default): a tracked variant's count may be said;
    ``false``: never say a count (only in stock, sold out, "only a few left").
``low_stock_threshold``
    a tracked count at or under it (default 5) is "only a few left", without
    the number.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Any

#: attribute -> (words that ask about it, words or patterns a sentence answering it carries).
ATTRIBUTES: dict[str, tuple[str, str]] = {
    "material": (
        r"materials?|made (?:of|from|out of)|fabrics?|composition|what(?:'s| is) it made|"
        r"(?:is|are) (?:it|they|this|these|that) (?:real|genuine|solid|pure|100%)",
        r"materials?|made (?:of|from|with|out of)|fabric|cotton|wool|leather|silk|linen|polyester|nylon|"
        r"viscose|cashmere|denim|suede|metal|steel|brass|copper|aluminium|aluminum|iron|wood|wooden|oak|pine|"
        r"walnut|bamboo|rattan|ceramic|clay|terracotta|porcelain|stoneware|glass|plastic|gold|silver|"
        r"sterling|plated|leather|velvet|upholster\w*|fleece|rubber|canvas|marble|concrete|stone",
    ),
    "dimensions": (
        r"dimensions?|measurements?|measure|how (?:big|large|small|tall|wide|long|high|deep)|height|"
        r"width|length|depth|diameter|size of (?:the|it|this)",
        r"dimensions?|measure\w*|height|width|length|depth|diameter|\d+(?:[.,]\d+)?\s*(?:cm|mm|m|in|"
        r"inch(?:es)?|\"|ft|feet)\b|\d+\s*[x×]\s*\d+|\b(?:tall|wide|long|high|deep)\b",
    ),
    "capacity": (
        r"capacity|how much (?:does it|can it|will it) hold|holds?|volume|litres?|liters?|how many "
        r"(?:litres|liters|cups|ml)",
        r"capacity|holds?|volume|\d+(?:[.,]\d+)?\s*(?:l|ml|litres?|liters?|oz|gallons?|cups?)\b",
    ),
    "seats": (
        r"how many seats|seats? how many|seater|how many (?:people|persons|guests)|sleeps? how many|"
        r"how many (?:can|does it|will it) (?:seat|sit|sleep)",
        r"seats?|seater|\d+\s*(?:people|persons|guests)|sleeps",
    ),
    "care": (
        r"care|wash\w*|clean\w*|dry[- ]clean|iron\w*|launder\w*|maintain|look after|dishwasher|tumble",
        r"care|wash\w*|clean\w*|dry[- ]clean|iron\w*|launder\w*|bleach|dishwasher|tumble|wipe|polish",
    ),
    "included": (
        r"included|include|includes|comes? with|in the box|what(?:'s| is) in (?:it|the box|the set)|"
        r"contents|come as a set|how many pieces",
        r"includ\w*|comes? with|set of|pieces?|contains?|in the box|supplied with|pack of",
    ),
    "weight": (
        r"weight|weigh|how heavy|heavy",
        r"weigh\w*|\d+(?:[.,]\d+)?\s*(?:kg|g|lbs?|pounds|oz)\b|heavy|light(?:weight)?",
    ),
    "fit": (
        r"fit|fits|true to size|run (?:small|large|big)|sizing",
        r"\bfit|true to size|runs? (?:small|large|big)|sizing|cut",
    ),
    "origin": (
        r"where (?:is|are) (?:it|they|this|the \w+(?: \w+)?) made|made in|country of origin|origin|"
        r"where (?:does|do) (?:it|they|this|the \w+(?: \w+){0,3}) come from",
        r"made in|handmade|crafted in|origin|sourced|native",
    ),
    "warranty": (r"warranty|guarantee", r"warrant\w*|guarantee\w*"),
}
_ASK = {name: re.compile(rf"\b(?:{ask})\b", re.I) for name, (ask, _) in ATTRIBUTES.items()}
_ANSWER = {name: re.compile(rf"(?:{answer})", re.I) for name, (_, answer) in ATTRIBUTES.items()}
_BLOCK = re.compile(r"<\s*(?:br|/p|/li|/tr|/h\d|/div|/td|/th|p|li|tr|td|th|div)\b[^>]*>", re.I)
_TAG = re.compile(r"<[^>]+>")
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])")
MAX_FACTS = 2
MAX_FACT_CHARS = 300


def attributes_asked(question: str) -> list[str]:
    """The attributes a question asks about ("what is it made of?" -> ["material"])."""
    return [name for name, pattern in _ASK.items() if pattern.search(question)]


def sentences(body_html: str, body_text: str = "") -> list[str]:
    """The description's sentences and table rows / list items, as plain text, in order."""
    source = body_html or body_text or ""
    if "<" in source:
        source = _TAG.sub(" ", _BLOCK.sub("\n", source.replace("</td>", " </td>")))
    out: list[str] = []
    for block in html.unescape(source).split("\n"):
        block = " ".join(block.split())
        if not block:
            continue
        out += [s.strip() for s in _SENTENCE.split(block) if len(s.strip()) > 2]
    return out


def facts(body_html: str, body_text: str, attributes: list[str]) -> list[str]:
    """The sentences that answer ``attributes``, best first (those carrying more of the attribute's words)."""
    scored = []
    for position, sentence in enumerate(sentences(body_html, body_text)):
        hits = sum(len(_ANSWER[a].findall(sentence)) for a in attributes if a in _ANSWER)
        if hits:
            scored.append((-hits, position, sentence[:MAX_FACT_CHARS]))
    return [s for _, _, s in sorted(scored)[:MAX_FACTS]]


_WORD = re.compile(r"[^\W_]+(?:[-'][^\W_]+)*")
#: Words of a question that say nothing about what is asked.
_FILLER = frozenset(
    """a an the it its this that these those they them is are was were be been do does did can could
    will would should may might has have had what which who whom how where when why whats what's there here of for to
    in on at by with from about into out as and or but if so not no yes you your yours we our us me my mine i
    much many any some tell know please thanks product item one ones use used get come comes""".split()
)
#: A few everyday words a description says another way.
_ALSO = {
    "outside": ("outdoor", "out"),
    "outdoors": ("outdoor", "out"),
    "inside": ("indoor", "indoors"),
    "assembly": ("assemble",),
    "assembled": ("assemble",),
    "wash": ("washed", "washable", "machine"),
    "washable": ("wash", "washed"),
    "waterproof": ("water",),
    "rusts": ("rust",),
}


def question_words(question: str, exclude: set[str] | frozenset[str] = frozenset()) -> list[str]:
    """The words of ``question`` that say what it asks (not its question words, nor those in ``exclude``)."""
    out: list[str] = []
    for word in _WORD.findall(question.lower()):
        plural_of = {word[:-1], word[:-2]} if word.endswith("s") else set()
        if (
            len(word) > 2
            and word not in _FILLER
            and word not in exclude
            and not plural_of & exclude
            and not word.isdigit()
            and word not in out
        ):
            out.append(word)
    return out


def _same(word: str, other: str) -> bool:
    """The same word, or the same stem (``assemble`` / ``assembly``, ``processor`` / ``processors``)."""
    if word == other:
        return True
    n = min(len(word), len(other))
    return n >= 5 and word[: max(5, n - 3)] == other[: max(5, n - 3)]


def facts_about(body_html: str, body_text: str, words: list[str]) -> list[str]:
    """The sentences sharing the most of ``words`` (a question's own words), best first; none share: []."""
    wanted = [[w, *_ALSO.get(w, ())] for w in words]
    scored = []
    for position, sentence in enumerate(sentences(body_html, body_text)):
        said = set(_WORD.findall(sentence.lower())) | {p for w in _WORD.findall(sentence.lower()) for p in w.split("-")}
        hits = sum(1 for forms in wanted if any(_same(f, w) for f in forms for w in said))
        if hits:
            scored.append((-hits, position, sentence[:MAX_FACT_CHARS]))
    return [s for _, _, s in sorted(scored)[:MAX_FACTS]]


@dataclass(frozen=True)
class StockPolicy:
    """What a shop lets its assistant say about stock counts."""

    disclose: bool = True
    low: int = 5

    @classmethod
    def of(cls, settings: Any) -> StockPolicy:
        config = (settings or {}).get("assistant") if isinstance(settings, dict) else None
        config = config if isinstance(config, dict) else {}
        disclose = config.get("disclose_stock", True)
        low = config.get("low_stock_threshold", 5)
        return cls(
            disclose if isinstance(disclose, bool) else True,
            low if isinstance(low, int) and not isinstance(low, bool) and 0 <= low <= 10_000 else 5,
        )

    def describe(self, quantity: int | None) -> dict[str, Any]:
        """The stock fields of a variant: ``tracked``, ``low_stock`` and (when disclosed) ``quantity``."""
        if quantity is None:
            return {"tracked": False}
        data: dict[str, Any] = {"tracked": True, "low_stock": 0 < quantity <= self.low}
        if self.disclose:
            data["quantity"] = max(quantity, 0)
        return data
