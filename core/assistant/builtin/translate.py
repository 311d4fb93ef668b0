"""A shopper's line in another language, in the English words the engine reads.

The engine's rules read English; a Spanish, French, German, Portuguese or
Italian line is first rewritten word by word with that language's lexicon
(``lexicon/<lang>.py``): its phrases ("número de pedido" -> "order number")
then its words ("camiseta" -> "tee", "azul" -> "blue"), articles dropped.
Anything the lexicon does not know is kept as the shopper wrote it, so product
names, emails, order numbers and prices reach the catalog search untouched.
Accents are forgiven ("envio" is "envío"), and plural and feminine forms are
tried ("camisetas rojas" -> "tee red").

Where a language makes its superlative by putting an article before the
comparative ("la chaqueta más barata", "o casaco mais barato", "il prodotto più
caro"), the lexicon's ``SUPERLATIVES`` are read as superlatives ("cheapest")
when one of its ``ARTICLES`` opens the phrase a few words before, with no verb
of its ``BREAKS`` in between ("la Zipped Jacket es más barata" compares);
otherwise the same words are the comparative of ``PHRASES`` ("más barata" ->
"cheaper").

This is for *understanding* only: the reply is worded from the language's
message catalog (``messages/<lang>.py``) and every fact in it still comes from
the tools.
"""

from __future__ import annotations

import importlib
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

#: Emails, links, "#1001", amounts ("19,99", "$50") and words, in that order of preference.
_SEGMENT = re.compile(
    r"(?P<keep>[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}|https?://\S+|#\s?\d+"
    r"|[$€£]?\d[\d.,]*\s?(?:[$€£]|eur\b|usd\b)?)"
    r"|(?P<word>[^\W\d_]+(?:['’-][^\W\d_]+)*)",
    re.I,
)
MAX_PHRASE = 6
#: Greetings the engine strips once: "olá, bom dia" is one greeting, not two.
_GREETINGS = frozenset({"hi", "hello", "good morning", "good evening"})


@dataclass(frozen=True)
class Lexicon:
    lang: str
    #: phrase (tuple of unaccented words) -> English
    phrases: dict[tuple[str, ...], str] = field(default_factory=dict)
    words: dict[str, str] = field(default_factory=dict)
    #: Words to leave out (articles, fillers).
    drop: frozenset[str] = frozenset()
    #: Endings to try taking off an unknown word, with what to put back ("as" -> "a").
    endings: tuple[tuple[str, str], ...] = ()
    #: Comparatives that an article before them makes superlatives ("más barata" -> "cheapest").
    superlatives: dict[tuple[str, ...], str] = field(default_factory=dict)
    articles: frozenset[str] = frozenset()
    #: Words (verbs) that end the noun phrase an article opened.
    breaks: frozenset[str] = frozenset()
    #: Words listed with their accents whose unaccented form means something else ("è" is, "e" and).
    accented: dict[str, str] = field(default_factory=dict)


def unaccent(word: str) -> str:
    """ "envío" -> "envio", "größe" -> "grosse"; lowercase."""
    word = word.lower().replace("’", "'").replace("ß", "ss").replace("œ", "oe")
    return "".join(c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c))


@lru_cache(maxsize=8)
def lexicon(lang: str) -> Lexicon | None:
    try:
        module = importlib.import_module(f"core.assistant.builtin.lexicon.{lang}")
    except ModuleNotFoundError:
        return None
    phrases: dict[tuple[str, ...], str] = {}
    words: dict[str, str] = {}
    spelled: dict[str, str] = {}
    for key, english in _entries(module.PHRASES):
        if len(key) == 1:
            words[key[0]] = english
        else:
            phrases[key] = english
    superlatives = dict(_entries(getattr(module, "SUPERLATIVES", "")))
    for line in module.WORDS.strip().splitlines():
        for pair in line.split(","):
            if "=" in pair:
                foreign, english = (part.strip() for part in pair.split("=", 1))
                for variant in foreign.split("|"):
                    spelled[variant.strip().lower()] = english
    # "e=and, è=is": the unaccented spelling owns the unaccented word, the accented one is kept apart.
    for plain_first in (False, True):
        words.update({unaccent(w): english for w, english in spelled.items() if (w == unaccent(w)) == plain_first})
    accented = {w: english for w, english in spelled.items() if w != unaccent(w) and words[unaccent(w)] != english}
    drop = frozenset(unaccent(w) for w in module.DROP.split())
    articles = frozenset(unaccent(w) for w in getattr(module, "ARTICLES", "").split())
    breaks = frozenset(unaccent(w) for w in getattr(module, "BREAKS", "").split())
    return Lexicon(
        lang, phrases, words, drop, tuple(getattr(module, "ENDINGS", ())), superlatives, articles, breaks, accented
    )


