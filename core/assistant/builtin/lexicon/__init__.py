"""Shoppers' words per language, in the English the built-in engine reads (see ``translate.py``).

Each module has ``PHRASES`` (one ``foreign | variant => english`` a line, matched
word by word, accents forgiven, longest first), ``WORDS`` (``foreign=english``
pairs), ``DROP`` (articles and fillers left out) and ``ENDINGS`` (plural and
feminine endings to try taking off an unknown word). Colours and sizes map to
the English option values most catalogs use ("azul" -> "blue", "mediana" ->
"medium"); a catalog's own product names and option values are never
translated, since a word the lexicon does not know passes unchanged.
"""
