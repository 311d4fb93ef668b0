"""What the catalog calls things: product titles, option values, categories.

The engine reads these words to *understand* a question ("the varsity top",
"in large", "for women"); every fact it then states comes from a tool result.
A shop's vocabulary is built once and cached per process, keyed by the
catalog's version (``shops.catalog_version``, bumped by every write of the
shop's products: :mod:`core.catalog.version`), so a change is seen at the
next turn. The sync job builds it right after a sync (:func:`warm`), so
no shopper's reply waits for the build.
"""

from __future__ import annotations

import json
import logging
import math
import threading
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from datetime import timedelta
from itertools import combinations
from typing import Any

from rapidfuzz import fuzz, process
from sqlalchemy import Engine, Text, cast, func, select
from sqlalchemy.orm import Session

from core.assistant.builtin.text import NOISE, stem, tokens
from core.catalog import search, shelf
from core.catalog import version as catalog_version
from core.catalog.search import Known
from core.db import Conversation, Database, Product, Shop
from core.db.models import utcnow

log = logging.getLogger(__name__)

#: Who a product is for: tags like these are filters ("jackets for women").
AUDIENCES = {
    "women": (
        "women",
        "woman",
        "womens",
        "ladies",
        "lady",
        "female",
        "her",
        "she",
        "wife",
        "girlfriend",
        "mom",
        "mother",
        "sister",
        "daughter",
        "girls",
        "girl",
    ),
    "men": (
        "men",
        "man",
        "mens",
        "gents",
        "gentlemen",
        "male",
        "him",
        "he",
        "husband",
        "boyfriend",
        "dad",
        "father",
        "brother",
        "son",
        "guys",
        "boys",
        "boy",
    ),
    "kids": ("kids", "kid", "children", "child", "baby", "babies", "toddler"),
    "unisex": ("unisex",),
}
#: Shoppers' words for what catalogs often call something else.
SYNONYMS = {
    "sweater": ["jumper", "pullover"],
    "jumper": ["sweater"],
    "pullover": ["jumper", "sweater"],
    "sneaker": ["shoe", "trainer"],
    "trainer": ["shoe", "sneaker"],
    "shoe": ["sneaker"],
    "tshirt": ["tee", "t-shirt"],
    "tee": ["t-shirt", "tshirt"],
    "coat": ["jacket"],
    "purse": ["bag"],
    "handbag": ["bag"],
    "suit": ["tuxedo"],
    "tux": ["tuxedo"],
    "trouser": ["pant"],
    "pant": ["trouser"],
    "hoody": ["hoodie", "sweatshirt"],
    "hoodie": ["sweatshirt"],
    "necklace": ["pendant", "choker"],
    "earring": ["stud"],
    "couch": ["sofa"],
    "sofa": ["couch"],
}
SIZE_ALIASES = {
    "xs": "extra small",
    "s": "small",
    "m": "medium",
    "l": "large",
    "xl": "extra large",
    "xxl": "extra extra large",
    "sm": "small",
    "med": "medium",
    "lg": "large",
    "lrg": "large",
}
COLOURS = frozenset(
    """black white grey gray red blue green yellow orange purple pink brown beige navy olive cream gold silver
    teal turquoise maroon burgundy ivory tan khaki charcoal lavender mint coral rose copper bronze multicolour
    multicolor""".split()
)
CACHE_SIZE = 64
#: Products whose title has every word of a mention that are kept, in order (more than any reply uses).
RANKED = 50
#: Products of each word scored when no title has every word of a mention.
SCORED = 2000
#: Title words of a line looked up as titles (2**n combinations at most).
NAMED_WORDS = 12
_SIZE_WORDS = frozenset(SIZE_ALIASES) | frozenset(SIZE_ALIASES.values()) | {"xxxl", "xxs", "2xl", "3xl"}
#: Words before a size that make it one: "in large", "size M", "a medium".
#: Sizes too common as plain words to be taken as a size nobody sells ("in small print").
_PLAIN_SIZES = frozenset({"small", "medium", "large", "s", "m", "l"})
_SIZE_CONTEXT = frozenset({"in", "size", "sizes", "a", "an", "and", "or", "the", ""})


@dataclass
class Mention:
    """Products a shopper's words point at."""

    #: The one product meant, when it is clear.
    product: int | None = None
    #: Products that fit the words, best first (several when it is not clear).
    candidates: list[int] = field(default_factory=list)
    #: The catalog words that were recognised.
    words: list[str] = field(default_factory=list)


