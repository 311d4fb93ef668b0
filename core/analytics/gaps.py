"""Content gaps: the questions the assistant could not answer, grouped by wording.

A question is normalised (lower case, accents and punctuation dropped, stop
words, a plural ``s`` and an ``-ing`` removed, tokens sorted and de-duplicated) into a key;
the same key is the same question. Keys are then grouped greedily, biggest
first: a key joins the first group whose leading key shares at least
:data:`SIMILAR` of their tokens (Jaccard index), so "do you ship to Canada?"
and "shipping to canada" land together.
"""

from __future__ import annotations

import heapq
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

#: Jaccard index two keys need to share a group.
SIMILAR = 0.5
#: Different wordings grouped in one report (the most asked).
MAX_KEYS = 200
#: Conversations kept per question (per day in a roll-up, per group in a report).
MAX_CONVERSATIONS = 20
STOP_WORDS = frozenset(
    """
a an the and or but if of to in on at for from by with about as is are was were be been being do does did
i me my you your we our us it its this that these those there here what which who whom when where why how
can could would should will shall may might must have has had not no yes please hi hello hey thanks thank
any some much many more most very just so too also than then get got there's i'm it's don't can't
""".split()
)
_WORD = re.compile(r"[a-z0-9]+")


def tokens(text: str) -> list[str]:
    plain = unicodedata.normalize("NFKD", text.lower())
    plain = "".join(c for c in plain if not unicodedata.combining(c))
    found = []
    for word in _WORD.findall(plain):
        if word in STOP_WORDS:
            continue
        if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
            word = word[:-1]
        if len(word) > 5 and word.endswith("ing"):
            word = word[:-3]
            if len(word) > 2 and word[-1] == word[-2] and word[-1] not in "aeiouls":
                word = word[:-1]  # shipping -> ship, wrapping -> wrap
        found.append(word)
    return found


def key(text: str) -> str:
    """The normal form of a question; '' when nothing but stop words is left."""
    return " ".join(sorted(set(tokens(text))))


def similarity(a: str, b: str) -> float:
    ta, tb = set(a.split()), set(b.split())
    if not ta or not tb:
        return 0.0
    return len(ta & tb) / len(ta | tb)


@dataclass
class Group:
    key: str
    #: The wording asked most often, shown as the group's title.
    text: str
    count: int = 0
    #: Other wordings in the group, most asked first.
    variants: list[str] = field(default_factory=list)
    conversations: list[int] = field(default_factory=list)


def group(questions: Iterable[tuple[str, str, int, list[int]]], limit: int = 20) -> list[Group]:
    """``questions``: ``(key, text, count, conversation ids)`` per key; the ``limit`` biggest groups.
    Only the :data:`MAX_KEYS` most asked keys are grouped, and a key is compared only with
    the groups that share a token with it, so a year of gaps groups in milliseconds."""
    groups: list[Group] = []
    by_token: dict[str, list[int]] = {}
    token_sets: list[frozenset[str]] = []
    ranked = heapq.nsmallest(MAX_KEYS, questions, key=lambda q: (-q[2], q[0]))
    for k, text, count, conversations in ranked:
        tokens = frozenset(k.split())
        target = None
        for i in sorted({i for token in tokens for i in by_token.get(token, ())}):
            other = token_sets[i]
            if len(tokens & other) >= SIMILAR * len(tokens | other):
                target = groups[i]
                break
        if target is None:
            target = Group(key=k, text=text)
            for token in tokens:
                by_token.setdefault(token, []).append(len(groups))
            groups.append(target)
            token_sets.append(tokens)
        elif text not in target.variants and text != target.text:
            target.variants.append(text)
        target.count += count
        for cid in conversations:
            if len(target.conversations) >= MAX_CONVERSATIONS:
                break
            if cid not in target.conversations:
                target.conversations.append(cid)
    groups.sort(key=lambda g: (-g.count, g.key))
    return groups[:limit]