def _entries(block: str) -> list[tuple[tuple[str, ...], str]]:
    """``foreign | variant => english`` lines as (unaccented words, english) pairs."""
    out = []
    for line in block.strip().splitlines():
        if "=>" not in line:
            continue
        foreign, english = (part.strip() for part in line.split("=>", 1))
        out += [(tuple(unaccent(variant.strip()).split()), english) for variant in foreign.split("|")]
    return out


def to_english(text: str, lang: str) -> str:
    """``text`` in the engine's English words (``text`` itself for English or a language without a lexicon)."""
    return translation(text, lang)[0]


def translation(text: str, lang: str) -> tuple[str, dict[str, str]]:
    """(``text`` in the engine's English words, each English word -> the shopper's words it came from)."""
    lex = lexicon(lang) if lang != "en" else None
    if lex is None:
        return text, {}
    origin: dict[str, str] = {}
    segments: list[tuple[str, str]] = []  # (kind, original)
    for m in _SEGMENT.finditer(text):
        segments.append(("word", m.group("word")) if m.group("word") else ("keep", m.group("keep")))
    out: list[str] = []
    i = 0
    while i < len(segments):
        kind, original = segments[i]
        if kind == "keep":
            out.append(original)
            i += 1
            continue
        matched = _superlative(lex, segments, i) or _phrase(lex, segments, i)
        if matched is not None:
            english, length = matched
            if english in _GREETINGS and out and out[-1] in _GREETINGS:
                english = ""
            if english:
                out.append(english)
                said = " ".join(w for _, w in segments[i : i + length])
                for w in english.split():
                    origin.setdefault(w.lower(), said)
            i += length
            continue
        english = _word(lex, original)
        if english in _GREETINGS and out and out[-1] in _GREETINGS:
            english = ""
        out.append(english)
        for w in english.split():
            origin.setdefault(w.lower(), original)
        i += 1
    line = " ".join(w for w in out if w)
    if text.rstrip().endswith("?"):
        line += "?"
    return line, origin


def _phrase(lex: Lexicon, segments: list[tuple[str, str]], start: int) -> tuple[str, int] | None:
    for n in range(MAX_PHRASE, 1, -1):
        window = segments[start : start + n]
        if len(window) < n or any(kind != "word" for kind, _ in window):
            continue
        key = tuple(unaccent(w) for _, w in window)
        if key in lex.phrases:
            return lex.phrases[key], n
    return None


#: How far back (in words) an article may open the phrase a superlative ends.
_ARTICLE_REACH = 4


def _superlative(lex: Lexicon, segments: list[tuple[str, str]], start: int) -> tuple[str, int] | None:
    """ "la chaqueta *más barata*": a superlative where an article opens the phrase, else None."""
    if not lex.superlatives:
        return None
    for n in (3, 2):
        window = segments[start : start + n]
        if len(window) < n or any(kind != "word" for kind, _ in window):
            continue
        english = lex.superlatives.get(tuple(unaccent(w) for _, w in window))
        if english is None:
            continue
        for kind, word in reversed(segments[max(0, start - _ARTICLE_REACH) : start]):
            if kind != "word":
                break
            key = unaccent(word)
            if key in lex.breaks:
                break
            # "l'articolo", "dell'ultimo": an elided article is the word's own start.
            if key in lex.articles or key.split("'", 1)[0] + "'" in lex.articles:
                return english, n
        return None
    return None


@lru_cache(maxsize=65536)
def known(lang: str, word: str) -> bool:
    """Whether ``lang``'s lexicon reads ``word`` as something else (not a word it shares with English)."""
    lex = lexicon(lang)
    if lex is None:
        return False
    english = _word(lex, word)
    return english != word and english.lower() != unaccent(word)


def _word(lex: Lexicon, original: str) -> str:
    key = unaccent(original)
    if key in lex.drop:
        return ""
    if (english := lex.accented.get(original.lower())) is not None:
        return english
    if key in lex.words:
        english = lex.words[key]
        return original if english.lower() == original.lower() else english  # "Top" of a name stays "Top"
    for ending, replacement in lex.endings:
        if key.endswith(ending) and len(key) - len(ending) >= 3:
            base = key[: len(key) - len(ending)] + replacement
            if base in lex.words:
                # "Tops" of "LED High Tops" is a word English shares: the name stays as written.
                return original if lex.words[base].lower() == base else lex.words[base]
    head, apostrophe, rest = original.replace("’", "'").partition("'")
    if apostrophe and rest and unaccent(head) + "'" in lex.drop:
        return _word(lex, rest)  # "l'article" is "article", "l'Ocean Blue Shirt" keeps "Ocean"
    return original