@dataclass
class Vocabulary:
    titles: dict[int, str] = field(default_factory=dict)
    title_words: dict[int, frozenset[str]] = field(default_factory=dict)
    word_products: dict[str, set[int]] = field(default_factory=dict)
    #: word -> its products ordered by (number of title words, id): shortest titles first
    word_ranked: dict[str, list[int]] = field(default_factory=dict)
    #: the words of a title -> the products with exactly these title words, by id
    by_words: dict[frozenset[str], list[int]] = field(default_factory=dict)
    #: the most words a title has
    longest: int = 0
    #: normalized option value -> the catalog's spelling
    option_values: dict[str, str] = field(default_factory=dict)
    #: stem of a product type -> the catalog's spelling
    types: dict[str, str] = field(default_factory=dict)
    #: audience tag present in the catalog ("women") -> the catalog's spelling
    audiences: dict[str, str] = field(default_factory=dict)
    #: the shop's vendors (makers, brands), lowercased as the vendor filter compares them
    vendors: set[str] = field(default_factory=set)
    #: Built before the catalog's last change (a large catalog's new one is being built): it still
    #: helps to understand a question, but tells the search nothing (see :meth:`search_known`).
    stale: bool = False
    #: every stem of titles, tags and types (for fuzzy spelling fixes)
    known: set[str] = field(default_factory=set)
    _words: list[str] = field(default_factory=list)
    _spelled: dict[str, str | None] = field(default_factory=dict)
    _mentions: dict[tuple[str, tuple[int, ...]], Mention] = field(default_factory=dict)

    @property
    def size(self) -> int:
        return len(self.titles)

    # -- words ----------------------------------------------------------------

    def spell(self, word: str) -> str | None:
        """The catalog word ``word`` means (itself, or a close spelling), if any."""
        s = stem(word)
        if s in self.known:
            return s
        if len(s) < 4 or s in NOISE or not self._words:
            return None
        if s not in self._spelled:
            best = process.extractOne(s, self._words, scorer=fuzz.ratio, score_cutoff=84)
            if len(self._spelled) > 4096:
                self._spelled.clear()
            self._spelled[s] = best[0] if best is not None and best[0][0] == s[0] else None
        return self._spelled[s]

    def idf(self, word: str) -> float:
        return math.log((1 + self.size) / (1 + len(self.word_products.get(word, ()))))

    # -- products ---------------------------------------------------------------

    def mention(self, text: str, within: list[int] | None = None) -> Mention:
        """The product(s) ``text`` names, preferring those in ``within`` (what was just shown)."""
        key = (text, tuple(within or ()))
        if key not in self._mentions:
            if len(self._mentions) > 1024:
                self._mentions.clear()
            self._mentions[key] = self._mention(text, within)
        return self._mentions[key]

    def _mention(self, text: str, within: list[int] | None) -> Mention:
        words = []
        for w in tokens(text):
            if w in NOISE or stem(w) in NOISE or len(w) < 2 or w.isdigit():
                continue
            spelled = self.spell(w)
            if spelled and spelled not in self.word_products:
                # A shopper's word for what the catalog calls something else ("tux" -> "tuxedo").
                spelled = next((x for x in SYNONYMS.get(spelled, ()) if x in self.word_products), None)
            if spelled and spelled in self.word_products and spelled not in words:
                words.append(spelled)
        if not words:
            return Mention()
        if within:
            inside = [p for p in within if all(p in self.word_products[w] for w in words)]
            if len(inside) == 1:
                return Mention(inside[0], [inside[0]], words)
            if len(inside) > 1:
                return Mention(None, inside, words)
        ranked_full = self._having_all(words, RANKED)
        if len(ranked_full) == 1:
            return Mention(ranked_full[0], ranked_full, words)
        if ranked_full:
            # Every word fits several products; one whose whole title was typed is meant.
            exact = self.by_words.get(frozenset(words), [])
            if len(exact) == 1:
                return Mention(exact[0], ranked_full, words)
            return Mention(None, ranked_full, words)
        scores: dict[int, float] = {}
        for w in words:
            # Each word's products with the shortest titles: all of them in a catalog of common size;
            # a bounded share of a word that thousands of titles have (the best ones are kept).
            for p in self.word_ranked[w][:SCORED]:
                scores[p] = scores.get(p, 0.0) + self.idf(w)
        for p in scores:  # a product counted through one word scores every word its title has
            scores[p] = sum(self.idf(w) for w in words if p in self.word_products[w])
        ranked = sorted(scores, key=lambda p: (-scores[p], len(self.title_words[p]), p))
        best = ranked[0]
        second = scores[ranked[1]] if len(ranked) > 1 else 0.0
        missing = [w for w in words if w not in self.title_words[best]]
        # "the red varsity top": all but a colour names one product clearly.
        if len(words) - len(missing) >= 2 and all(w in COLOURS for w in missing) and scores[best] >= 1.5 * second:
            return Mention(best, ranked[:5], words)
        return Mention(None, ranked[:5], words)

    def search_known(self, terms: list[str]) -> Known | None:
        """What the titles say of a search for ``terms`` (the search's own terms, see
        :func:`core.catalog.search.parse_query`): whether more products match than the search ranks in
        full, and the terms one title has together, in order (as
        :meth:`core.catalog.search.SearchBackend.together` would find them in the database). None when
        this vocabulary is older than the catalog: the terms a new title has together would be missed,
        and a ranking would name a product of the wrong kind."""
        if self.stale:
            return None
        many = any(len(self.word_products.get(t, ())) > search.RANK_ALL for t in terms)
        together: list[str] = []
        having: set[int] | None = None
        for term in terms:
            products = self.word_products.get(term)
            if not products:
                continue
            both = products if having is None else having & products
            if both:
                together.append(term)
                having = both
        return Known(many, tuple(together), len(having or ()), len(self.titles))

    def _having_all(self, words: list[str], limit: int) -> list[int]:
        """Up to ``limit`` products whose title has every one of ``words``, shortest titles first (then by id).

        Walks the rarest word's products in that order and stops at ``limit``:
        the cost follows the rarest word, not the catalog.
        """
        rarest = min(words, key=lambda w: len(self.word_products[w]))
        others = [self.word_products[w] for w in words if w != rarest]
        out = []
        for p in self.word_ranked[rarest]:
            if all(p in o for o in others):
                out.append(p)
                if len(out) == limit:
                    break
        return out

    def named(self, text: str) -> list[int]:
        """Products whose whole title appears in ``text`` (spelling forgiven), in order of appearance.

        Looks up each combination of the text's title words as a whole title
        (titles are keyed by their set of words): the cost follows the words
        of the text, not the number of products.
        """
        spelled = [self.spell(w) or stem(w) for w in tokens(text)]
        present = [w for w in dict.fromkeys(spelled) if w in self.word_products]
        if len(present) > NAMED_WORDS:
            present = present[:NAMED_WORDS]  # a pasted wall of text: its first title words
        found = []
        for size in range(1, min(len(present), self.longest) + 1):
            for combo in combinations(present, size):
                for p in self.by_words.get(frozenset(combo), ()):
                    found.append((min(spelled.index(w) for w in combo), -size, p))
        found.sort()
        # Drop products whose title words are all part of a longer named title.
        out: list[int] = []
        for _, _, p in found:
            if not any(self.title_words[p] < self.title_words[q] for q in out):
                out.append(p)
        return out

    # -- options and categories -------------------------------------------------------

    def options_in(self, text: str) -> list[str]:
        """Option values (sizes, colours ...) of the catalog named in ``text``, in the catalog's spelling."""
        words = tokens(text)
        found: list[str] = []
        used: set[int] = set()
        for n in (3, 2, 1):
            for i in range(len(words) - n + 1):
                if any(j in used for j in range(i, i + n)):
                    continue
                phrase = " ".join(words[i : i + n])
                value = self._option(phrase, words[i - 1] if i else "")
                if value and value not in found:
                    found.append(value)
                    used.update(range(i, i + n))
        return found

    def _option(self, phrase: str, before: str) -> str | None:
        if phrase in _SIZE_WORDS and before not in _SIZE_CONTEXT and before not in COLOURS:
            return None  # "large pockets" is not size Large (but "black large" is)
        if phrase in self.option_values:
            if phrase.isdigit() and before != "size":
                return None  # "under 50" is a price, not size 50
            if len(phrase) <= 2 and before not in ("size", "in", "a", "an", "sizes") and phrase not in ("xl", "xs"):
                return None  # a lone "m" or "s" is rarely a size
            return self.option_values[phrase]
        alias = SIZE_ALIASES.get(phrase)
        if alias and alias in self.option_values and (len(phrase) > 2 or before in ("size", "in", "an", "a")):
            return self.option_values[alias]
        for short, long in SIZE_ALIASES.items():
            if phrase == long and short in self.option_values:
                return self.option_values[short]
        if " " not in phrase and len(phrase) >= 5 and phrase not in NOISE:
            best = process.extractOne(phrase, list(self.option_values), scorer=fuzz.ratio, score_cutoff=85)
            if best is not None and best[0][0] == phrase[0] and not best[0].isdigit():
                return self.option_values[best[0]]
        return None

    def sizes_asked(self, text: str) -> list[str]:
        """Sizes asked for that no product of the catalog comes in ("in XL", "size 10")."""
        words = tokens(text)
        found = []
        for i, word in enumerate(words):
            before = words[i - 1] if i else ""
            pair = " ".join(words[i : i + 2])
            if pair in ("extra large", "extra small") and before in _SIZE_CONTEXT:
                word = pair
            elif not (
                before == "size"
                and (word.isdigit() or word in _SIZE_WORDS)
                or before in ("in", "an", "a")
                and word in _SIZE_WORDS - _PLAIN_SIZES
            ):
                continue
            if word in self.option_values or SIZE_ALIASES.get(word, "") in self.option_values:
                continue
            found.append(word.upper() if len(word) <= 4 and word.isalpha() else word)
        return found

    def colours_in(self, text: str) -> list[str]:
        """Colour words that are not option values of this catalog (searched as words instead)."""
        return [w for w in tokens(text) if w in COLOURS and w not in self.option_values]

    def audience_in(self, text: str) -> str | None:
        for w in tokens(text):
            for tag, words in AUDIENCES.items():
                if (w in words or stem(w) in words) and tag in self.audiences:
                    return self.audiences[tag]
        return None

    def type_in(self, text: str) -> str | None:
        for w in tokens(text):
            s = stem(w)
            if s in self.types:
                return self.types[s]
        return None


