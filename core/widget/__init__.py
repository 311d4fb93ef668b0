"""The embeddable widget: its scripts, its public config, and the snippet.

``/widget/v1/loader.js`` is the tiny script a merchant pastes into the store;
when the page is idle it loads ``/widget/v1/launcher.js`` (by hash), which
fetches ``/widget/v1/config`` (the launcher, the triggers' conditions, the A/B
tests' weights), draws the launcher, and loads ``/widget/v1/chat.js`` (the
chat UI) only on the first click, when a proactive trigger fires, or on the
next page when the panel was open; chat.js fetches ``/widget/v1/chat-config``
(the rest, with the words of one language: :mod:`core.widget.i18n`).
:func:`render_snippet` gives the HTML a merchant pastes. docs/widget.md
describes the settings and the page API.
"""

from __future__ import annotations

from core.widget.routes import init_app
from core.widget.snippet import public_origin, render_snippet

__all__ = ["init_app", "public_origin", "render_snippet"]
