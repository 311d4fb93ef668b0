"""The built-in engine: offline, deterministic, grounded in the store's data.

Modules, in the order a line is read:

- ``text``: words, stems, language, tone (complaints, anger, asking for a human);
- ``vocabulary``: the catalog's own words (titles, option values, categories), cached per shop;
- ``slots``: prices, order numbers, emails, "it" / "the other one";
- ``engine``: the rules that pick what to do, and the handoff rules;
- ``shopping`` and ``products``: product questions and their answers;
- ``orders``: the order-status dialogue;
- ``knowledge``: shipping, returns, policies, contact and hours;
- ``templates``: the wording, per tone, overridable per shop;
- ``dialogue``: what the handlers share.
"""
from core.assistant.builtin.engine import BuiltinEngine
from core.assistant.builtin.templates import Templates

__all__ = ["BuiltinEngine", "Templates"]