_cache: OrderedDict[tuple[str, int, str], tuple[object, Vocabulary]] = OrderedDict()
_lock = threading.Lock()
#: Keys whose vocabulary is being rebuilt in the background.
_rebuilding: set[tuple[str, int, str]] = set()
#: Products from which a changed catalog's vocabulary is rebuilt in the background while the
#: previous one keeps answering: a build reads every product (about 50 ms per 1,000), which must
#: not land on a shopper's reply each time a webhook changes a product of a large catalog.
BACKGROUND_FROM = 5000


def vocabulary(session: Session, shop: Shop, *, fresh: bool = False) -> Vocabulary:
    """The shop's vocabulary, rebuilt when its catalog changed (checked on every call: one row read).

    ``fresh``: build it now even if the stored catalog version did not change.
    A catalog of :data:`BACKGROUND_FROM` products or more that changed since
    its vocabulary was built keeps the previous vocabulary (it only helps to
    *understand* questions; every fact comes from the tools' live reads) while
    a thread builds the new one.
    """
    shop_id = shop.id
    bind = session.get_bind()
    key = (str(getattr(bind, "url", id(bind))), shop_id, str(shop.created_at))
    stamp = catalog_version.current(session, shop_id)
    with _lock:
        cached = _cache.get(key)
    if cached is not None and cached[0] == stamp and not fresh:
        return cached[1]
    if cached is not None and not fresh and cached[1].size >= BACKGROUND_FROM and isinstance(bind, Engine):
        _rebuild_later(bind, key, shop_id)
        return replace(cached[1], stale=True)  # the same tables, marked
    vocab = _build(session, shop_id)
    _store(key, stamp, vocab)
    return vocab


