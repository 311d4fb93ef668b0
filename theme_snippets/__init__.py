"""Install snippets merchants paste into their stores, one folder per platform.

Data only: core reads them with ``importlib.resources.files("theme_snippets")``
(see :func:`core.widget.render_snippet`). Placeholders are Jinja expressions:
``{{ origin }}`` (this server's public origin) and ``{{ site_key }}``.
"""
