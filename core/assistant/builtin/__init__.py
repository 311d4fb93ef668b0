"""The built-in engine: offline, deterministic, grounded in the store's data.

Modules, in the order a line is read:

- ``language``: which language the line is in (English, Spanish, French, German, Portuguese,
  Italian; others recognised to say so), kept across short lines;
- ``translate`` and ``lexicon/<lang>``: a line in another spoken language, in the engine's English words;
- ``text``: words, stems, language, tone (complaints, anger, asking for a human);
- ``vocabulary``: the catalog's own words (titles, option values, categories), cached per shop;
- ``slots``: prices, order numbers, emails, "it" / "the other one";
- ``engine``: the rules that pick what to do, and the handoff rules;
- ``shopping`` and ``products``: product questions and their answers;
- ``orders``: the order-status dialogue;
- ``knowledge``: shipping, returns, policies, contact and hours;
- ``templates`` and ``messages/<lang>``: the wording, per tone and language, overridable per shop;
- ``dialogue``: what the handlers share.
"""

from core.assistant.builtin.engine import BuiltinEngine
from core.assistant.builtin.templates import Templates

__all__ = ["BuiltinEngine", "Templates"]