def _store(key: tuple[str, int, str], stamp: object, vocab: Vocabulary) -> None:
    with _lock:
        _cache[key] = (stamp, vocab)
        _cache.move_to_end(key)
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)


def _rebuild_later(engine: Engine, key: tuple[str, int, str], shop_id: int) -> None:
    with _lock:
        if key in _rebuilding:
            return
        _rebuilding.add(key)

    def rebuild() -> None:
        try:
            with Session(engine) as session:
                stamp = catalog_version.current(session, shop_id)
                _store(key, stamp, _build(session, shop_id))
        except Exception:  # the previous vocabulary keeps answering; the next question tries again
            log.exception("could not rebuild the vocabulary of shop %s", shop_id)
        finally:
            with _lock:
                _rebuilding.discard(key)

    threading.Thread(target=rebuild, name=f"vocabulary-{shop_id}", daemon=True).start()


def warm(db: Database, shop_id: int) -> None:
    """Build (or confirm) the shop's vocabulary now, so the first question after a sync does not wait for it.

    The sync job calls this after a sync: building reads every product of the
    shop (a few hundred ms for 10,000 products), which would otherwise land on
    the next shopper's reply.
    """
    try:
        with db.session() as session:
            shop = session.get(Shop, shop_id)
            if shop is not None:
                vocabulary(session, shop, fresh=True)
    except Exception:  # the sync itself succeeded; the next question builds it instead
        log.exception("could not build the vocabulary of shop %s after its sync", shop_id)


