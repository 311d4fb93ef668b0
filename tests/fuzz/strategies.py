"""Hypothesis strategies shared by the fuzz tests: odd text, any JSON value, and
mutations of a valid-shaped object (a field dropped, retyped, or added)."""
from __future__ import annotations

import functools
import json
import os
from typing import Any

from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st

#: Characters that break naive code: NUL, lone surrogates, controls, bidi and
#: zero-width marks, combining marks, astral characters, quotes and markup.
ODD_CHARS = ["\x00", "\ud800", "\udfff", "\udbff", "\x1b", "\x7f", "\u0085", "\u2028", "\u202e", "\u200b",
             "\ufeff", "\ufffd", "\uffff", "e\u0301", "\U0001d518", "\U0010ffff", "\U0001f600", "\\", '"', "'",
             "<", "&", "%00", "\r\n", "\t", " "]

#: Any code point, surrogates included (Hypothesis' default alphabet leaves them out).
ANY_CHAR = st.characters(exclude_categories=())


@functools.cache
def texts(limit: int = 40, *, min_size: int = 0) -> st.SearchStrategy[str]:
    """Strings around a field's documented ``limit``: short ones of any code points, short
    ones salted with odd characters, and runs of one character at the edges (the limit and
    one either side), cheap to generate however long."""
    edges = sorted({n for n in (1, 2, limit - 1, limit, limit + 1) if n >= max(min_size, 1)})
    return st.one_of(
        st.text(ANY_CHAR, min_size=min_size, max_size=min(limit, 10)),
        st.lists(st.sampled_from(ODD_CHARS + ["a", "Z", "ß", "0"]), min_size=max(min_size, 1),
                 max_size=6).map("".join),
        st.builds(lambda head, c, n: head + c * n,
                  st.sampled_from(["", " ", "\x00", "\ud800", "x"]),
                  st.sampled_from(["a", "é", "一", "😀", " "]), st.sampled_from(edges)),
    )


_SCALARS = st.one_of(
    st.none(), st.booleans(),
    st.sampled_from([0, 1, -1, 2, 2**31 - 1, 2**31, -(2**31), 2**63, 2**64, -(2**70), 10**30]),
    st.integers(min_value=-1000, max_value=1000),
    st.sampled_from([0.0, -0.0, 1.0, 1.5, -2.5, 1e300, -1e-300, 3.4e38]),
    texts(8),
)


@functools.cache
def json_values(max_leaves: int = 4) -> st.SearchStrategy[Any]:
    """Any JSON value: scalars of every kind (huge and negative numbers too), lists, objects."""
    return st.recursive(_SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                           st.dictionaries(texts(6), inner, max_size=3)),
                        max_leaves=max_leaves)


def mutate(draw: st.DrawFn, base: dict[str, Any], keep: tuple[str, ...] = ()) -> dict[str, Any]:
    """``base`` as it is, or with up to three of: a field dropped, a field given a value of any
    JSON type, an extra field. Keys in ``keep`` are never touched."""
    obj = dict(base)
    for _ in range(draw(_MUTATIONS)):
        keys = [k for k in obj if k not in keep]
        how = draw(_HOW)
        if how == "drop" and keys:
            del obj[draw(st.sampled_from(keys))]
        elif how == "retype" and keys:
            obj[draw(st.sampled_from(keys))] = draw(json_values())
        else:
            obj[draw(texts(12))] = draw(json_values())
    return obj


_MUTATIONS = st.integers(min_value=0, max_value=3)
_HOW = st.sampled_from(["drop", "retype", "extra"])


@st.composite
def mutated(draw: st.DrawFn, base: st.SearchStrategy[dict[str, Any]], keep: tuple[str, ...] = ()) -> dict[str, Any]:
    """An object drawn from ``base``, then perhaps mutated (:func:`mutate`)."""
    return mutate(draw, draw(base), keep)


def dumps(value: Any) -> str:
    """JSON text as a client would send it (lone surrogates as ``\\udXXX`` escapes)."""
    return json.dumps(value, ensure_ascii=True)


def fuzz_settings(max_examples: int) -> settings:
    """``max_examples`` cases, or ``FUZZ_N`` when set (a quick local run). No deadline (a shared
    2-core machine), no example database (no files in the repository), fixtures shared across
    examples on purpose (the invariants are checked over all of them)."""
    return settings(max_examples=int(os.environ.get("FUZZ_N") or max_examples), deadline=None, database=None,
                    suppress_health_check=list(HealthCheck),
                    phases=[Phase.explicit, Phase.generate, Phase.shrink], print_blob=True)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value inside ``value`` (dict keys and list indexes)."""
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, prefix + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value[:3]):
            found += _paths(item, prefix + (index,))
    return found


def _get(root: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        root = root[step]
    return root


def _set(root: Any, path: tuple[Any, ...], how: str, new: Any) -> None:
    parent = root
    for step in path[:-1]:
        try:
            parent = parent[step]
        except (KeyError, IndexError, TypeError):
            return
    last = path[-1]
    if isinstance(parent, dict):
        if how == "drop":
            parent.pop(last, None)
        else:
            parent[last] = new
    elif isinstance(parent, list) and isinstance(last, int) and last < len(parent):
        if how == "drop":
            del parent[last]
        else:
            parent[last] = new


def deep_mutated(sample: dict[str, Any], *, overrides: st.SearchStrategy[dict[str, Any]] | None = None,
                 max_mutations: int = 4) -> st.SearchStrategy[dict[str, Any]]:
    """A real payload with up to ``max_mutations`` of its values (at any depth) dropped or
    replaced by any JSON value (odd strings among them), and perhaps extra fields; then
    ``overrides`` (fields a test keeps in range, such as an id) on top."""
    # Shallow fields (a product's title, price, id) are picked more often than deep ones,
    # and text fields get odd text (NUL, lone surrogates, runs past a column's size) often.
    paths = [p for p in _paths(sample) for _ in range(max(1, 4 - len(p)))]
    strings = [p for p in paths if isinstance(_get(sample, p), str)] or paths
    mutation = st.one_of(
        st.tuples(st.sampled_from(paths), st.sampled_from(["drop", "set", "set", "text"]), json_values(), texts(300)),
        st.tuples(st.sampled_from(strings), st.just("text"), st.none(), texts(300)),
    )

    @st.composite
    def build(draw: st.DrawFn) -> dict[str, Any]:
        obj = json.loads(json.dumps(sample))
        changes = draw(st.lists(mutation, max_size=max_mutations))
        if draw(st.booleans()):  # half the time, at least one text field holds odd text
            changes.append((draw(st.sampled_from(strings)), "text", None, draw(texts(300))))
        for path, how, value, text in changes:
            _set(obj, path, how, text if how == "text" else value)
        if overrides is not None:
            obj.update(draw(overrides))
        return obj

    return build()