#: Shops whose shoppers wrote within this many days are warmed when an assistant worker starts.
RECENT_DAYS = 7


def warm_recent(db: Database, limit: int = CACHE_SIZE) -> list[int]:
    """Build the vocabularies of the shops whose conversations moved most recently (at most ``limit``,
    those of the last :data:`RECENT_DAYS` days), most recent first; returns their ids.

    An assistant worker calls this as it starts (``core.worker``): each worker process keeps its own
    vocabularies, and building one reads every product of the shop (about a second at 100,000
    products), which would otherwise land on the first shopper that process answers, after every
    restart and on every worker but the one that ran the shop's last sync.
    """
    since = utcnow() - timedelta(days=RECENT_DAYS)
    with db.session() as session:
        latest = func.max(Conversation.updated_at)
        shop_ids = list(
            session.scalars(
                select(Conversation.shop_id)
                .where(Conversation.updated_at >= since)
                .group_by(Conversation.shop_id)
                .order_by(latest.desc(), Conversation.shop_id)
                .limit(limit)
            )
        )
    for shop_id in shop_ids:
        try:
            with db.session() as session:
                shop = session.get(Shop, shop_id)
                if shop is not None:
                    vocabulary(session, shop)
        except Exception:  # the shop's first question builds it instead
            log.exception("could not warm the vocabulary of shop %s", shop_id)
    return shop_ids


def _build(session: Session, shop_id: int) -> Vocabulary:
    vocab = Vocabulary()
    # Tags and options come as JSON text, decoded once per distinct value: catalogs repeat them a lot.
    rows = session.execute(
        shelf.products(
            shop_id,
            Product.id,
            Product.title,
            cast(Product.tags, Text),
            Product.product_type,
            cast(Product.options, Text),
            Product.vendor,
        )
    )
    decoded: dict[str | None, Any] = {None: []}
    seen_tags: set[str] = set()
    seen_types: set[str] = set()
    seen_values: set[str] = set()
    #: title -> its words; titles repeat across variants of a line ("Slim Cotton Shirt"), read each once
    title_words: dict[str, frozenset[str]] = {}
    for pid, title, raw_tags, product_type, raw_options, vendor in rows:
        if vendor:
            vocab.vendors.add(vendor.strip().lower())
        for raw in (raw_tags, raw_options):
            if raw not in decoded:
                decoded[raw] = json.loads(raw)
        tags, options = decoded[raw_tags], decoded[raw_options]
        vocab.titles[pid] = title
        words = title_words.get(title)
        if words is None:
            words = title_words[title] = frozenset(
                stem(w) for w in tokens(title) if len(w) > 1 and w not in NOISE and stem(w) not in NOISE
            )
        vocab.title_words[pid] = words
        for w in words:
            vocab.word_products.setdefault(w, set()).add(pid)
        if product_type and product_type not in seen_types:
            seen_types.add(product_type)
            norm = " ".join(tokens(product_type))
            if norm:
                vocab.types.setdefault(stem(norm), product_type)
        for tag in [*(tags or []), product_type or ""]:
            if tag in seen_tags:
                continue  # tags repeat across a catalog: read each once
            seen_tags.add(tag)
            norm = " ".join(tokens(str(tag)))
            if not norm:
                continue
            vocab.known.update(stem(w) for w in norm.split())
            for audience, spellings in AUDIENCES.items():
                if norm in spellings:
                    vocab.audiences.setdefault(audience, str(tag))
        for option in options or []:
            for value in option.get("values", []):
                if value in seen_values:
                    continue
                seen_values.add(value)
                norm = " ".join(tokens(str(value)))
                if norm and norm != "default title":
                    vocab.option_values.setdefault(norm, str(value))
    for w, pids in vocab.word_products.items():
        vocab.word_ranked[w] = sorted(pids, key=lambda p: (len(vocab.title_words[p]), p))
    for pid, words in vocab.title_words.items():
        if words:
            vocab.by_words.setdefault(words, []).append(pid)
    for ids in vocab.by_words.values():
        ids.sort()
    vocab.longest = max((len(w) for w in vocab.by_words), default=0)
    vocab.known.update(vocab.word_products)
    vocab.known.update(SYNONYMS)
    vocab._words = sorted(w for w in vocab.known if len(w) >= 4)
    return vocab
